import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSteps } from './common.js';
import { deltaEncode, resolveDeltaOptions, type DeltaOff } from './delta.js';
import { directEncode } from './direct.js';
import { framesEncode } from './frames.js';
import { latencyEncode, resolveLatencyOptions } from './latency.js';
import { POPULATION_DEFAULTS, populationCentres, populationEncode } from './population.js';
import { poissonEncode, poissonGain, rateEncode } from './rate.js';

/**
 * An encoder built from a config: turns a batch of analog inputs into the
 * time-major tensor the network consumes.
 */
export interface Encoder {
  readonly type: EncoderType;
  /** Time steps the model runs for. */
  readonly T: number;
  /**
   * Leading dimension of `encode`'s output: T, or 1 for direct coding and
   * population 'current' output, which the model repeats after its first
   * stateless layer (RepeatTime).
   */
  readonly outputSteps: number;
  /** True when `encode` draws from the Rng (same Rng state → same output). */
  readonly stochastic: boolean;
  /** Output values are 0/1 spikes. */
  readonly binary: boolean;
  /** The validated options, for logs and checkpoints. */
  readonly options: Readonly<Record<string, unknown>>;
  /** `[B, ...]` (delta: `[T, B, ...]`; frames: `[B, T, ...]`) → `[outputSteps, B, ...]`. */
  encode(x: Tensor, rng: Rng): Tensor;
}

export const ENCODER_TYPES = ['rate', 'poisson', 'latency', 'delta', 'direct', 'population', 'frames'] as const;
export type EncoderType = (typeof ENCODER_TYPES)[number];

export interface EncoderConfig {
  type: string;
  [option: string]: unknown;
}

type Kind = 'number' | 'boolean' | readonly string[];

const SCHEMAS: Record<EncoderType, Record<string, Kind>> = {
  rate: { gain: 'number', offset: 'number' },
  poisson: { max_rate: 'number', dt: 'number' },
  latency: { tau: 'number', threshold: 'number', linear: 'boolean', normalize: 'boolean', clip: 'boolean', epsilon: 'number' },
  delta: { threshold: 'number', padding: 'boolean', off: ['none', 'signed', 'channels'] },
  direct: {},
  population: { neurons: 'number', min: 'number', max: 'number', sigma: 'number', output: ['current', 'spikes'], gain: 'number' },
  frames: { binarize: 'boolean' },
};

/** Check option names and value types against the type's schema; names the offending key. */
function validate(type: EncoderType, config: EncoderConfig): Record<string, unknown> {
  const schema = SCHEMAS[type];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'type' || key === 'steps') continue;
    const kind = schema[key];
    if (kind === undefined) {
      const allowed = Object.keys(schema);
      throw new ConfigError(
        `encoder '${type}': unknown option '${key}' (${allowed.length ? 'allowed: ' + allowed.join(', ') : 'it takes no options'})`,
      );
    }
    if (typeof kind === 'string') {
      if (typeof value !== kind || (kind === 'number' && !Number.isFinite(value))) {
        throw new ConfigError(`encoder '${type}': option '${key}' must be a ${kind === 'number' ? 'finite number' : kind}, got ${JSON.stringify(value)}`);
      }
    } else if (typeof value !== 'string' || !kind.includes(value)) {
      throw new ConfigError(`encoder '${type}': option '${key}' must be one of ${kind.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out;
}

function isType(t: string): t is EncoderType {
  return (ENCODER_TYPES as readonly string[]).includes(t);
}

/**
 * Build an encoder from a config object (the `encoder:` block of a YAML run
 * config): `{ type: 'rate', steps: 25, gain: 1 }`. Option keys are snake_case
 * like the rest of the config (`max_rate` for poissonEncode's `maxRate`);
 * `steps`, when present, must equal T. Unknown types, unknown options and
 * wrongly typed or out-of-range values throw ConfigError naming them, here
 * rather than at the first batch.
 */
export function createEncoder(config: EncoderConfig, T: number): Encoder {
  if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
    throw new ConfigError(`encoder: config needs a string 'type' (one of ${ENCODER_TYPES.join(', ')})`);
  }
  const type = config.type;
  if (!isType(type)) throw new ConfigError(`encoder: unknown type '${type}' (available: ${ENCODER_TYPES.join(', ')})`);
  checkSteps(`encoder '${type}'`, T);
  if (config['steps'] !== undefined && config['steps'] !== T) {
    throw new ConfigError(`encoder '${type}': option 'steps' (${JSON.stringify(config['steps'])}) differs from T=${T}`);
  }
  const o = validate(type, config);
  const num = (k: string): number | undefined => o[k] as number | undefined;
  const bool = (k: string): boolean | undefined => o[k] as boolean | undefined;
  const base = { type, T, options: Object.freeze({ ...o }) };
  switch (type) {
    case 'rate':
      return { ...base, outputSteps: T, stochastic: true, binary: true, encode: (x, rng) => rateEncode(x, T, rng, { gain: num('gain'), offset: num('offset') }) };
    case 'poisson':
      poissonGain({ maxRate: num('max_rate'), dt: num('dt') });
      return { ...base, outputSteps: T, stochastic: true, binary: true, encode: (x, rng) => poissonEncode(x, T, rng, { maxRate: num('max_rate'), dt: num('dt') }) };
    case 'latency': {
      const opts = resolveLatencyOptions({ tau: num('tau'), threshold: num('threshold'), linear: bool('linear'), normalize: bool('normalize'), clip: bool('clip'), epsilon: num('epsilon') });
      return { ...base, outputSteps: T, stochastic: false, binary: true, encode: (x) => latencyEncode(x, T, opts) };
    }
    case 'delta': {
      const { threshold, padding, off } = resolveDeltaOptions({ threshold: num('threshold'), padding: bool('padding'), off: o['off'] as DeltaOff | undefined });
      return {
        ...base,
        outputSteps: T,
        stochastic: false,
        binary: off !== 'signed',
        encode: (x) => {
          if (x.shape[0] !== T) throw new ShapeError(`encoder 'delta': input must be time-major with T=${T} steps, got ${fmtShape(x.shape)}`);
          return deltaEncode(x, { threshold, padding, off });
        },
      };
    }
    case 'direct':
      return { ...base, outputSteps: 1, stochastic: false, binary: false, encode: (x) => directEncode(x) };
    case 'population': {
      const spikes = o['output'] === 'spikes';
      populationCentres(num('neurons') ?? POPULATION_DEFAULTS.neurons, num('min') ?? POPULATION_DEFAULTS.min, num('max') ?? POPULATION_DEFAULTS.max, num('sigma'));
      const opts = { neurons: num('neurons'), min: num('min'), max: num('max'), sigma: num('sigma'), output: spikes ? ('spikes' as const) : ('current' as const), gain: num('gain') };
      return { ...base, outputSteps: spikes ? T : 1, stochastic: spikes, binary: spikes, encode: (x, rng) => populationEncode(x, T, rng, opts) };
    }
    case 'frames': {
      // Samples are already sequences of T frames (event data): only the time axis moves to the front.
      const binarize = bool('binarize') ?? false;
      return { ...base, outputSteps: T, stochastic: false, binary: binarize, encode: (x) => framesEncode(x, T, { binarize }) };
    }
  }
}
