import type { Backend } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import type { Shape } from '../tensor/shape.js';
import { sizeOf } from '../tensor/shape.js';

/** A fresh zeroed tensor on a backend (internal helper for ops). */
export function empty(backend: Backend, shape: Shape, binary = false): Tensor {
  return new Tensor(backend.alloc(sizeOf(shape)), shape, { backend, binary });
}
