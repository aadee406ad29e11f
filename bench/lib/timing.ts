import { collectGarbage } from './gc.js';

/**
 * Wall-clock measurement: warm-up runs (JIT tiering, allocator and cache
 * warm-up) are discarded, then each repetition is timed on its own so the
 * median is robust against a GC pause or a noisy neighbour in one of them.
 */

export interface TimingStats {
  /** Milliseconds per iteration of every timed repetition, in run order. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface MeasureOptions {
  warmup: number;
  reps: number;
  /** Iterations inside one timed repetition (the result is per iteration); default 1. */
  inner?: number;
}

function now(): number {
  return performance.now();
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(samplesMs: number[]): TimingStats {
  return { samplesMs, medianMs: median(samplesMs), minMs: Math.min(...samplesMs), maxMs: Math.max(...samplesMs) };
}

/** Time `fn` (one iteration) after `warmup` untimed calls; `inner` calls make one repetition. */
export function measure(fn: () => void, o: MeasureOptions): TimingStats {
  const inner = Math.max(1, o.inner ?? 1);
  for (let i = 0; i < o.warmup; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < Math.max(1, o.reps); r++) {
    collectGarbage();
    const t0 = now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((now() - t0) / inner);
  }
  return summarize(samples);
}

/**
 * `measure` for a backend that computes asynchronously (webgpu): `fn` only
 * records and submits work, so every warm-up and every timed repetition ends
 * with `settle()`, which resolves once the device has finished everything
 * submitted so far. The wait is inside the timed interval: a repetition's
 * time is the time until its results exist, not until its commands were queued.
 */
export async function measureAsync(fn: () => void, o: MeasureOptions, settle: () => Promise<void>): Promise<TimingStats> {
  const inner = Math.max(1, o.inner ?? 1);
  for (let i = 0; i < o.warmup; i++) {
    fn();
    await settle();
  }
  const samples: number[] = [];
  for (let r = 0; r < Math.max(1, o.reps); r++) {
    collectGarbage();
    const t0 = now();
    for (let i = 0; i < inner; i++) fn();
    await settle();
    samples.push((now() - t0) / inner);
  }
  return summarize(samples);
}
