import { backward } from '../../src/autograd/tape.js';
import { DELAY_INTERP } from '../../src/backend/kernels/delay.js';
import { delayConv, delayKernel } from '../../src/ops/delay.js';
import { randn, uniform } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { density, rateInput } from './net.js';

/*
 * (h) A learnable-delay layer (DCLS, Hammouamri et al. 2024) at the SHD
 * reference configuration: T = 100 input steps plus a tail of 12 (⌊K/2⌋),
 * I = 140 inputs, O = 256 outputs, K = 25 taps, Gaussian kernel. One
 * iteration builds the kernel from the weights and positions, runs the causal
 * delay convolution forward, and backward to the input, the weights and the
 * positions (dX, dW, dP) from a fixed output gradient. The input is a hidden
 * layer's spikes at ~10 % density. bench/reference/torch_lif.py does the same
 * with DCLS's Gaussian construction and F.conv1d on the left-padded input.
 *
 * Counted: 2·T·B·O·I·K per convolution pass (forward, dX, dK), as the
 * nominal dense figure (the padded conv1d of the reference multiplies
 * (T + tail)·K taps, 12 % more; the K-GEMM form skips the taps that fall
 * outside the sequence, 3 % fewer); kernel construction 12 flops and one exp
 * per synapse and tap forward, 16 backward (not counted in the GEMM rate).
 */

export const DELAY_SHD = { T: 100, tail: 12, I: 140, O: 256, K: 25 } as const;
const BATCHES = [32, 128] as const;

export function delayConvFlops(T: number, B: number, I: number, O: number, K: number): number {
  return 3 * 2 * T * B * O * I * K;
}

export async function runDelay(ctx: BenchContext): Promise<CaseResult[]> {
  const { T, tail, I, O, K } = DELAY_SHD;
  const be = ctx.backend;
  const out: CaseResult[] = [];
  for (const B of BATCHES) {
    // The TypeScript reference takes seconds per iteration at B = 128: the smaller batch is enough there.
    if (B > 32 && be.name === 'ts') continue;
    const rng = new Rng(11);
    const bound = Math.sqrt(6 / I);
    const w = uniform([O, I], rng, -bound, bound, { backend: be, requiresGrad: true });
    const p = uniform([O, I], rng, -(K >> 1), K >> 1, { backend: be, requiresGrad: true });
    const xs = rateInput(be, T, B, I, 0.1, 23);
    const x = xs.detach();
    x.requiresGrad = true;
    const gy = randn([T + tail, B, O], rng, 1, { backend: be });
    const keep = (): Tensor[] => [w, p, x, xs, gy];
    const step = (): void =>
      runInStepScope([be], keep, () => {
        w.grad = p.grad = x.grad = null;
        const kernel = delayKernel(w, p, { K, interp: DELAY_INTERP.gauss, sigma: K >> 1 });
        const y = delayConv(x, kernel, tail);
        backward(y, gy);
        w.grad = p.grad = x.grad = null;
      });
    const timing = reps(ctx, 'medium');
    const stats = await measureOn(ctx, step, timing);
    const flops = delayConvFlops(T, B, I, O, K);
    const work: WorkCount = { flops, denseFlops: flops, bytes: null, note: '3 passes of 2·T·B·O·I·K (forward, dX, dK); kernel build and its backward not counted' };
    out.push(
      makeResult(
        ctx,
        { workload: 'h', case: `delay-fwd-bwd-b${B}`, title: `delay layer 140→256, K=25, T=100+12, B=${B}: kernel + conv fwd + bwd (dX, dW, dP)`, samplesPerIter: B, timing, extra: { inputDensity: +density(xs).toFixed(4) } },
        stats,
        work,
      ),
    );
  }
  return out;
}
