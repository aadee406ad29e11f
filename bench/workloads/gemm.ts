import type { Storage } from '../../src/backend/storage.js';
import { Rng } from '../../src/tensor/rng.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult } from '../lib/types.js';
import { BATCH, REDUCED_BATCH, SIZES, T } from './net.js';

/**
 * (a) The GEMM forms the 784-1000-10 net runs, called on the backend directly:
 *  - NT forward (x·Wᵀ, W stored [out, in] as linear keeps it) at B = 128 rows and at T·B = 3200 rows;
 *  - NN input gradient dX = dY·W at T·B rows;
 *  - TN weight gradient dW = dYᵀ·X at T·B rows.
 * FLOPs = 2·M·N·K (alpha = 1, beta = 0: no extra scaling pass). At the
 * reduced sizes (BenchContext.reduced) the batch is REDUCED_BATCH, and the
 * shapes in the case ids say so.
 */

interface GemmCase {
  name: string;
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
  samples: number;
  heavy: boolean;
}

export function gemmCases(batch = BATCH): GemmCase[] {
  const [IN, HID] = SIZES;
  const R = T * batch;
  return [
    { name: `gemm-nt-${batch}x${IN}x${HID}`, tA: false, tB: true, M: batch, N: HID, K: IN, samples: batch, heavy: false },
    { name: `gemm-nt-${R}x${IN}x${HID}`, tA: false, tB: true, M: R, N: HID, K: IN, samples: batch, heavy: true },
    { name: `gemm-nn-dX-${R}x${HID}x${IN}`, tA: false, tB: false, M: R, N: IN, K: HID, samples: batch, heavy: true },
    { name: `gemm-tn-dW-${HID}x${IN}x${R}`, tA: true, tB: false, M: HID, N: IN, K: R, samples: batch, heavy: true },
  ];
}

function randomStorage(ctx: BenchContext, n: number, rng: Rng): Storage {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-1, 1);
  return ctx.backend.fromArray(v);
}

export async function runGemm(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const rng = new Rng(11);
  const out: CaseResult[] = [];
  for (const c of gemmCases(ctx.reduced ? REDUCED_BATCH : BATCH)) {
    const A = randomStorage(ctx, c.M * c.K, rng);
    const B = randomStorage(ctx, c.K * c.N, rng);
    const C = be.alloc(c.M * c.N);
    const timing = reps(ctx, c.heavy ? 'heavy' : 'medium');
    const stats = await measureOn(ctx, () => be.gemm(c.tA, c.tB, c.M, c.N, c.K, 1, A, 0, B, 0, 0, C, 0), timing);
    const flops = 2 * c.M * c.N * c.K;
    const form = `${c.tA ? 'T' : 'N'}${c.tB ? 'T' : 'N'}`;
    out.push(
      makeResult(
        ctx,
        { workload: 'a', case: c.name, title: `${form} M=${c.M} N=${c.N} K=${c.K}`, samplesPerIter: c.samples, timing, extra: { M: c.M, N: c.N, K: c.K, form } },
        stats,
        { flops, denseFlops: flops, bytes: null, note: '2·M·N·K' },
      ),
    );
  }
  return out;
}
