import type { Tensor } from '../tensor/tensor.js';

/**
 * One recorded operation on the tape. Coarse by design: a whole matmul, a
 * neuron scan over all T steps or a loss is one node with a hand-written
 * backward, so the tape stays short and backward can be fused like forward.
 */
export interface Node {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  /**
   * Given the gradient of each output (null where the output did not reach the
   * loss), return the gradient of each input (null where not needed). Must not
   * write into the gradients it receives. Released after use.
   */
  backward: ((gradOutputs: (Tensor | null)[]) => (Tensor | null)[]) | null;
}
