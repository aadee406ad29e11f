import { backward } from '../../src/autograd/tape.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { arctan } from '../../src/neurons/surrogate.js';
import { sum } from '../../src/ops/elementwise.js';
import { randn } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { collectGarbage } from '../lib/gc.js';
import { inStepScopeAsync, makeResult, type BenchContext } from '../lib/context.js';
import { summarize, type MeasureOptions } from '../lib/timing.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { densityOf, LIF_BWD_FLOPS, LIF_FWD_FLOPS } from './net.js';

/*
 * (k) The Open Neuromorphic "SNN library benchmarks" workload
 * (open-neuromorphic.org/blog/spiking-neural-network-framework-benchmarking;
 * the harness is docker/run_benchmark.py and utils.py beside that post in
 * github.com/open-neuromorphic/open-neuromorphic.github.io): one
 * Linear(n, n) with bias (torch.nn.Linear, its default uniform ±1/√n
 * initialisation) followed by one LIF layer, on an input of standard normal
 * numbers [T = 500, B = 16, n]. The forward pass is timed, then the loss
 * `output.sum()` and its backward pass are timed apart: each repetition
 * times its forward, then the backward through that forward's graph (the
 * harness instead re-runs backward on one retained graph; the work is the
 * same). Only the parameters need gradients: the input is data, so there is
 * no dX.
 *
 * The LIF is the harness's snnTorch model, `snntorch.Leaky(beta=0.95)` with
 * its defaults: θ = 1, subtract reset delayed by one step, no gradient
 * through the reset, arctan surrogate (α = 2), zero initial membrane. The
 * other libraries in the post use their own LIF variants (SpikingJelly
 * τ = 5 with a hard reset, Spyx without bias, ...); the timed work, one
 * n×n product over T·B rows and an elementwise scan, is the same.
 *
 * Width: the published figures are for n = 4096, 8192 and 16384 (RTX 4090,
 * PUBLISHED below). n = 16384 is 4.3 TFLOP per pass and a 1 GiB weight:
 * about a minute per pass on one core of the development machine, so the
 * default run uses n = 1024 (1/256 of the GEMM work; the case ids name n)
 * and --onm-neurons N runs any width, 16384 the published one. A software
 * GPU adapter (SwiftShader) runs n = 64 unless --onm-neurons is given.
 * Where a width cannot run (wasm past its 4 GiB memory, a webgpu buffer past
 * the adapter's limit, the ts reference past n = 2048, minutes per pass),
 * the rows say so instead of failing.
 *
 * Counted: forward 2·M·n² (GEMM, M = T·B) + M·n bias + 4·M·n LIF; backward
 * 2·M·n² (dW) + M·n (db) + 10·M·n LIF + 2·M·n (the sum and its gradient).
 * PyTorch (bench/reference/torch_lif.py, workload k) computes the same math:
 * nn.Linear over the whole [T, B, n] input, the LIF as a Python loop over T.
 */

export const ONM_T = 500;
export const ONM_B = 16;
/** The default width: 1/16 of the published 16384 (see above). */
export const ONM_DEFAULT_NEURONS = 1024;
/** The width a software GPU adapter runs unless --onm-neurons says otherwise. */
export const ONM_REDUCED_NEURONS = 64;
/** Past this width the TypeScript reference is skipped (n = 2048: ~17 s per pass at ~4 GFLOP/s). */
const TS_MAX_NEURONS = 2048;
/** wasm32's linear memory. */
const WASM_MAX_BYTES = 4 * 1024 ** 3;

/**
 * Published seconds per pass (docker/data.csv beside the post: NVIDIA RTX
 * 4090, 24 GB; float32 unless "fp16"), for the three libraries issue 16
 * compares with: the fastest custom-kernel library, the JAX one, and the
 * plain-PyTorch one whose model the LIF here reproduces.
 */
export const PUBLISHED: Record<number, { library: string; forwardS: number; backwardS: number }[]> = {
  4096: [
    { library: 'SpikingJelly 0.0.0.0.15, CuPy backend', forwardS: 0.00545, backwardS: 0.00451 },
    { library: 'Spyx 0.1.18, fp16', forwardS: 0.00198, backwardS: 0.0035 },
    { library: 'snnTorch 0.7.0', forwardS: 0.108, backwardS: 0.157 },
  ],
  8192: [
    { library: 'SpikingJelly 0.0.0.0.15, CuPy backend', forwardS: 0.0121, backwardS: 0.0293 },
    { library: 'Spyx 0.1.18, fp16', forwardS: 0.00661, backwardS: 0.00969 },
    { library: 'snnTorch 0.7.0', forwardS: 0.241, backwardS: 0.596 },
  ],
  16384: [
    { library: 'SpikingJelly 0.0.0.0.15, CuPy backend', forwardS: 0.0197, backwardS: 0.0984 },
    { library: 'Spyx 0.1.18, fp16', forwardS: 0.0191, backwardS: 0.0279 },
    { library: 'snnTorch 0.7.0', forwardS: 0.714, backwardS: 2.364 },
  ],
};

/** The width this context runs. */
export function onmNeurons(ctx: BenchContext): number {
  return ctx.onmNeurons ?? (ctx.reduced ? ONM_REDUCED_NEURONS : ONM_DEFAULT_NEURONS);
}

/** Smallest power of two ≥ x (the webgpu pool's bucket). */
function pow2(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Why this backend does not run width n, or null when it does. */
function cannotRun(ctx: BenchContext, n: number): { status: 'refused' | 'skipped'; reason: string } | null {
  const be = ctx.backend;
  const M = ONM_T * ONM_B;
  if (be.name === 'ts' && n > TS_MAX_NEURONS) {
    const minutes = (2 * M * n * n) / 4e9 / 60;
    return { status: 'skipped', reason: `the TypeScript reference would take ~${minutes.toFixed(0)} min per pass at n = ${n} (~4 GFLOP/s); time this width on native, wasm or webgpu` };
  }
  // W and dW, and about six [T·B, n] float32 arrays alive at once (input, current, membrane trace, spikes, their gradient, dcurrent).
  const bytes = 4 * (2 * n * n + 6 * M * n);
  if (be.name === 'wasm' && bytes > WASM_MAX_BYTES) {
    return { status: 'skipped', reason: `needs ~${(bytes / 1024 ** 3).toFixed(1)} GiB, more than wasm32's 4 GiB memory` };
  }
  if (be.name === 'webgpu' && 'adapter' in be) {
    const limit = (be as WebGpuBackend).adapter.maxBufferBytes;
    const biggest = pow2(4 * Math.max(n * n, M * n));
    if (biggest > limit) return { status: 'refused', reason: `a ${mib(biggest)} buffer (the pool's power-of-two bucket for the largest tensor) exceeds the adapter's ${mib(limit)} binding limit` };
  }
  return null;
}

function timingFor(ctx: BenchContext, n: number): MeasureOptions {
  if (ctx.quick) return { warmup: 0, reps: 1 };
  // A software GPU adapter at n = 64: seconds per pass, and these are the rows a GPU machine is after.
  if (ctx.reduced) return { warmup: 1, reps: 3 };
  // Seconds per pass: no warm-up on the ts reference (one 4 GFLOP/s GEMM has nothing to warm), and
  // at the published widths the harness's own minimum of three runs after one warm-up.
  if (ctx.backend.name === 'ts') return { warmup: 0, reps: 3 };
  if (n >= 4096) return { warmup: 1, reps: 3 };
  return { warmup: 1, reps: 7 };
}

export async function runOnm(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const n = onmNeurons(ctx);
  const T = ONM_T, B = ONM_B, M = T * B;
  const ids = { forward: `onm-forward-n${n}`, backward: `onm-backward-n${n}` };
  const why = cannotRun(ctx, n);
  if (why) {
    for (const c of [ids.forward, ids.backward]) ctx.notRun({ workload: 'k', case: c, ...why });
    ctx.log(`  ${ctx.label} k: ${why.status} at n = ${n} (${why.reason})`);
    return [];
  }
  const rng = new Rng(5);
  // Built on the default backend (the suite sets it to the one being timed).
  const model = new Sequential([
    new Linear(n, n, rng),
    new LIF(n, { beta: 0.95, threshold: 1, reset: 'subtract', resetDelay: true, detachReset: true, surrogate: arctan({ alpha: 2 }) }),
  ]);
  const params = model.parameters();
  const x = randn([T, B, n], new Rng(6), 1, { backend: be });
  const keep = () => [...model.allPersistentTensors(), x];
  const timing = timingFor(ctx, n);
  const fwd: number[] = [], bwd: number[] = [];
  let spikeDensity = NaN;
  const total = timing.warmup + timing.reps;
  for (let i = 0; i < total; i++) {
    collectGarbage();
    await inStepScopeAsync(be, keep, async () => {
      for (const p of params) p.grad = null;
      model.resetState();
      // Device completion (settle) ends each timed phase: on webgpu the calls only record work.
      const t0 = performance.now();
      const out = model.forward(x);
      await ctx.settle?.();
      const t1 = performance.now();
      backward(sum(out));
      await ctx.settle?.();
      const t2 = performance.now();
      if (i >= timing.warmup) {
        fwd.push(t1 - t0);
        bwd.push(t2 - t1);
      }
      if (i === total - 1) spikeDensity = await densityOf(out);
      model.resetState();
      for (const p of params) p.grad = null;
    });
  }
  const gemm = 2 * M * n * n;
  const fwdWork: WorkCount = {
    flops: gemm + M * n + LIF_FWD_FLOPS * M * n,
    denseFlops: gemm + M * n + LIF_FWD_FLOPS * M * n,
    bytes: null,
    note: `2·M·n² GEMM (M = T·B = ${M}) + M·n bias + ${LIF_FWD_FLOPS}·M·n LIF`,
  };
  const bwdWork: WorkCount = {
    flops: gemm + M * n + LIF_BWD_FLOPS * M * n + 2 * M * n,
    denseFlops: gemm + M * n + LIF_BWD_FLOPS * M * n + 2 * M * n,
    bytes: null,
    note: `2·M·n² dW + M·n db + ${LIF_BWD_FLOPS}·M·n LIF + 2·M·n sum and its gradient; no dX (the input is data)`,
  };
  const extra = (phase: 'forward' | 'backward'): Record<string, number | string> => {
    const out: Record<string, number | string> = { T, B, n, spikeDensity: +spikeDensity.toFixed(4) };
    for (const p of PUBLISHED[n] ?? []) out[`published ${p.library} (RTX 4090) s`] = phase === 'forward' ? p.forwardS : p.backwardS;
    return out;
  };
  const title = (phase: string): string => `${phase}, Linear(${n}→${n}) + LIF (snnTorch Leaky β=0.95), T=${T} B=${B}`;
  return [
    makeResult(ctx, { workload: 'k', case: ids.forward, title: title('forward'), samplesPerIter: B, timing, extra: extra('forward') }, summarize(fwd), fwdWork),
    makeResult(ctx, { workload: 'k', case: ids.backward, title: title('backward of output.sum()'), samplesPerIter: B, timing, extra: extra('backward') }, summarize(bwd), bwdWork),
  ];
}
