import { ConfigError } from '../../errors.js';
import type { ChoiceOption, NumberOption, OptionSpec, OptionValues } from '../../registry/options.js';
import type { EventStream, TimeUnit } from './stream.js';
import { Denoise } from './transforms/denoise.js';
import { Downsample } from './transforms/downsample.js';
import { FixedFrames, type FrameBinning } from './transforms/frame.js';
import { compose, type DenseEvents, type Transform } from './transforms/transform.js';

/*
 * The event transforms a config can set for a recorded event dataset
 * (`data.options` of nmnist, dvs-gesture, cifar10-dvs, shd, ssc), as option
 * specs of the dataset registry entries, and the deterministic pipeline they
 * stand for. Only deterministic transforms are offered: the frames are
 * converted once, cached on disk and then held in memory as a fixed
 * training set, so a random augmentation (jitter, random crop) would be
 * drawn once and frozen, which is not augmentation. Browser-safe.
 *
 * The pipeline, in order: Denoise (DVS only) → Downsample → FixedFrames.
 */

const binning = {
  type: 'choice' as const,
  values: ['time', 'events'] as const,
  default: 'time' as FrameBinning,
  doc: "to-frame binning: 'time' = T equal time windows, 'events' = T windows of equal event count",
} satisfies ChoiceOption<FrameBinning>;

const durationMs = {
  type: 'number' as const,
  default: 0,
  check: (v) => v >= 0,
  want: 'a number ≥ 0',
  doc: "binning 'time': milliseconds covered from the first event (T windows of duration/T; later events dropped, shorter recordings end in empty frames); 0 = each recording's own span",
} satisfies NumberOption;

const downsample = {
  type: 'number' as const,
  default: 1,
  check: (v) => v > 0 && v <= 1,
  want: 'a number in (0, 1]',
  doc: 'spatial factor (DVS: x, y; SHD/SSC: channel): 0.25 turns a 128×128 sensor into 32×32, 700 channels into 175',
} satisfies NumberOption;

const denoiseMs = {
  type: 'number' as const,
  default: 0,
  check: (v) => v >= 0,
  want: 'a number ≥ 0',
  doc: 'background-activity filter: keep an event only if a neighbouring pixel fired less than this many ms before; 0 = off',
} satisfies NumberOption;

/** Options of the DVS datasets (nmnist, dvs-gesture, cifar10-dvs). */
export const DVS_DATASET_OPTIONS = { binning, durationMs, denoiseMs, downsample } as const satisfies OptionSpec;

/** Options of the cochlea datasets (shd, ssc): no denoise, which needs pixel neighbours. */
export const CHANNEL_DATASET_OPTIONS = { binning, durationMs, downsample } as const satisfies OptionSpec;

export type DvsDatasetOptions = OptionValues<typeof DVS_DATASET_OPTIONS>;
export type ChannelDatasetOptions = OptionValues<typeof CHANNEL_DATASET_OPTIONS>;

/** Stream time units per millisecond, written out: 1e-3 / 1e-6 is 1000.0000000000001 in floating point, which would move bin edges. */
const UNITS_PER_MS: Readonly<Record<TimeUnit, number>> = { ns: 1e6, us: 1e3, ms: 1, s: 1e-3 };

export interface EventPipelineSpec {
  frames: number;
  binning: FrameBinning;
  durationMs: number;
  downsample: number;
  /** DVS only. */
  denoiseMs?: number;
}

/**
 * The deterministic stream → [T, ...] frames pipeline of a dataset whose
 * stamps are in `unit`. Its name and parameters (compose's key) are the
 * cache key's transform part, so any changed option converts anew.
 */
export function eventPipeline(spec: EventPipelineSpec, unit: TimeUnit): Transform<EventStream, DenseEvents> {
  if (spec.binning === 'events' && spec.durationMs > 0) throw new ConfigError("data.options: duration_ms applies to binning 'time' only");
  const perMs = UNITS_PER_MS[unit];
  const steps: Transform<EventStream, EventStream>[] = [];
  if (spec.denoiseMs !== undefined && spec.denoiseMs > 0) steps.push(new Denoise(spec.denoiseMs * perMs));
  if (spec.downsample !== 1) steps.push(new Downsample({ spatialFactor: spec.downsample }));
  const frames = new FixedFrames({ frames: spec.frames, binning: spec.binning, duration: spec.durationMs * perMs });
  return steps.length === 0 ? frames : (compose(...steps, frames) as Transform<EventStream, DenseEvents>);
}
