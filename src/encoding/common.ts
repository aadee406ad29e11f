import type { Backend } from '../backend/backend.js';
import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Floats } from '../backend/storage.js';

/** 2^32: maps a probability onto the range of Rng.nextU32 for integer Bernoulli tests. */
export const U32_RANGE = 4294967296;

/** Where the output tensor lives: an explicit backend, else the input's. */
export interface EncodeOptions {
  backend?: Backend;
}

export function checkSteps(where: string, T: number): void {
  if (!Number.isInteger(T) || T < 1) throw new ConfigError(`${where}: number of time steps T must be a positive integer, got ${T}`);
}

/** The input's numbers; encoders need at least a batch axis. */
export function inputData(where: string, x: Tensor, minRank = 1): Floats {
  // Plain JavaScript (or a cast) can hand over the raw pixels; say how to wrap them.
  const raw: unknown = x;
  if (!(raw instanceof Tensor)) {
    const what = Array.isArray(raw) ? 'an array' : ArrayBuffer.isView(raw) ? `a ${raw.constructor.name}` : raw === null ? 'null' : typeof raw;
    throw new ShapeError(`${where}: the input must be a Tensor [B, ...features], got ${what}: wrap the values first, e.g. tensor(values, [batch, features]) (import { tensor } from 'spikeflow')`);
  }
  if (x.ndim < minRank) throw new ShapeError(`${where}: input needs at least ${minRank} dimension(s), got ${fmtShape(x.shape)}`);
  return x.data;
}

/** A zeroed output tensor; `data` must be taken right after (no backend call in between). */
export function output(shape: Shape, binary: boolean, x: Tensor, opts?: EncodeOptions): Tensor {
  const backend = opts?.backend ?? x.backend;
  return new Tensor(backend.alloc(sizeOf(shape)), shape, { backend, binary });
}

/**
 * Bernoulli probabilities as u32 thresholds: a step spikes when
 * `nextU32() < thr`. 0 means never (no random draw is spent), U32_RANGE means
 * always (again no draw), so all-zero MNIST borders cost nothing.
 */
export function probabilityThresholds(p: Float64Array): Float64Array {
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    p[i] = v > 0 ? (v >= 1 ? U32_RANGE : v * U32_RANGE) : 0;
  }
  return p;
}
