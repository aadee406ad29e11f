import { ConfigError, ShapeError } from '../errors.js';
import { Registry, type RegistryEntry } from '../registry/registry.js';
import { readConfigOptions, type OptionSpec, type OptionValues } from '../registry/options.js';
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
  /** The config's type name (a registered encoder type). */
  readonly type: string;
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

/** The built-in encoder types (the registry may hold more: `encoderRegistry.names()`). */
export const ENCODER_TYPES = ['rate', 'poisson', 'latency', 'delta', 'direct', 'population', 'frames'] as const;
export type EncoderType = (typeof ENCODER_TYPES)[number];

export interface EncoderConfig {
  type: string;
  [option: string]: unknown;
}

/** What an encoder entry builds; createEncoder adds `type`, `T` and `options`. */
export type EncoderParts = Pick<Encoder, 'outputSteps' | 'stochastic' | 'binary' | 'encode'>;

/**
 * An encoder as configs name it. `make` receives the validated options
 * (camelCase keys; an option the config leaves out is `undefined` unless the
 * spec gives a default, so the encoding function's own default applies) and
 * the number of steps.
 */
export interface EncoderEntry extends RegistryEntry {
  make(options: Record<string, unknown>, T: number): EncoderParts;
}

/** Every encoder type a config can name. */
export const encoderRegistry = new Registry<EncoderEntry>('encoder type');

/** Register an encoder whose `make` sees its own option types. */
export function defineEncoder<S extends OptionSpec>(entry: Omit<EncoderEntry, 'options' | 'make'> & { options: S; make(options: OptionValues<S>, T: number): EncoderParts }): EncoderEntry {
  return encoderRegistry.register(entry as unknown as EncoderEntry);
}

const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;

defineEncoder({
  name: 'rate',
  doc: 'Bernoulli spikes with probability gain·x + offset per step',
  options: { gain: num, offset: num },
  make: (o, T) => ({ outputSteps: T, stochastic: true, binary: true, encode: (x, rng) => rateEncode(x, T, rng, { gain: o.gain, offset: o.offset }) }),
});

defineEncoder({
  name: 'poisson',
  doc: 'Poisson spikes at max_rate·x Hz over steps of dt seconds',
  options: { maxRate: num, dt: num },
  make: (o, T) => {
    const opts = { maxRate: o.maxRate, dt: o.dt };
    poissonGain(opts); // range check now rather than at the first batch
    return { outputSteps: T, stochastic: true, binary: true, encode: (x, rng) => poissonEncode(x, T, rng, opts) };
  },
});

defineEncoder({
  name: 'latency',
  doc: 'one spike per input, earlier for larger values',
  options: { tau: num, threshold: num, linear: bool, normalize: bool, clip: bool, epsilon: num },
  make: (o, T) => {
    const opts = resolveLatencyOptions(o);
    return { outputSteps: T, stochastic: false, binary: true, encode: (x) => latencyEncode(x, T, opts) };
  },
});

defineEncoder({
  name: 'delta',
  doc: 'spikes where a time-major input changes by more than threshold',
  options: { threshold: num, padding: bool, off: { type: 'choice', values: ['none', 'signed', 'channels'] } },
  make: (o, T) => {
    const { threshold, padding, off } = resolveDeltaOptions({ threshold: o.threshold, padding: o.padding, off: o.off as DeltaOff | undefined });
    return {
      outputSteps: T,
      stochastic: false,
      binary: off !== 'signed',
      encode: (x) => {
        if (x.shape[0] !== T) throw new ShapeError(`encoder 'delta': input must be time-major with T=${T} steps, got ${fmtShape(x.shape)}`);
        return deltaEncode(x, { threshold, padding, off });
      },
    };
  },
});

defineEncoder({
  name: 'direct',
  doc: 'the analog input as a constant current (repeated over time by the model)',
  options: {},
  make: () => ({ outputSteps: 1, stochastic: false, binary: false, encode: (x) => directEncode(x) }),
});

defineEncoder({
  name: 'population',
  doc: 'Gaussian receptive fields: each input becomes `neurons` currents or spike trains',
  options: { neurons: num, min: num, max: num, sigma: num, output: { type: 'choice', values: ['current', 'spikes'] }, gain: num },
  make: (o, T) => {
    const spikes = o.output === 'spikes';
    populationCentres(o.neurons ?? POPULATION_DEFAULTS.neurons, o.min ?? POPULATION_DEFAULTS.min, o.max ?? POPULATION_DEFAULTS.max, o.sigma);
    const opts = { neurons: o.neurons, min: o.min, max: o.max, sigma: o.sigma, output: spikes ? ('spikes' as const) : ('current' as const), gain: o.gain };
    return { outputSteps: spikes ? T : 1, stochastic: spikes, binary: spikes, encode: (x, rng) => populationEncode(x, T, rng, opts) };
  },
});

defineEncoder({
  name: 'frames',
  doc: 'samples that already are T frames (event data): only the time axis moves to the front',
  options: { binarize: bool },
  make: (o, T) => {
    const binarize = o.binarize ?? false;
    return { outputSteps: T, stochastic: false, binary: binarize, encode: (x) => framesEncode(x, T, { binarize }) };
  },
});

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
    throw new ConfigError(`encoder: config needs a string 'type' (one of ${encoderRegistry.names().join(', ')})`);
  }
  const entry = encoderRegistry.get(config.type, 'encoder');
  const type = config.type;
  checkSteps(`encoder '${type}'`, T);
  const { type: _t, steps, ...given } = config;
  if (steps !== undefined && steps !== T) throw new ConfigError(`encoder '${type}': option 'steps' (${JSON.stringify(steps)}) differs from T=${T}`);
  const parts = entry.make(readConfigOptions(entry.options, given, `encoder '${type}'`), T);
  // `options` keeps what the config gave (snake_case, no defaults filled), as logs and checkpoints always saw it.
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) if (v !== undefined) options[k] = v;
  return { type, T, options: Object.freeze(options), ...parts };
}
