import type { Backend } from '../../src/backend/backend.js';
import type { Storage } from '../../src/backend/storage.js';
import { SpikeflowError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { measure, measureAsync, type MeasureOptions, type TimingStats } from './timing.js';
import type { BenchNotRun, CaseResult, WorkCount, WorkloadId } from './types.js';

/** What every workload receives. */
export interface BenchContext {
  backend: Backend;
  /** Name in the results (the backend's, or e.g. native-2t for a thread variant; webgpu names its adapter). */
  label: string;
  quick: boolean;
  peakGflops: number;
  /**
   * Resolves when the device has finished all work submitted so far; null on
   * the CPU backends, whose kernels are done when they return. Timed
   * repetitions on a device backend end with it (measureOn).
   */
  settle: (() => Promise<void>) | null;
  /**
   * Run the reduced sizes: a software GPU adapter (SwiftShader) runs the
   * GEMMs ~1000× slower than a native core, so the full workloads would take
   * hours there. Each workload then shrinks its batch (or width) and says so
   * in its case ids, which therefore never match a PyTorch case.
   */
  reduced: boolean;
  /** Workload (k): the layer width n from --onm-neurons, or null for the default. */
  onmNeurons: number | null;
  /** Record a case (or, with case null, a workload) that did not run here, and why. */
  notRun: (entry: Omit<BenchNotRun, 'backend'>) => void;
  /** Progress lines (stderr), so stdout stays a clean table or JSON. */
  log: (line: string) => void;
}

/** Repetitions for a case: `heavy` cases (≥ ~1 s per iteration on the ts backend) get fewer there. */
export function reps(ctx: BenchContext, kind: 'heavy' | 'medium' | 'light'): MeasureOptions {
  if (ctx.quick) return { warmup: kind === 'light' ? 1 : 0, reps: kind === 'light' ? 2 : 1 };
  // A CPU-emulated GPU: one warm-up (it compiles each pipeline on first use), then one timed
  // repetition (three for the millisecond-scale kernels): a GEMM of the 784-1000-10 net takes
  // seconds there, and its times only show that the workload runs, not what a GPU would do.
  if (ctx.reduced) return kind === 'light' ? { warmup: 1, reps: 3 } : { warmup: 1, reps: 1 };
  // Heavy cases take seconds per iteration only on the TypeScript reference; the
  // fast backends get more repetitions, since a shared machine's noise is large.
  if (kind === 'heavy') return ctx.backend.name === 'ts' ? { warmup: 1, reps: 3 } : { warmup: 2, reps: 9 };
  if (kind === 'medium') return { warmup: 1, reps: 5 };
  return { warmup: 2, reps: 7 };
}

/** `measure`, or on a device backend `measureAsync` with the context's settle (device completion inside each timed repetition). */
export async function measureOn(ctx: BenchContext, fn: () => void, o: MeasureOptions): Promise<TimingStats> {
  return ctx.settle ? measureAsync(fn, o, ctx.settle) : measure(fn, o);
}

/**
 * runInStepScope for a body that awaits (device completion between phases):
 * the storages `fn` allocates are released when it settles, except those of
 * the tensors `keep()` lists then. Backends without scopes just run `fn`.
 */
export async function inStepScopeAsync<T>(be: Backend, keep: () => Iterable<Tensor>, fn: () => Promise<T>): Promise<T> {
  if (!be.beginScope || !be.endScope) return fn();
  be.beginScope();
  try {
    return await fn();
  } finally {
    const storages = new Set<Storage>();
    for (const t of keep()) storages.add(t.storage);
    be.endScope(storages);
  }
}

/**
 * Why `backend` refused the operation that threw `e`, or null when `e` is a
 * failure. A refusal is a backend without synchronous reads (webgpu) saying it has no kernel for an
 * operation (`... has no ... kernel ... yet`), or that a number or a view
 * would need a synchronous host read (`cannot return a number
 * synchronously`, `has no synchronous view`): the workload needs something
 * that backend does not offer, which is a fact to report, not a bug. A lost
 * device, a validation error or a released storage stay failures.
 */
export function refusalReason(backend: Backend, e: unknown): string | null {
  // Model layers re-throw a kernel's error as a ShapeError naming the layer (nn/builder.ts): any SpikeflowError counts.
  if (backend.syncRead || !(e instanceof SpikeflowError)) return null;
  return /has no .*kernel.* yet|cannot return a number synchronously|has no synchronous view/.test(e.message) ? e.message : null;
}

/**
 * Run one case; if the backend refuses it (refusalReason), record the
 * refusal and return null, so the workload's other cases still run. On a
 * device backend the work recorded before the refusal is waited for, so it
 * does not land in the next case's timing.
 */
export async function attempt<T>(ctx: BenchContext, workload: WorkloadId, caseId: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    const reason = refusalReason(ctx.backend, e);
    if (reason === null) throw e;
    await ctx.settle?.();
    ctx.notRun({ workload, case: caseId, status: 'refused', reason });
    ctx.log(`  ${ctx.label} ${workload}.${caseId}: refused (${reason})`);
    return null;
  }
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
