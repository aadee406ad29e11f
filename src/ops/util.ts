import type { Backend } from '../backend/backend.js';
import type { Storage } from '../backend/storage.js';
import { Tensor } from '../tensor/tensor.js';
import type { Shape } from '../tensor/shape.js';
import { sizeOf } from '../tensor/shape.js';

/** A fresh zeroed tensor on a backend (internal helper for ops). */
export function empty(backend: Backend, shape: Shape, binary = false): Tensor {
  return new Tensor(backend.alloc(sizeOf(shape)), shape, { backend, binary });
}

/** Raw storage whose contents are unspecified (Backend.allocUninit), under the same rule as emptyOverwritten. */
export function scratchOutput(backend: Backend, n: number): Storage {
  return backend.allocUninit ? backend.allocUninit(n) : backend.alloc(n);
}

/**
 * A tensor whose contents are unspecified (Backend.allocUninit): only for an
 * output the very next kernel overwrites in full, never for one it accumulates into.
 */
export function emptyOverwritten(backend: Backend, shape: Shape, binary = false): Tensor {
  return new Tensor(scratchOutput(backend, sizeOf(shape)), shape, { backend, binary });
}

/**
 * A copy of a tensor's numbers in fresh storage of `backend` (which may be
 * another backend than the tensor's): what a compiled plan keeps of a weight,
 * so it does not follow later changes to the tensor.
 */
export function storageCopy(backend: Backend, t: Tensor): Storage {
  const s = backend.alloc(t.size);
  // Same backend: a kernel copy (a wasm view taken before the allocation could be stale).
  if (t.backend === backend) backend.copy(t.storage, 0, s, 0, t.size);
  else s.data.set(t.data);
  return s;
}
