import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { Tensor, type TensorOptions } from './tensor.js';
import { fmtShape, sizeOf, type Shape } from './shape.js';
import type { Rng } from './rng.js';

function be(opts?: TensorOptions): Backend {
  return opts?.backend ?? getBackend();
}

export function zeros(shape: Shape, opts?: TensorOptions): Tensor {
  const b = be(opts);
  return new Tensor(b.alloc(sizeOf(shape)), shape, { ...opts, backend: b });
}

export function full(shape: Shape, value: number, opts?: TensorOptions): Tensor {
  const t = zeros(shape, opts);
  if (value !== 0) t.backend.fill(t.storage, value);
  return t;
}

export function ones(shape: Shape, opts?: TensorOptions): Tensor {
  return full(shape, 1, opts);
}

/** A tensor from numbers (copied). Shape defaults to 1-D. */
export function tensor(values: ArrayLike<number>, shape?: Shape, opts?: TensorOptions): Tensor {
  const s = shape ?? [values.length];
  if (sizeOf(s) !== values.length) throw new ShapeError(`tensor(): ${values.length} values do not fit shape ${fmtShape(s)}`);
  const b = be(opts);
  return new Tensor(b.fromArray(values), s, { ...opts, backend: b });
}

export function scalar(value: number, opts?: TensorOptions): Tensor {
  return tensor([value], [], opts);
}

export function randn(shape: Shape, rng: Rng, std = 1, opts?: TensorOptions): Tensor {
  const n = sizeOf(shape);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = std * rng.normal();
  return tensor(v, shape, opts);
}

export function uniform(shape: Shape, rng: Rng, lo: number, hi: number, opts?: TensorOptions): Tensor {
  const n = sizeOf(shape);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(lo, hi);
  return tensor(v, shape, opts);
}

/** Copy a tensor to another backend (e.g. float32 → float64 for gradient checks). */
export function toBackend(t: Tensor, backend: Backend): Tensor {
  return new Tensor(backend.fromArray(t.storage.data), t.shape, { backend, binary: t.binary, requiresGrad: t.requiresGrad, name: t.name });
}
