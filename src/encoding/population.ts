import { ConfigError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSteps, inputData, output, probabilityThresholds, type EncodeOptions } from './common.js';
import { bernoulliSteps } from './rate.js';

export interface PopulationOptions extends EncodeOptions {
  /** Receptive fields per input value (default 8). */
  neurons?: number;
  /** Range the centres span (default [0, 1]). */
  min?: number;
  max?: number;
  /** Width of each Gaussian (default half the spacing between centres). */
  sigma?: number;
  /** 'current' (default): the responses as analog input; 'spikes': Bernoulli spikes with p = clamp(gain·response, 0, 1). */
  output?: 'current' | 'spikes';
  /** Scales the spike probability (default 1). */
  gain?: number;
}

/** Defaults of the options above. */
export const POPULATION_DEFAULTS = Object.freeze({ neurons: 8, min: 0, max: 1 });

export interface PopulationCode {
  centres: Float64Array;
  sigma: number;
}

/**
 * Centres spread evenly over [min, max] (both ends included; one neuron sits
 * in the middle), and the Gaussian width.
 */
export function populationCentres(neurons: number, min: number, max: number, sigma?: number): PopulationCode {
  if (!Number.isInteger(neurons) || neurons < 1) throw new ConfigError(`population encoder: neurons must be a positive integer, got ${neurons}`);
  if (!(max > min)) throw new ConfigError(`population encoder: max (${max}) must be greater than min (${min})`);
  const centres = new Float64Array(neurons);
  const spacing = neurons > 1 ? (max - min) / (neurons - 1) : max - min;
  for (let j = 0; j < neurons; j++) centres[j] = neurons > 1 ? min + j * spacing : (min + max) / 2;
  const s = sigma ?? spacing / 2;
  if (!(s > 0)) throw new ConfigError(`population encoder: sigma must be > 0, got ${s}`);
  return { centres, sigma: s };
}

/** Gaussian receptive field responses exp(−(x − c_j)² / 2σ²) ∈ (0, 1], neuron j of value i at i·n + j. */
function responses(src: ArrayLike<number>, code: PopulationCode, dst: Float32Array | Float64Array): void {
  const n = code.centres.length;
  const k = -1 / (2 * code.sigma * code.sigma);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    for (let j = 0; j < n; j++) {
      const d = v - code.centres[j]!;
      dst[i * n + j] = Math.exp(k * d * d);
    }
  }
}

/**
 * Population coding with Gaussian receptive fields: each input value drives
 * `neurons` units whose centres tile [min, max]; the unit axis is appended last,
 * `[B, ...] → [.., B, ..., neurons]` (flatten to get features × neurons).
 * - 'current': `[1, B, ..., neurons]`, not repeated over T — like direct coding
 *   the model repeats it (see direct.ts), which saves T× memory.
 * - 'spikes':  `[T, B, ..., neurons]`, binary, Bernoulli draws from `rng` per step.
 */
export function populationEncode(x: Tensor, T: number, rng: Rng | null, opts: PopulationOptions = {}): Tensor {
  checkSteps('population encoder', T);
  const code = populationCentres(opts.neurons ?? POPULATION_DEFAULTS.neurons, opts.min ?? POPULATION_DEFAULTS.min, opts.max ?? POPULATION_DEFAULTS.max, opts.sigma);
  const n = code.centres.length;
  const src = inputData('population encoder', x);
  const mode = opts.output ?? 'current';
  if (mode !== 'current' && mode !== 'spikes') throw new ConfigError(`population encoder: output must be 'current' or 'spikes', got '${String(mode)}'`);
  if (mode === 'current') {
    const out = output([1, ...x.shape, n], false, x, opts);
    responses(src, code, out.data);
    return out;
  }
  if (!rng) throw new ConfigError("population encoder: output 'spikes' needs an Rng");
  const gain = opts.gain ?? 1;
  const p = new Float64Array(src.length * n);
  responses(src, code, p);
  if (gain !== 1) for (let i = 0; i < p.length; i++) p[i] = gain * p[i]!;
  return bernoulliSteps(probabilityThresholds(p), T, rng, x, opts, [T, ...x.shape, n]);
}
