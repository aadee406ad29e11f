import { ConfigError } from '../errors.js';
import { MAX_QUANT_BITS, MIN_QUANT_BITS } from '../ops/quantize.js';
import type { OptionSpec, OptionValues } from '../registry/options.js';

/*
 * The `model.quantize` section of a run config (docs/quantization.md): the
 * options are declared once here; the config schema derives its strict zod
 * object from this spec (unknown keys are errors naming them).
 */

export const QUANT_METHODS = ['lsq', 'minmax', 'percentile', 'mse'] as const;
export type QuantMethod = (typeof QUANT_METHODS)[number];
/** Methods that fix the step from a trained float model (post-training); lsq learns it (quantization-aware training). */
export const PTQ_METHODS: readonly QuantMethod[] = ['minmax', 'percentile', 'mse'];

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new ConfigError(`${where} must be a list of layer paths (strings such as '3' or '2.body.0'), got ${JSON.stringify(value)}`);
  }
  return [...value];
}

function optionalBits(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_QUANT_BITS || value > MAX_QUANT_BITS) {
    throw new ConfigError(`${where} must be an integer from ${MIN_QUANT_BITS} to ${MAX_QUANT_BITS}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const QUANTIZE_OPTIONS = {
  bits: {
    type: 'number',
    integer: true,
    required: true,
    check: (v: number) => v >= MIN_QUANT_BITS && v <= MAX_QUANT_BITS,
    want: `an integer from ${MIN_QUANT_BITS} to ${MAX_QUANT_BITS}`,
    doc: 'weight bit width b: signed levels −2^(b−1) .. 2^(b−1) − 1 (2 bits: −2..1)',
  },
  method: {
    type: 'choice',
    values: QUANT_METHODS,
    default: 'lsq',
    doc: "'lsq': learned step (quantization-aware training); 'minmax', 'percentile', 'mse': post-training steps (spikeflow quantize)",
  },
  perChannel: { type: 'boolean', default: true, doc: 'one step per output channel (else one per layer)' },
  skipFirst: { type: 'boolean', default: true, doc: 'keep the first weighted layer (it sees the analog input) in float32' },
  skipLast: { type: 'boolean', default: true, doc: 'keep the last weighted layer (the classifier) in float32' },
  firstLastBits: {
    type: 'custom',
    accepts: ['number'],
    parse: optionalBits,
    doc: 'bit width for the layers skip_first / skip_last leave out (LSQ keeps them at 8 bits); absent: they stay float32',
  },
  exclude: { type: 'custom', accepts: ['strings'], parse: stringList, default: [], doc: 'layer paths (and everything under them) kept in float32' },
  percentile: {
    type: 'number',
    default: 99.9,
    check: (v: number) => v > 0 && v <= 100,
    want: 'a number in (0, 100]',
    doc: "method 'percentile': clip each channel at this percentile of |w|",
  },
  calibration: {
    type: 'number',
    integer: true,
    default: 512,
    check: (v: number) => v >= 1,
    want: 'a positive integer',
    doc: "method 'mse': training samples the layers' output error is measured on",
  },
} as const satisfies OptionSpec;

/** `model.quantize` with defaults filled, camelCase keys. */
export type QuantizeOptions = OptionValues<typeof QUANTIZE_OPTIONS>;

/** `model.quantize` as a config writes it (snake_case), defaults filled. */
export interface QuantizeSection {
  bits: number;
  method: QuantMethod;
  per_channel: boolean;
  skip_first: boolean;
  skip_last: boolean;
  /** Absent: the skipped first/last layers stay float32. */
  first_last_bits?: number;
  exclude: string[];
  percentile: number;
  calibration: number;
}

export function quantizeOptionsFromSection(s: QuantizeSection): QuantizeOptions {
  return {
    bits: s.bits,
    method: s.method,
    perChannel: s.per_channel,
    skipFirst: s.skip_first,
    skipLast: s.skip_last,
    firstLastBits: s.first_last_bits ?? null,
    exclude: [...s.exclude],
    percentile: s.percentile,
    calibration: s.calibration,
  };
}

export function quantizeSectionFromOptions(o: QuantizeOptions): QuantizeSection {
  return {
    bits: o.bits,
    method: o.method,
    per_channel: o.perChannel,
    skip_first: o.skipFirst,
    skip_last: o.skipLast,
    ...(o.firstLastBits !== null ? { first_last_bits: o.firstLastBits } : {}),
    exclude: [...o.exclude],
    percentile: o.percentile,
    calibration: o.calibration,
  };
}

export function isPostTraining(method: QuantMethod): boolean {
  return PTQ_METHODS.includes(method);
}
