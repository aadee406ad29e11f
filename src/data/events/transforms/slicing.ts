import { ConfigError } from '../../../errors.js';
import { lowerBound, type EventStream } from '../stream.js';
import { checkPositive } from './transform.js';

/**
 * How a stream is cut into frames. Exactly one of the four is given:
 *  - timeWindow: windows of this length (stream time unit), `overlap` in the same unit;
 *  - eventCount: windows of this many events, `overlap` in events;
 *  - nTimeBins: this many equal time windows spanning the stream, `overlap` a fraction in [0, 1);
 *  - nEventBins: this many equal event-count windows, `overlap` a fraction in [0, 1).
 */
export interface SliceSpec {
  timeWindow?: number;
  eventCount?: number;
  nTimeBins?: number;
  nEventBins?: number;
  overlap?: number;
  /** Keep a last, partial window (timeWindow / eventCount only; default false). */
  includeIncomplete?: boolean;
}

/** Index ranges [starts[k], ends[k]) of the windows. */
export interface Slices {
  starts: Uint32Array;
  ends: Uint32Array;
}

export function checkSliceSpec(who: string, s: SliceSpec): void {
  const given = [s.timeWindow, s.eventCount, s.nTimeBins, s.nEventBins].filter((v) => v !== undefined).length;
  if (given !== 1) throw new ConfigError(`${who}: give exactly one of timeWindow, eventCount, nTimeBins, nEventBins (got ${given})`);
  const ov = s.overlap ?? 0;
  if (s.timeWindow !== undefined) {
    checkPositive(who, 'timeWindow', s.timeWindow);
    if (!(ov >= 0 && ov < s.timeWindow)) throw new ConfigError(`${who}: overlap must be in [0, timeWindow), got ${ov}`);
  }
  if (s.eventCount !== undefined) {
    checkPositive(who, 'eventCount', s.eventCount, true);
    if (!(Number.isInteger(ov) && ov >= 0 && ov < s.eventCount)) throw new ConfigError(`${who}: overlap must be an integer in [0, eventCount), got ${ov}`);
  }
  for (const [k, v] of [['nTimeBins', s.nTimeBins], ['nEventBins', s.nEventBins]] as const) {
    if (v === undefined) continue;
    checkPositive(who, k, v, true);
    if (!(ov >= 0 && ov < 1)) throw new ConfigError(`${who}: overlap with ${k} is a fraction in [0, 1), got ${ov}`);
  }
}

export function sliceParams(s: SliceSpec): Record<string, number | boolean | null> {
  return {
    timeWindow: s.timeWindow ?? null,
    eventCount: s.eventCount ?? null,
    nTimeBins: s.nTimeBins ?? null,
    nEventBins: s.nEventBins ?? null,
    overlap: s.overlap ?? 0,
    includeIncomplete: s.includeIncomplete ?? false,
  };
}

/** Cut a sorted stream into windows following `spec` (binary searches; no per-event work). */
export function computeSlices(s: EventStream, spec: SliceSpec): Slices {
  const n = s.t.length;
  const ov = spec.overlap ?? 0;
  const t0 = n > 0 ? s.t[0]! : 0;
  const D = n > 0 ? s.t[n - 1]! - t0 : 0;
  let K: number;
  const starts: number[] = [], ends: number[] = [];
  if (spec.timeWindow !== undefined || spec.nTimeBins !== undefined) {
    let w: number, stride: number;
    let lastInclusive = false;
    if (spec.timeWindow !== undefined) {
      w = spec.timeWindow;
      stride = w - ov;
      const r = Math.max(0, D - w) / stride;
      K = (spec.includeIncomplete ? Math.ceil(r) : Math.floor(r)) + 1;
    } else {
      K = spec.nTimeBins!;
      // K windows of length w, stride w(1-ov), exactly covering [t0, t0 + D].
      w = D / (1 + (K - 1) * (1 - ov));
      stride = w * (1 - ov);
      lastInclusive = true;
    }
    for (let k = 0; k < K; k++) {
      const a = t0 + k * stride;
      starts.push(lowerBound(s.t, a));
      // The last bin of nTimeBins includes the final stamp (its end equals it).
      ends.push(lastInclusive && k === K - 1 ? n : lowerBound(s.t, w === 0 ? a + Number.MIN_VALUE : a + w));
    }
  } else {
    let c: number, stride: number;
    if (spec.eventCount !== undefined) {
      c = spec.eventCount;
      stride = c - ov;
      const r = Math.max(0, n - c) / stride;
      K = (spec.includeIncomplete ? Math.ceil(r) : Math.floor(r)) + 1;
      if (n < c && !spec.includeIncomplete) K = 0;
    } else {
      K = spec.nEventBins!;
      c = n / (1 + (K - 1) * (1 - ov));
      stride = c * (1 - ov);
    }
    for (let k = 0; k < K; k++) {
      const a = Math.floor(k * stride);
      starts.push(Math.min(n, a));
      ends.push(k === K - 1 && spec.nEventBins !== undefined ? n : Math.min(n, Math.floor(k * stride + c)));
    }
  }
  return { starts: Uint32Array.from(starts), ends: Uint32Array.from(ends) };
}
