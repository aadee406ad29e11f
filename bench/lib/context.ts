import type { Backend } from '../../src/backend/backend.js';
import type { MeasureOptions, TimingStats } from './timing.js';
import type { CaseResult, WorkCount, WorkloadId } from './types.js';

/** What every workload receives. */
export interface BenchContext {
  backend: Backend;
  /** Name in the results (the backend's, or e.g. native-2t for a thread variant). */
  label: string;
  quick: boolean;
  peakGflops: number;
  /** Progress lines (stderr), so stdout stays a clean table or JSON. */
  log: (line: string) => void;
}

/** Repetitions for a case: `heavy` cases (≥ ~1 s per iteration on the ts backend) get fewer there. */
export function reps(ctx: BenchContext, kind: 'heavy' | 'medium' | 'light'): MeasureOptions {
  if (ctx.quick) return { warmup: kind === 'light' ? 1 : 0, reps: kind === 'light' ? 2 : 1 };
  // Heavy cases take seconds per iteration only on the TypeScript reference; the
  // fast backends get more repetitions, since a shared machine's noise is large.
  if (kind === 'heavy') return ctx.backend.name === 'ts' ? { warmup: 1, reps: 3 } : { warmup: 2, reps: 9 };
  if (kind === 'medium') return { warmup: 1, reps: 5 };
  return { warmup: 2, reps: 7 };
}

export interface CaseInfo {
  workload: WorkloadId;
  case: string;
  title: string;
  samplesPerIter: number;
  timing: MeasureOptions;
  extra?: Record<string, number | string | boolean>;
  /** Compare with this PyTorch case (default: the case's own id). */
  torchCase?: string;
}

export function makeResult(ctx: BenchContext, info: CaseInfo, stats: TimingStats, work: WorkCount): CaseResult {
  const sec = stats.medianMs / 1000;
  const gflops = work.flops / sec / 1e9;
  const r: CaseResult = {
    workload: info.workload,
    case: info.case,
    ...(info.torchCase ? { torchCase: info.torchCase } : {}),
    title: info.title,
    backend: ctx.label,
    reps: stats.samplesMs.length,
    warmup: info.timing.warmup,
    medianMs: stats.medianMs,
    minMs: stats.minMs,
    maxMs: stats.maxMs,
    samplesPerIter: info.samplesPerIter,
    samplesPerSec: info.samplesPerIter / sec,
    work,
    gflops,
    peakFraction: gflops / ctx.peakGflops,
    gbPerSec: work.bytes === null ? null : work.bytes / sec / 1e9,
    extra: info.extra ?? {},
    torch: null,
  };
  ctx.log(`  ${r.backend} ${r.workload}.${r.case}: ${r.medianMs.toFixed(2)} ms (min ${r.minMs.toFixed(2)}, max ${r.maxMs.toFixed(2)}, ${r.reps} reps)`);
  return r;
}
