import { ConfigError, ShapeError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';
import { makeDataset, type Dataset } from '../dataset.js';
import type { EmulatorOptions } from './emulator.js';
import { saccadeRecording } from './saccade.js';
import type { DvsEvents } from './stream.js';
import { ToFrame } from './transforms/frame.js';

/**
 * Everything that determines the emulated N-MNIST samples generated from a
 * set of 28×28 digits. The disk cache keys entries on all of it
 * (`emulatedNmnistKey`), so changing any field regenerates.
 */
export interface EmulatedNmnistSpec {
  /** ToFrame time bins over the 300 ms recording: samples are [bins, 2, 34, 34]. */
  bins: number;
  /** Rendered frames per 100 ms saccade (the emulator interpolates log intensity linearly between frames). */
  framesPerSaccade: number;
  /** Dataset seed: recording i of a split uses a generator seeded from (seed, split, i). */
  seed: number;
  emulator: Required<Pick<EmulatorOptions, 'thresholdOn' | 'thresholdOff' | 'thresholdSigma' | 'refractory' | 'noiseRate'>>;
}

export type EmulatedSplit = 'train' | 'test';

/**
 * Defaults. 10 frames per saccade (0.67 px of motion per frame) give about
 * 97 % of the events of 100 frames per saccade (the crossings lost are
 * sub-frame brightness reversals) at a fifth of the cost; crossing times are
 * still interpolated to the µs.
 */
export const EMULATED_NMNIST_DEFAULTS: Omit<EmulatedNmnistSpec, 'bins'> = Object.freeze({
  framesPerSaccade: 10,
  seed: 0,
  emulator: Object.freeze({ thresholdOn: 0.2, thresholdOff: 0.2, thresholdSigma: 0.03, refractory: 0, noiseRate: 0 }),
});

/** Bumped when the generator's output for the same spec changes, so caches of older output are never read. */
export const EMULATED_NMNIST_VERSION = 1;

export const NMNIST_SENSOR = 34;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** A full spec from the time bins plus any overrides; checks every field. */
export function emulatedNmnistSpec(bins: number, over: Partial<Omit<EmulatedNmnistSpec, 'bins' | 'emulator'>> & { emulator?: Partial<EmulatedNmnistSpec['emulator']> } = {}): EmulatedNmnistSpec {
  const d = EMULATED_NMNIST_DEFAULTS;
  const spec: EmulatedNmnistSpec = {
    bins,
    framesPerSaccade: over.framesPerSaccade ?? d.framesPerSaccade,
    seed: over.seed ?? d.seed,
    emulator: { ...d.emulator, ...over.emulator },
  };
  const int = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
  if (!int(spec.bins, 1)) throw new ConfigError(`nmnist-emulated: time bins must be a positive integer, got ${spec.bins}`);
  if (!int(spec.framesPerSaccade, 1)) throw new ConfigError(`nmnist-emulated: frames per saccade must be a positive integer, got ${spec.framesPerSaccade}`);
  if (!int(spec.seed, 0)) throw new ConfigError(`nmnist-emulated: seed must be an integer ≥ 0, got ${spec.seed}`);
  const e = spec.emulator;
  if (!(e.thresholdOn > 0 && e.thresholdOff > 0 && e.thresholdSigma >= 0 && e.refractory >= 0 && e.noiseRate >= 0)) {
    throw new ConfigError('nmnist-emulated: emulator thresholds must be > 0; threshold sigma, refractory and noise rate ≥ 0');
  }
  return spec;
}

/** Canonical text of every generation parameter (fixed key order), for cache keys. */
export function emulatedNmnistKey(spec: EmulatedNmnistSpec): string {
  const e = spec.emulator;
  return JSON.stringify([
    'nmnist-emulated',
    EMULATED_NMNIST_VERSION,
    spec.bins,
    spec.framesPerSaccade,
    spec.seed,
    e.thresholdOn,
    e.thresholdOff,
    e.thresholdSigma,
    e.refractory,
    e.noiseRate,
  ]);
}

/**
 * Seed of recording `index` of `split`: a hash of (dataset seed, split,
 * index). Each recording has its own generator, so sample i is the same
 * whatever subset (train_limit, cache block) it is generated in.
 */
export function recordingSeed(seed: number, split: EmulatedSplit, index: number): number {
  let h = Math.imul(seed >>> 0, 0x9e3779b1) ^ (split === 'train' ? 0x7a1b2c3d : 0x1e2d3c4b);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = (h ^ index) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The DVS recording of one 28×28 digit (intensities in [0, 1]). */
export function emulateNmnistRecording(image: Float32Array, spec: EmulatedNmnistSpec, split: EmulatedSplit, index: number): DvsEvents {
  const e = spec.emulator;
  return saccadeRecording(image, SIDE, new Rng(recordingSeed(spec.seed, split, index)), {
    sensor: NMNIST_SENSOR,
    framesPerSaccade: spec.framesPerSaccade,
    emulator: { thresholdOn: e.thresholdOn, thresholdOff: e.thresholdOff, thresholdSigma: e.thresholdSigma, refractory: e.refractory, noiseRate: e.noiseRate },
  });
}

/** Numbers per sample: bins × 2 × 34 × 34. */
export function emulatedNmnistFeatures(spec: EmulatedNmnistSpec): number {
  return spec.bins * 2 * NMNIST_SENSOR * NMNIST_SENSOR;
}

/**
 * ToFrame counts ([bins, 2, 34, 34] each, channel 0 OFF, 1 ON) of samples
 * [start, end) of a split, whose digits are `images` (n × 784, the split's
 * own indexing). Written into `out` (length (end − start) · features) when given.
 */
export function emulateNmnistFrames(images: Float32Array, start: number, end: number, spec: EmulatedNmnistSpec, split: EmulatedSplit, out?: Float32Array): Float32Array {
  const F = emulatedNmnistFeatures(spec);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end * PIXELS <= images.length)) {
    throw new ShapeError(`emulateNmnistFrames: samples [${start}, ${end}) are outside the ${Math.floor(images.length / PIXELS)} digits given`);
  }
  const data = out ?? new Float32Array((end - start) * F);
  if (data.length !== (end - start) * F) throw new ShapeError(`emulateNmnistFrames: output holds ${data.length} values, need ${(end - start) * F}`);
  const toFrame = new ToFrame({ nTimeBins: spec.bins });
  for (let i = start; i < end; i++) {
    const rec = emulateNmnistRecording(images.subarray(i * PIXELS, (i + 1) * PIXELS), spec, split, i);
    const fr = toFrame.apply(rec);
    // nTimeBins always gives `bins` windows, also for an empty recording (all zeros).
    data.set(fr.data, (i - start) * F);
  }
  return data;
}

/**
 * The emulated N-MNIST version of the first `n` samples of a 28×28 digit
 * dataset (shape [1, 28, 28] or [784]), generated in memory with no cache.
 */
export function makeEmulatedNmnistSplit(source: Dataset, n: number, spec: EmulatedNmnistSpec, split: EmulatedSplit): Dataset {
  if (source.features !== PIXELS) throw new ShapeError(`nmnist-emulated: source '${source.name}' has ${source.features} features per sample, expected 28×28 = ${PIXELS}`);
  const m = Math.max(0, Math.min(n, source.length));
  const images = emulateNmnistFrames(source.images, 0, m, spec, split);
  return makeDataset({ name: 'nmnist-emulated', images, labels: source.labels.slice(0, m), shape: [spec.bins, 2, NMNIST_SENSOR, NMNIST_SENSOR], numClasses: source.numClasses });
}
