import { noGrad } from '../../src/autograd/tape.js';
import { runInStepScope } from '../../src/train/trainer.js';
import type { Backend } from '../../src/backend/backend.js';
import { linear, type LinearStats } from '../../src/ops/linear.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { attempt, makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult } from '../lib/types.js';
import { mlpBatch } from './mlp.js';
import { densityOf, rateInput, SIZES, T } from './net.js';

/*
 * (d) A [T·B = 3200, 784] spike matrix through a 784→1000 linear at three
 * densities: the backend's dense GEMM and event-driven kernel called directly
 * (W pre-transposed for the latter), then the linear op forced down each path.
 * The op adds what the kernels do not: counting nonzeros, the bias, and, on the
 * event path, transposing W on every call. Work counted: dense 2·M·N·K (+ M·N
 * bias), event-driven nnz·N additions (+ M·N bias). At the reduced sizes
 * the batch is (b)'s reduced one and the case ids end in -b<batch>. A case the
 * backend refuses (webgpu cannot count nonzeros synchronously, which the
 * forced event path does) is reported as refused; the others still run.
 */

export const DENSITIES = [0.02, 0.1, 0.3] as const;

/**
 * The same backend with another event-driven threshold: a prototype-chained
 * view, so every kernel is the backend's own and only the path choice changes.
 */
function withThreshold(be: Backend, threshold: number): Backend {
  const b = Object.create(be) as Backend;
  Object.defineProperty(b, 'eventDensityThreshold', { value: threshold, enumerable: true });
  return b;
}

export async function runDensity(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const { B: BATCH, suffix } = mlpBatch(ctx);
  const [K, N] = [SIZES[0], SIZES[1]];
  const M = T * BATCH;
  const rng = new Rng(13);
  const w = new Float32Array(N * K);
  const bound = 1 / Math.sqrt(K);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
  const bias = new Float32Array(N);
  for (let i = 0; i < N; i++) bias[i] = rng.uniform(-bound, bound);
  const W = be.fromArray(w);
  const Wt = be.alloc(K * N);
  be.transpose(N, K, W, Wt);
  const Y = be.alloc(M * N);
  const forcedDense = withThreshold(be, 0);
  const forcedEvent = withThreshold(be, 1.01);
  const out: CaseResult[] = [];
  // A software GPU adapter runs the middle density only: webgpu never takes the event path on its own,
  // so the sweep answers a CPU question, and each of its GEMMs takes seconds there.
  for (const p of ctx.reduced ? [DENSITIES[1]] : DENSITIES) {
    const xs = rateInput(be, T, BATCH, K, p, 17 + Math.round(p * 100));
    const X = xs.storage;
    const d = await densityOf(xs);
    const nnz = d * M * K;
    const pct = `${Math.round(p * 100)}pct`;
    const extra = { targetDensity: p, density: +d.toFixed(4) };
    const dense = 2 * M * N * K;
    const add = async (name: string, title: string, heavy: boolean, fn: () => void, flops: number, denseFlops: number, note: string, more: Record<string, string | boolean> = {}): Promise<void> => {
      const timing = reps(ctx, heavy ? 'heavy' : 'medium');
      const stats = await measureOn(ctx, fn, timing);
      out.push(makeResult(ctx, { workload: 'd', case: `${name}-${pct}${suffix}`, title: `${title}, density ${(d * 100).toFixed(1)}%`, samplesPerIter: BATCH, timing, extra: { ...extra, ...more } }, stats, { flops, denseFlops, bytes: null, note }));
    };
    await add('gemm-dense', 'backend gemm NT', true, () => be.gemm(false, true, M, N, K, 1, X, 0, W, 0, 0, Y, 0), dense, dense, '2·M·N·K');
    await add('gemm-event', 'backend eventGemm (Wᵀ given)', false, () => be.eventGemm(M, N, K, X, Wt, 0, Y), nnz * N, dense, 'nnz·N additions');
    for (const [mode, fb] of [['dense', forcedDense], ['event', forcedEvent]] as const) {
      const x = new Tensor(X, [M, K], { backend: fb, binary: true });
      const Wten = new Tensor(W, [N, K], { backend: fb });
      const bten = tensor(bias, [N], { backend: fb });
      const stats: LinearStats = { eventDriven: false, density: 1 };
      // In a step scope, as training runs it: the output and the transposed W are released after each call.
      const run = (): void => {
        runInStepScope([be], () => [], () => noGrad(() => linear(x, Wten, bten, stats)));
      };
      await attempt(ctx, 'd', `linear-${mode}-${pct}${suffix}`, async () => {
        run();
        if (stats.eventDriven !== (mode === 'event')) throw new Error(`bench (d): linear did not take the forced ${mode} path`);
        const flops = (mode === 'event' ? nnz * N : dense) + M * N;
        await add(`linear-${mode}`, `linear op forced ${mode}`, mode === 'dense', run, flops, dense + M * N, mode === 'event' ? 'nnz·N additions + M·N bias (W transpose and nonzero count not counted)' : '2·M·N·K + M·N bias', { path: mode });
      });
    }
  }
  return out;
}
