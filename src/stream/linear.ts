import type { Backend } from '../backend/backend.js';
import type { Storage } from '../backend/storage.js';
import { storageCopy } from '../ops/util.js';
import type { Tensor } from '../tensor/tensor.js';
import { slotDensity, type Slot, type Stage } from './stage.js';

/**
 * y = x·Wᵀ + b over M rows (batch × leading feature dims) of K features.
 * The same kernels as the `linear` op, with Wᵀ transposed once here instead of
 * on every call: that transpose is why the op needs 8 rows before it goes
 * event-driven, so here spikes below the backend's crossover take `eventGemm`
 * at any batch (a spike adds one contiguous row of Wᵀ; at batch 1 and 15 %
 * input spikes that is 1/7 of the weights read by the dense product), and
 * everything else the dense GEMM. Weights are copies taken at compile time.
 */
export function linearStage(be: Backend, where: string, weight: Tensor, bias: Tensor | null, M: number, input: Slot, out: Slot): Stage {
  const [N, K] = weight.shape as [number, number];
  const W = storageCopy(be, weight);
  const Wt = be.alloc(K * N);
  be.transpose(N, K, W, Wt);
  const b: Storage | null = bias ? storageCopy(be, bias) : null;
  const paths = { event: 0, dense: 0 };
  const threshold = be.eventDensityThreshold;
  return {
    where,
    op: 'linear',
    paths,
    run() {
      const x = input.storage, y = out.storage;
      if (input.binary && slotDensity(be, input, M * K) < threshold) {
        be.eventGemm(M, N, K, x, Wt, 0, y);
        paths.event++;
      } else {
        be.gemm(false, true, M, N, K, 1, x, 0, W, 0, 0, y, 0);
        paths.dense++;
      }
      if (b) be.addRowVector(M, N, y, b);
    },
    storages: () => [W, Wt, ...(b ? [b] : []), out.storage],
  };
}
