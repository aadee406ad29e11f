import { reshape } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Direct coding: the analog input `[B, ...]` becomes `[1, B, ...]` — a single
 * time step, deliberately NOT repeated T times. The model's first layers are
 * stateless (Linear/Conv/BN), so they run once on this one step, and a
 * `RepeatTime(T)` module placed before the first neuron layer (src/nn/repeat-time.ts)
 * repeats their output: same numbers as feeding T copies, T times fewer MACs,
 * and the energy model counts it that way. Shares storage with the input (no
 * copy) and is differentiable (it is a reshape).
 */
export function directEncode(x: Tensor): Tensor {
  return reshape(x, [1, ...x.shape]);
}
