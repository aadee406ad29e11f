import type { Rng } from '../tensor/rng.js';
import { uniform } from '../tensor/create.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * PyTorch's default for Linear/Conv weights and biases: U(-1/√fan_in, 1/√fan_in)
 * (kaiming_uniform with a=√5 reduces to this bound), so results are comparable.
 */
export function defaultUniform(shape: Shape, fanIn: number, rng: Rng): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(shape, rng, -bound, bound);
}
