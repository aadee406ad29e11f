import { benchEventTransforms } from '../../src/data/events/bench.js';
import { makeResult, type BenchContext } from '../lib/context.js';
import { summarize } from '../lib/timing.js';
import type { CaseResult } from '../lib/types.js';

/*
 * (g) Event-data representations: ToFrame and ToVoxelGrid on one million
 * random events from a 346×260 sensor (DAVIS346 size), timed by
 * benchEventTransforms (src/data/events/bench.ts: one warm-up, then the
 * median of the timed runs). These are plain typed-array loops with no
 * backend kernel, so the suite runs them once, not per backend. The target
 * (issue 5) is under 50 ms per million events.
 */

export const EVENTS_TARGET_MS = 50;
const EVENTS = 1_000_000;

/** Operations per event counted for each case: ToFrame one increment; ToVoxelGrid τ (4), weights (2), two adds. */
const OPS_PER_EVENT: Record<string, number> = { 'ToFrame(nTimeBins=10)': 1, 'ToFrame(timeWindow=50000us)': 1, 'ToVoxelGrid(10)': 8 };

/** `ToFrame(nTimeBins=10)` → `toframe-ntimebins-10`: a stable id for reports. */
function caseId(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function runEvents(ctx: BenchContext): CaseResult[] {
  const runs = ctx.quick ? 1 : 7;
  return benchEventTransforms(EVENTS, runs).map((r) => {
    const stats = summarize(r.samplesMs);
    const ops = (OPS_PER_EVENT[r.name] ?? 1) * r.events;
    const msPerMillion = (r.ms * 1e6) / r.events;
    const result = makeResult(
      ctx,
      {
        workload: 'g',
        case: caseId(r.name),
        title: `${r.name} on ${r.events.toLocaleString('en-US')} events, 346×260 sensor`,
        samplesPerIter: 1,
        timing: { warmup: 1, reps: runs },
        extra: { events: r.events, msPer1MEvents: +msPerMillion.toFixed(2), targetMs: EVENTS_TARGET_MS, meetsTarget: msPerMillion < EVENTS_TARGET_MS },
      },
      stats,
      { flops: ops, denseFlops: ops, bytes: null, note: `${OPS_PER_EVENT[r.name] ?? 1} operation(s) per event (typed-array loop, backend-independent); samples/s = recordings of ${r.events} events per second` },
    );
    // No backend kernel runs here: label the row so it is not read as a backend's result.
    return { ...result, backend: 'none' };
  });
}
