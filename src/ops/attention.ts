import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten, scratchOutput } from './util.js';

/*
 * Spiking-transformer ops on channel-major token maps: a sequence is
 * `[T, B, C, ...spatial]` (the output of a conv stack, N = the product of the
 * spatial sizes is the token count), so Q, K, V come out of 1×1 convolutions
 * and the batch norms around them are the ordinary per-channel ones.
 * Equations: docs/equations.md §"Spiking self-attention"; kernels:
 * backend/kernels/attention.ts.
 */

/** [T, B, C, ...] → R = T·B rows, C channels, N tokens. */
function tokenDims(op: string, x: Tensor): { R: number; C: number; N: number } {
  if (x.ndim < 3) throw new ShapeError(`${op}: expected [T, B, C, ...tokens], got ${fmtShape(x.shape)}`);
  return { R: x.shape[0]! * x.shape[1]!, C: x.shape[2]!, N: sizeOf(x.shape.slice(3)) };
}

function same(op: string, a: Tensor, b: Tensor, an: string, bn: string): void {
  if (!shapeEq(a.shape, b.shape)) throw new ShapeError(`${op}: ${an} ${fmtShape(a.shape)} and ${bn} ${fmtShape(b.shape)} differ`);
}

/**
 * Softmax-free spiking self-attention (Spikformer's SSA; Meta-SpikeFormer's
 * SDSA-3): per head, out = scale·(Q Kᵀ) V in token-major terms, computed as
 * Q (Kᵀ V), which is linear in the number of tokens. q, k, v: `[T, B, C, ...]`
 * with C = heads·dh, head h owning channels h·dh … (h + 1)·dh − 1 (the
 * reference's reshape of C into (heads, dh)).
 */
export function linearAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number): Tensor {
  const op = 'linearAttention';
  same(op, q, k, 'q', 'k');
  same(op, q, v, 'q', 'v');
  const { R, C, N } = tokenDims(op, q);
  if (!Number.isInteger(heads) || heads < 1 || C % heads !== 0) throw new ShapeError(`${op}: ${C} channels do not split into ${heads} heads`);
  const dh = C / heads;
  const be = q.backend;
  const G = scratchOutput(be, R * heads * dh * dh);
  const out = emptyOverwritten(be, q.shape);
  be.linearAttentionForward(R, heads, dh, N, scale, q.storage, k.storage, v.storage, G, out.storage);
  record(op, [q, k, v], [out], ([g]) => {
    const dq = q.requiresGrad ? emptyOverwritten(be, q.shape) : null;
    const dk = k.requiresGrad ? emptyOverwritten(be, k.shape) : null;
    const dv = v.requiresGrad ? emptyOverwritten(be, v.shape) : null;
    be.linearAttentionBackward(R, heads, dh, N, scale, q.storage, k.storage, v.storage, G, g!.storage, dq?.storage ?? null, dk?.storage ?? null, dv?.storage ?? null);
    return [dq, dk, dv];
  }, [G]);
  return out;
}

/**
 * Σ over tokens of a ⊙ b per channel: `[T, B, C, ...]` × 2 → `[T, B, C]`
 * (the Spike-driven Transformer's SDSA: the column sum of K ⊙ V, which a LIF
 * then turns into a channel mask).
 */
export function tokenDot(a: Tensor, b: Tensor): Tensor {
  const op = 'tokenDot';
  same(op, a, b, 'a', 'b');
  const { R, C, N } = tokenDims(op, a);
  const be = a.backend;
  const out = emptyOverwritten(be, a.shape.slice(0, 3));
  be.rowDot(R * C, N, a.storage, b.storage, out.storage);
  record(op, [a, b], [out], ([g]) => {
    // d/da = g[r]·b[r, n], d/db = g[r]·a[r, n]: the same broadcast product as channelMask's forward.
    const da = a.requiresGrad ? emptyOverwritten(be, a.shape) : null;
    if (da) be.rowScale(R * C, N, b.storage, g!.storage, da.storage);
    const db = b.requiresGrad ? emptyOverwritten(be, b.shape) : null;
    if (db) be.rowScale(R * C, N, a.storage, g!.storage, db.storage);
    return [da, db];
  });
  return out;
}

/**
 * x ⊙ m broadcast over tokens: x `[T, B, C, ...]`, m `[T, B, C]` (SDSA's
 * channel mask applied to Q). Spikes times a spike mask stay spikes.
 */
export function channelMask(x: Tensor, m: Tensor): Tensor {
  const op = 'channelMask';
  const { R, C, N } = tokenDims(op, x);
  if (!shapeEq(m.shape, x.shape.slice(0, 3))) throw new ShapeError(`${op}: mask ${fmtShape(m.shape)} does not match ${fmtShape(x.shape.slice(0, 3))} of x ${fmtShape(x.shape)}`);
  const be = x.backend;
  const out = emptyOverwritten(be, x.shape, x.binary && m.binary);
  be.rowScale(R * C, N, x.storage, m.storage, out.storage);
  record(op, [x, m], [out], ([g]) => {
    const dx = x.requiresGrad ? emptyOverwritten(be, x.shape) : null;
    if (dx) be.rowScale(R * C, N, g!.storage, m.storage, dx.storage);
    const dm = m.requiresGrad ? emptyOverwritten(be, m.shape) : null;
    if (dm) be.rowDot(R * C, N, x.storage, g!.storage, dm.storage);
    return [dx, dm];
  });
  return out;
}

/**
 * Layer normalisation over the channels of each token: `[T, B, C, ...]`,
 * statistics over C for every (t, b, token); γ, β of C values (or null).
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  const { R, C, N } = tokenDims(op, x);
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p && !(p.ndim === 1 && p.shape[0] === C)) throw new ShapeError(`${op}: ${name} ${fmtShape(p.shape)} must be [${C}] for input ${fmtShape(x.shape)}`);
  }
  const be = x.backend;
  const stats = be.alloc(2 * R * N);
  const y = emptyOverwritten(be, x.shape);
  be.layerNormForward(R, C, N, eps, x.storage, weight?.storage ?? null, bias?.storage ?? null, stats, y.storage);
  record(op, [x, weight, bias], [y], ([g]) => {
    const dx = empty(be, x.shape);
    const dw = weight && weight.requiresGrad ? empty(be, weight.shape) : null;
    const db = bias && bias.requiresGrad ? empty(be, bias.shape) : null;
    be.layerNormBackward(R, C, N, x.storage, weight?.storage ?? null, stats, g!.storage, dx.storage, dw?.storage ?? null, db?.storage ?? null);
    return [x.requiresGrad ? dx : null, dw, db];
  }, [stats]);
  return y;
}

/**
 * Mean over the tokens of each channel: `[T, B, C, ...]` → `[T, B, C]`
 * (the transformers' head). A GEMV against a ones vector, so it runs on each
 * backend's GEMM; the backward is the outer product g·1ᵀ/N.
 */
export function tokenMean(x: Tensor): Tensor {
  const { R, C, N } = tokenDims('tokenMean', x);
  const be = x.backend;
  const M = R * C;
  const ones = be.alloc(N);
  be.fill(ones, 1);
  const out = emptyOverwritten(be, x.shape.slice(0, 3));
  be.gemm(false, false, M, 1, N, 1 / N, x.storage, 0, ones, 0, 0, out.storage, 0);
  record('tokenMean', [x], [out], ([g]) => {
    const dx = emptyOverwritten(be, x.shape);
    be.gemm(false, false, M, N, 1, 1 / N, g!.storage, 0, ones, 0, 0, dx.storage, 0);
    return [dx];
  });
  return out;
}
