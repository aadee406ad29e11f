import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { emptyOverwritten } from './util.js';

/*
 * Language-model losses over logits `[T, B, V]` (T tokens, B sequences, V the
 * vocabulary) with one target token per (t, b): the next-token cross-entropy
 * and RWKV's L2Wrap regulariser (docs/spikegpt.md).
 */

type Arr = Float32Array | Float64Array;

function rows(op: string, logits: Tensor, targets: Int32Array): { N: number; V: number } {
  if (logits.ndim !== 3) throw new ShapeError(`${op}: logits must be [T, B, vocab], got ${fmtShape(logits.shape)}`);
  const N = logits.shape[0]! * logits.shape[1]!;
  const V = logits.shape[2]!;
  if (targets.length !== N) throw new ShapeError(`${op}: ${targets.length} targets for ${N} positions of logits ${fmtShape(logits.shape)}`);
  for (let i = 0; i < N; i++) {
    const y = targets[i]!;
    if (y < 0 || y >= V) throw new ShapeError(`${op}: target ${y} at position ${i} is outside [0, ${V})`);
  }
  return { N, V };
}

/**
 * Mean next-token cross-entropy in nats over the T·B positions: mean of
 * logsumexp(z) − z[y]. Softmax rows are recomputed in the backward (V is small
 * next to the model's activations, and nothing is kept but the logits).
 */
export function tokenCrossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  const op = 'tokenCrossEntropy';
  const { N, V } = rows(op, logits, targets);
  const Z = logits.data as Arr;
  const be = logits.backend;
  let total = 0;
  for (let i = 0; i < N; i++) {
    const off = i * V;
    let m = -Infinity;
    for (let j = 0; j < V; j++) if (Z[off + j]! > m) m = Z[off + j]!;
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(Z[off + j]! - m);
    total += m + Math.log(s) - Z[off + targets[i]!]!;
  }
  const out = emptyOverwritten(be, []);
  (out.data as Arr)[0] = N > 0 ? total / N : 0;
  record(op, [logits], [out], ([g]) => {
    const scale = (g!.data as Arr)[0]! / N;
    const dz = emptyOverwritten(be, logits.shape);
    const Zg = logits.data as Arr, D = dz.data as Arr;
    for (let i = 0; i < N; i++) {
      const off = i * V;
      let m = -Infinity;
      for (let j = 0; j < V; j++) if (Zg[off + j]! > m) m = Zg[off + j]!;
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(Zg[off + j]! - m);
      for (let j = 0; j < V; j++) D[off + j] = (scale * Math.exp(Zg[off + j]! - m)) / s;
      D[off + targets[i]!]! -= scale;
    }
    return [dz];
  });
  return out;
}

/**
 * RWKV's L2Wrap: adds 0 to the loss, and in the backward pushes each
 * position's largest logit down by `coefficient`/N times its value (N = T·B
 * positions), the gradient of coefficient·Σ max(z)²/(2N). It keeps the
 * logits from growing without bound, which bf16/fp16 training needed and a
 * sharper softmax costs nothing in the loss. Returns a scalar 0 whose
 * gradient reaches the logits.
 */
export function l2wrap(logits: Tensor, coefficient: number): Tensor {
  const op = 'l2wrap';
  if (logits.ndim !== 3) throw new ShapeError(`${op}: logits must be [T, B, vocab], got ${fmtShape(logits.shape)}`);
  const N = logits.shape[0]! * logits.shape[1]!;
  const V = logits.shape[2]!;
  const be = logits.backend;
  const out = emptyOverwritten(be, []);
  (out.data as Arr)[0] = 0;
  record(op, [logits], [out], ([g]) => {
    const gs = (g!.data as Arr)[0]!;
    const dz = emptyOverwritten(be, logits.shape);
    const Z = logits.data as Arr, D = dz.data as Arr;
    D.fill(0);
    for (let i = 0; i < N; i++) {
      const off = i * V;
      let jm = 0;
      for (let j = 1; j < V; j++) if (Z[off + j]! > Z[off + jm]!) jm = j;
      D[off + jm] = (gs * coefficient * Z[off + jm]!) / N;
    }
    return [dz];
  });
  return out;
}
