import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { WKV_EMPTY_PP } from '../backend/kernels/rwkv.js';
import { empty, emptyOverwritten, scratchOutput } from './util.js';

/*
 * The RWKV ops of SpikeGPT (docs/spikegpt.md, docs/equations.md §"RWKV"):
 * sequences are time-major `[T, B, C]`, T the tokens. The WKV recurrence runs
 * in the backend's fused kernel (backend/kernels/rwkv.ts); the token shift is
 * a small op of its own. Both continue a sequence across calls through an
 * explicit state, which is how the recurrent (one token per call) execution
 * equals the parallel one.
 */

type Arr = Float32Array | Float64Array;

function seqDims(op: string, x: Tensor): { T: number; B: number; C: number } {
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected a time-major sequence [T, B, C], got ${fmtShape(x.shape)}`);
  return { T: x.shape[0]!, B: x.shape[1]!, C: x.shape[2]! };
}

function channelParam(op: string, name: string, p: Tensor, C: number): void {
  if (!(p.ndim === 1 && p.shape[0] === C)) throw new ShapeError(`${op}: ${name} ${fmtShape(p.shape)} must be [${C}]`);
}

/** The WKV state before the first token: aa = bb = 0, pp = WKV_EMPTY_PP, as `3·B·C` values (kernels/rwkv.ts). */
export function emptyWkvState(x: Tensor, B: number, C: number): Tensor {
  const s = empty(x.backend, [3, B, C]);
  s.backend.fill(s.storage, 0);
  const d = s.data as Arr;
  d.fill(WKV_EMPTY_PP, 2 * B * C);
  return s;
}

/**
 * The WKV recurrence over a whole sequence: k, v `[T, B, C]`, timeDecay and
 * timeFirst `[C]` (w = e^{timeDecay} is the decay rate, u = timeFirst the
 * current token's bonus), state `[3, B, C]` (null: the empty state). Returns
 * wkv `[T, B, C]` and the state after the last token (no gradient flows
 * through states: the initial one is a constant).
 */
export function wkv(k: Tensor, v: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor | null): { y: Tensor; state: Tensor } {
  const op = 'wkv';
  const { T, B, C } = seqDims(op, k);
  if (!shapeEq(k.shape, v.shape)) throw new ShapeError(`${op}: k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} differ`);
  channelParam(op, 'time_decay', timeDecay, C);
  channelParam(op, 'time_first', timeFirst, C);
  const be = k.backend;
  const s0 = state ?? emptyWkvState(k, B, C);
  if (!shapeEq(s0.shape, [3, B, C])) throw new ShapeError(`${op}: state ${fmtShape(s0.shape)} must be [3, ${B}, ${C}]`);
  // w = e^{time_decay}: C values, computed once per call.
  const w = scratchOutput(be, C);
  const wd = w.data as Arr, td = timeDecay.data as Arr;
  for (let c = 0; c < C; c++) wd[c] = Math.exp(td[c]!);
  const y = emptyOverwritten(be, k.shape);
  const s1 = emptyOverwritten(be, [3, B, C]);
  be.wkvForward(T, B, C, k.storage, v.storage, w, timeFirst.storage, s0.storage, y.storage, s1.storage);
  record(op, [k, v, timeDecay, timeFirst], [y], ([g]) => {
    const gk = emptyOverwritten(be, k.shape), gv = emptyOverwritten(be, v.shape);
    const gw = emptyOverwritten(be, [C]), gu = emptyOverwritten(be, [C]);
    be.wkvBackward(T, B, C, k.storage, v.storage, w, timeFirst.storage, s0.storage, g!.storage, gk.storage, gv.storage, gw.storage, gu.storage);
    // d/d time_decay = d/dw · w.
    const gwd = gw.data as Arr;
    for (let c = 0; c < C; c++) gwd[c] = gwd[c]! * wd[c]!;
    return [k.requiresGrad ? gk : null, v.requiresGrad ? gv : null, timeDecay.requiresGrad ? gw : null, timeFirst.requiresGrad ? gu : null];
  }, [w, s0.storage]);
  return { y, state: s1 };
}

/**
 * RWKV's token shift with mixing: out[t] = μ ⊙ x[t] + (1 − μ) ⊙ x[t−1], x `[T, B, C]`,
 * μ `[C]`, x[−1] = `prev` `[B, C]` (the last token of the previous call; null: zeros,
 * the start of a sequence). `prev` is a constant (no gradient).
 */
export function tokenShiftMix(x: Tensor, prev: Tensor | null, mu: Tensor): Tensor {
  const op = 'tokenShiftMix';
  const { T, B, C } = seqDims(op, x);
  channelParam(op, 'mix', mu, C);
  if (prev && !shapeEq(prev.shape, [B, C])) throw new ShapeError(`${op}: previous token ${fmtShape(prev.shape)} must be [${B}, ${C}]`);
  const be = x.backend;
  const out = emptyOverwritten(be, x.shape);
  const prevStorage = prev ? prev.storage : null;
  be.tokenShiftForward(T, B, C, x.storage, prevStorage, mu.storage, out.storage);
  record(op, [x, mu], [out], ([g]) => {
    const dx = x.requiresGrad ? emptyOverwritten(be, x.shape) : null;
    const dm = mu.requiresGrad ? emptyOverwritten(be, [C]) : null;
    if (dx || dm) be.tokenShiftBackward(T, B, C, x.storage, prevStorage, mu.storage, g!.storage, dx ? dx.storage : null, dm ? dm.storage : null);
    return [dx, dm];
  }, prevStorage ? [prevStorage] : undefined);
  return out;
}

/** The last token of a sequence, `[T, B, C]` → `[B, C]`, detached: the token-shift state a call hands to the next. */
export function lastToken(x: Tensor): Tensor {
  const { T, B, C } = seqDims('lastToken', x);
  if (T === 0) throw new ShapeError('lastToken: the sequence has no tokens');
  const out = emptyOverwritten(x.backend, [B, C]);
  x.backend.copy(x.storage, (T - 1) * B * C, out.storage, 0, B * C);
  return out;
}

/** σ(r) ⊙ y, elementwise (the receptance gate of time and channel mixing). */
export function sigmoidGate(r: Tensor, y: Tensor): Tensor {
  const op = 'sigmoidGate';
  if (!shapeEq(r.shape, y.shape)) throw new ShapeError(`${op}: r ${fmtShape(r.shape)} and y ${fmtShape(y.shape)} differ`);
  const be = r.backend;
  const n = r.size;
  const out = emptyOverwritten(be, r.shape);
  // σ(r) is kept for the backward (one exp per element instead of two).
  const sig = emptyOverwritten(be, r.shape);
  be.sigmoidGateForward(n, r.storage, y.storage, out.storage, sig.storage);
  record(op, [r, y], [out], ([g]) => {
    const dr = r.requiresGrad ? emptyOverwritten(be, r.shape) : null;
    const dy = y.requiresGrad ? emptyOverwritten(be, y.shape) : null;
    be.sigmoidGateBackward(n, g!.storage, y.storage, sig.storage, dr ? dr.storage : null, dy ? dy.storage : null);
    return [dr, dy];
  }, [sig.storage]);
  return out;
}

/** max(x, 0)², elementwise (channel mixing's key activation). */
export function reluSquare(x: Tensor): Tensor {
  const be = x.backend;
  const out = emptyOverwritten(be, x.shape);
  be.reluSquareForward(x.size, x.storage, out.storage);
  record('reluSquare', [x], [out], ([g]) => {
    const dx = emptyOverwritten(be, x.shape);
    be.reluSquareBackward(x.size, x.storage, g!.storage, dx.storage);
    return [dx];
  });
  return out;
}
