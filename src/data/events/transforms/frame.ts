import { ConfigError } from '../../../errors.js';
import type { Rng } from '../../../tensor/rng.js';
import { lowerBound, type EventStream } from '../stream.js';
import { checkSliceSpec, computeSlices, sliceParams, type SliceSpec } from './slicing.js';
import type { DenseEvents, Transform, TransformParam } from './transform.js';

/**
 * Event counts per window: DVS streams give [T, 2, H, W] (channel 0 = OFF,
 * 1 = ON), channel streams give [T, channels]. Windows follow `SliceSpec`.
 */
export class ToFrame implements Transform<EventStream, DenseEvents> {
  readonly name = 'ToFrame';
  readonly random = false;
  readonly params: Readonly<Record<string, TransformParam>>;

  constructor(readonly spec: SliceSpec) {
    checkSliceSpec('ToFrame', spec);
    this.params = sliceParams(spec);
  }

  apply(s: EventStream, _rng?: Rng): DenseEvents {
    const { starts, ends } = computeSlices(s, this.spec);
    const K = starts.length;
    if (s.kind === 'channel') {
      const C = s.channels;
      const data = new Float32Array(K * C);
      const ch = s.channel;
      for (let k = 0; k < K; k++) {
        const base = k * C;
        for (let i = starts[k]!, e = ends[k]!; i < e; i++) data[base + ch[i]!]! += 1;
      }
      return { data, shape: [K, C] };
    }
    const W = s.width, H = s.height, plane = W * H;
    const data = new Float32Array(K * 2 * plane);
    const { x, y, p } = s;
    for (let k = 0; k < K; k++) {
      const base = k * 2 * plane;
      for (let i = starts[k]!, e = ends[k]!; i < e; i++) data[base + p[i]! * plane + y[i]! * W + x[i]!]! += 1;
    }
    return { data, shape: [K, 2, H, W] };
  }
}

export type FrameBinning = 'time' | 'events';

export interface FixedFramesSpec {
  /** Frames per sample: the output is always [frames, ...] (a model needs one T for every sample). */
  frames: number;
  /** 'time': equal time windows; 'events': windows of equal event count. */
  binning: FrameBinning;
  /**
   * With 'time': the span covered, from the first event, in the stream's time
   * unit; each window is duration / frames long, events after the span are
   * dropped and a shorter recording ends in empty frames. 0 (default): each
   * recording's own span, first to last event (ToFrame's nTimeBins).
   */
  duration?: number;
}

/**
 * ToFrame with a fixed number of frames whatever the recording, as a
 * training set of [T, ...] samples needs. Without a duration, nTimeBins /
 * nEventBins (each recording's own span or event count in `frames`
 * windows). With a duration, `frames` windows of duration / frames from the
 * first event, cut at their exact boundaries (a timeWindow slicing would
 * make as many windows as each recording is long).
 */
export class FixedFrames implements Transform<EventStream, DenseEvents> {
  readonly name = 'FixedFrames';
  readonly random = false;
  readonly params: { frames: number; binning: FrameBinning; duration: number };
  private readonly inner: ToFrame | null;

  constructor(spec: FixedFramesSpec) {
    const duration = spec.duration ?? 0;
    if (!(Number.isInteger(spec.frames) && spec.frames >= 1)) throw new ConfigError(`FixedFrames: frames must be a positive integer, got ${spec.frames}`);
    if (spec.binning !== 'time' && spec.binning !== 'events') throw new ConfigError(`FixedFrames: binning must be 'time' or 'events', got ${String(spec.binning)}`);
    if (!(duration >= 0 && Number.isFinite(duration))) throw new ConfigError(`FixedFrames: duration must be ≥ 0, got ${duration}`);
    if (spec.binning === 'events' && duration > 0) throw new ConfigError("FixedFrames: a duration applies to binning 'time' only");
    this.params = { frames: spec.frames, binning: spec.binning, duration };
    this.inner = duration > 0 ? null : new ToFrame(spec.binning === 'events' ? { nEventBins: spec.frames } : { nTimeBins: spec.frames });
  }

  apply(s: EventStream, _rng?: Rng): DenseEvents {
    if (this.inner) return this.inner.apply(s);
    const { frames: K, duration } = this.params;
    const n = s.t.length;
    const t0 = n > 0 ? s.t[0]! : 0;
    // Window k holds the events with t0 + k·w ≤ t < t0 + (k + 1)·w; the last ends at t0 + duration.
    const bounds = new Uint32Array(K + 1);
    for (let k = 0; k <= K; k++) bounds[k] = lowerBound(s.t, k === K ? t0 + duration : t0 + (k * duration) / K);
    if (s.kind === 'channel') {
      const C = s.channels;
      const data = new Float32Array(K * C);
      for (let k = 0; k < K; k++) for (let i = bounds[k]!; i < bounds[k + 1]!; i++) data[k * C + s.channel[i]!]! += 1;
      return { data, shape: [K, C] };
    }
    const W = s.width, H = s.height, plane = W * H;
    const data = new Float32Array(K * 2 * plane);
    for (let k = 0; k < K; k++) {
      const base = k * 2 * plane;
      for (let i = bounds[k]!; i < bounds[k + 1]!; i++) data[base + s.p[i]! * plane + s.y[i]! * W + s.x[i]!]! += 1;
    }
    return { data, shape: [K, 2, H, W] };
  }
}
