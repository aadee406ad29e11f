import { ShapeError } from '../../errors.js';

/** Unit of the numbers in `t`. Readers keep the file's native unit so round trips are exact. */
export type TimeUnit = 'ns' | 'us' | 'ms' | 's';

/** Seconds per unit, for converting time windows between streams. */
export const SECONDS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1 };

/**
 * Events from a 2-D sensor (DVS / ATIS): one column per field, all the same
 * length, sorted by `t` (ties keep file order). Columnar typed arrays rather
 * than an array of objects so a million events are four contiguous buffers and
 * time windows are `subarray` views.
 *
 * `p` is 1 for ON (brightness increase) and 0 for OFF.
 */
export interface DvsEvents {
  readonly kind: 'dvs';
  readonly x: Uint16Array;
  readonly y: Uint16Array;
  /** Float64 holds integer microsecond stamps exactly up to 2^53 and also float seconds (SHD). */
  readonly t: Float64Array;
  readonly p: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly timeUnit: TimeUnit;
}

/** Events with a channel index only (cochlea / audio spikes such as SHD and SSC). */
export interface ChannelEvents {
  readonly kind: 'channel';
  readonly t: Float64Array;
  readonly channel: Uint16Array;
  readonly channels: number;
  readonly timeUnit: TimeUnit;
}

export type EventStream = DvsEvents | ChannelEvents;

export function eventCount(s: EventStream): number {
  return s.t.length;
}

export interface DvsInit {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  t: ArrayLike<number>;
  p: ArrayLike<number>;
  width: number;
  height: number;
  timeUnit?: TimeUnit;
}

/**
 * Build a DVS stream, checking lengths and coordinate ranges and sorting by
 * time if needed (stable). Typed arrays of the right type are used as is, not copied.
 */
export function makeDvsEvents(init: DvsInit): DvsEvents {
  const n = init.t.length;
  if (init.x.length !== n || init.y.length !== n || init.p.length !== n) {
    throw new ShapeError(`event stream: column lengths differ (x ${init.x.length}, y ${init.y.length}, t ${n}, p ${init.p.length})`);
  }
  checkSize('width', init.width);
  checkSize('height', init.height);
  const x = init.x instanceof Uint16Array ? init.x : Uint16Array.from(init.x);
  const y = init.y instanceof Uint16Array ? init.y : Uint16Array.from(init.y);
  const t = init.t instanceof Float64Array ? init.t : Float64Array.from(init.t);
  const p = init.p instanceof Uint8Array ? init.p : Uint8Array.from(init.p);
  for (let i = 0; i < n; i++) {
    if (x[i]! >= init.width || y[i]! >= init.height) {
      throw new ShapeError(`event ${i}: (x ${x[i]}, y ${y[i]}) is outside the ${init.width}×${init.height} sensor`);
    }
    if (p[i]! > 1) throw new ShapeError(`event ${i}: polarity ${p[i]} is not 0 or 1`);
  }
  const s: DvsEvents = { kind: 'dvs', x, y, t, p, width: init.width, height: init.height, timeUnit: init.timeUnit ?? 'us' };
  return isSorted(t) ? s : takeEvents(s, argsortStable(t));
}

export interface ChannelInit {
  t: ArrayLike<number>;
  channel: ArrayLike<number>;
  channels: number;
  timeUnit?: TimeUnit;
}

export function makeChannelEvents(init: ChannelInit): ChannelEvents {
  const n = init.t.length;
  if (init.channel.length !== n) throw new ShapeError(`event stream: column lengths differ (t ${n}, channel ${init.channel.length})`);
  checkSize('channels', init.channels);
  const t = init.t instanceof Float64Array ? init.t : Float64Array.from(init.t);
  const channel = init.channel instanceof Uint16Array ? init.channel : Uint16Array.from(init.channel);
  for (let i = 0; i < n; i++) {
    if (channel[i]! >= init.channels) throw new ShapeError(`event ${i}: channel ${channel[i]} is outside [0, ${init.channels})`);
  }
  const s: ChannelEvents = { kind: 'channel', t, channel, channels: init.channels, timeUnit: init.timeUnit ?? 's' };
  return isSorted(t) ? s : takeEvents(s, argsortStable(t));
}

function checkSize(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 65536) throw new ShapeError(`event stream: ${what} must be an integer in [1, 65536], got ${v}`);
}

export function isSorted(t: Float64Array): boolean {
  for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) return false;
  return true;
}

/** Indices that sort `t` ascending, ties in original order. */
export function argsortStable(t: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(t.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  // TypedArray#sort with a comparator is stable in V8 (spec requires stable sort since ES2019).
  idx.sort((a, b) => t[a]! - t[b]! || a - b);
  return idx;
}

/** A new stream holding copies of the events at `indices` (in that order), same metadata. */
export function takeEvents<S extends EventStream>(s: S, indices: ArrayLike<number>): S {
  const m = indices.length;
  const t = new Float64Array(m);
  for (let k = 0; k < m; k++) t[k] = s.t[indices[k]!]!;
  if (s.kind === 'dvs') {
    const x = new Uint16Array(m), y = new Uint16Array(m), p = new Uint8Array(m);
    for (let k = 0; k < m; k++) {
      const i = indices[k]!;
      x[k] = s.x[i]!;
      y[k] = s.y[i]!;
      p[k] = s.p[i]!;
    }
    return { ...s, x, y, t, p };
  }
  const channel = new Uint16Array(m);
  for (let k = 0; k < m; k++) channel[k] = s.channel[indices[k]!]!;
  return { ...s, t, channel };
}

/** Keep events where `keep[i]` is non-zero (copies; order preserved, so the result stays sorted). */
export function filterEvents<S extends EventStream>(s: S, keep: Uint8Array): S {
  let m = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i]) m++;
  const idx = new Uint32Array(m);
  for (let i = 0, k = 0; i < keep.length; i++) if (keep[i]) idx[k++] = i;
  return takeEvents(s, idx);
}

/** Events [start, end) as views on the same buffers (zero-copy). */
export function sliceByIndex<S extends EventStream>(s: S, start: number, end: number): S {
  const n = s.t.length;
  const a = Math.max(0, Math.min(n, Math.floor(start)));
  const b = Math.max(a, Math.min(n, Math.floor(end)));
  if (s.kind === 'dvs') return { ...s, x: s.x.subarray(a, b), y: s.y.subarray(a, b), t: s.t.subarray(a, b), p: s.p.subarray(a, b) };
  return { ...s, t: s.t.subarray(a, b), channel: s.channel.subarray(a, b) };
}

/** First index with t[i] >= value (t sorted). */
export function lowerBound(t: Float64Array, value: number): number {
  let lo = 0, hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events with t in [t0, t1), as views (zero-copy; binary search on the sorted times). */
export function sliceByTime<S extends EventStream>(s: S, t0: number, t1: number): S {
  return sliceByIndex(s, lowerBound(s.t, t0), lowerBound(s.t, t1));
}

/** Consecutive chunks of `count` events (the last may be shorter), as views. */
export function sliceByCount<S extends EventStream>(s: S, count: number): S[] {
  if (!Number.isInteger(count) || count < 1) throw new ShapeError(`sliceByCount: count must be a positive integer, got ${count}`);
  const out: S[] = [];
  for (let a = 0; a < s.t.length; a += count) out.push(sliceByIndex(s, a, a + count));
  return out;
}

/** [first, last] time stamps, or [0, 0] for an empty stream. */
export function timeSpan(s: EventStream): [number, number] {
  const n = s.t.length;
  return n === 0 ? [0, 0] : [s.t[0]!, s.t[n - 1]!];
}

/** An empty stream with the same metadata. */
export function emptyLike<S extends EventStream>(s: S): S {
  return sliceByIndex(s, 0, 0);
}
