import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten, scratchOutput } from './util.js';

/*
 * The ops of the softmax-transformer baseline (docs/spikegpt.md
 * "Softmax-transformer baseline"): causal multi-head softmax attention with a
 * key/value cache, a learned absolute position embedding, and GELU.
 * Sequences are time-major `[T, B, C]`, T the tokens, as everywhere in
 * spikeflow.
 *
 * The attention gathers each (batch, head) pair into a contiguous
 * `[rows, dh]` matrix (heads and batch folded into one index g = b·H + h), so
 * its four products per pair are plain row-major GEMMs on the backend's own
 * kernel (native, wasm or TypeScript); the softmax and the masking run in
 * JavaScript numbers (float64) between them, and every stored value has the
 * backend's dtype, as the library's other ops do.
 */

type Arr = Float32Array | Float64Array;

/**
 * The keys and values of the tokens seen so far, head-major `[B, H, L, dh]`:
 * what a one-token forward attends to during generation. Constants (no
 * gradient flows into a cache).
 */
export interface KvCache {
  readonly k: Tensor;
  readonly v: Tensor;
}

function seqDims(op: string, x: Tensor): { T: number; B: number; C: number } {
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected a time-major sequence [T, B, C], got ${fmtShape(x.shape)}`);
  return { T: x.shape[0]!, B: x.shape[1]!, C: x.shape[2]! };
}

/** Rows of `[T, B, H·dh]` into rows row0 … row0 + T − 1 of the head-major `[B·H, rows, dh]`. */
function gatherHeads(src: Arr, T: number, B: number, H: number, dh: number, dst: Arr, rows: number, row0: number): void {
  const C = H * dh;
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const s0 = (t * B + b) * C;
      for (let h = 0; h < H; h++) {
        const s = s0 + h * dh;
        const d = ((b * H + h) * rows + row0 + t) * dh;
        for (let i = 0; i < dh; i++) dst[d + i] = src[s + i]!;
      }
    }
}

/** The inverse of gatherHeads: rows row0 … row0 + T − 1 of `[B·H, rows, dh]` into `[T, B, H·dh]`. */
function scatterHeads(src: Arr, rows: number, row0: number, T: number, B: number, H: number, dh: number, dst: Arr): void {
  const C = H * dh;
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const d0 = (t * B + b) * C;
      for (let h = 0; h < H; h++) {
        const d = d0 + h * dh;
        const s = ((b * H + h) * rows + row0 + t) * dh;
        for (let i = 0; i < dh; i++) dst[d + i] = src[s + i]!;
      }
    }
}

/**
 * Causal multi-head softmax attention. q, k, v `[T, B, C]` with C = heads·dh,
 * head h owning channels h·dh … (h + 1)·dh − 1; `past` the keys and values of
 * the P tokens before these (null: none, the start of a sequence). Query t
 * sits at position P + t and attends to every key at a position ≤ its own:
 *
 *   y_t = Σ_{j ≤ P+t} softmax_j(q_t·k_j / √dh) · v_j        (per head)
 *
 * with the softmax's maximum subtracted before the exponentials, so no
 * exponent is positive and nothing overflows for any scores. Returns y
 * `[T, B, C]` and the cache of all P + T keys and values. Gradients reach q,
 * k and v; the past is a constant.
 *
 * Backward, with S the scaled scores, A = softmax(S) and G = ∂L/∂y per head:
 * ∂A = G·Vᵀ, ∂S = A ⊙ (∂A − rowsum(A ⊙ ∂A)), ∂q = ∂S·K/√dh,
 * ∂k = ∂Sᵀ·Q/√dh, ∂v = Aᵀ·G (the new tokens' rows of the last two).
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, past: KvCache | null): { y: Tensor; cache: KvCache } {
  const op = 'causalAttention';
  const { T, B, C } = seqDims(op, q);
  for (const [name, t] of [['k', k], ['v', v]] as const) if (!shapeEq(t.shape, q.shape)) throw new ShapeError(`${op}: ${name} ${fmtShape(t.shape)} and q ${fmtShape(q.shape)} differ`);
  if (!Number.isInteger(heads) || heads < 1 || C % heads !== 0) throw new ShapeError(`${op}: ${C} channels do not split into ${heads} heads`);
  const H = heads, dh = C / H, G = B * H;
  const P = past ? past.k.shape[2]! : 0;
  if (past) {
    const want = [B, H, P, dh];
    for (const [name, t] of [['keys', past.k], ['values', past.v]] as const)
      if (!shapeEq(t.shape, want)) throw new ShapeError(`${op}: cached ${name} ${fmtShape(t.shape)} must be ${fmtShape(want)} for input ${fmtShape(q.shape)} (call resetState() before a new sequence)`);
  }
  const L = P + T;
  const scale = 1 / Math.sqrt(dh);
  const be = q.backend;
  const Qh = scratchOutput(be, G * T * dh);
  const Kh = scratchOutput(be, G * L * dh);
  const Vh = scratchOutput(be, G * L * dh);
  // A: the attention weights [G, T, L], kept for the backward (zero where masked).
  const A = scratchOutput(be, G * T * L);
  const Oh = scratchOutput(be, G * T * dh);
  const y = emptyOverwritten(be, q.shape);
  if (past) {
    for (let g = 0; g < G; g++) {
      be.copy(past.k.storage, g * P * dh, Kh, g * L * dh, P * dh);
      be.copy(past.v.storage, g * P * dh, Vh, g * L * dh, P * dh);
    }
  }
  // Views are taken after every allocation and backend call (a wasm view is invalidated by memory growth).
  gatherHeads(q.data as Arr, T, B, H, dh, Qh.data as Arr, T, 0);
  gatherHeads(k.data as Arr, T, B, H, dh, Kh.data as Arr, L, P);
  gatherHeads(v.data as Arr, T, B, H, dh, Vh.data as Arr, L, P);
  for (let g = 0; g < G; g++) be.gemm(false, true, T, L, dh, scale, Qh, g * T * dh, Kh, g * L * dh, 0, A, g * T * L);
  const Ad = A.data as Arr;
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++) {
      const row = (g * T + t) * L;
      const n = P + t + 1;
      let m = -Infinity;
      for (let j = 0; j < n; j++) if (Ad[row + j]! > m) m = Ad[row + j]!;
      let s = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(Ad[row + j]! - m);
        Ad[row + j] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0; j < n; j++) Ad[row + j] = Ad[row + j]! * inv;
      for (let j = n; j < L; j++) Ad[row + j] = 0;
    }
  for (let g = 0; g < G; g++) be.gemm(false, false, T, dh, L, 1, A, g * T * L, Vh, g * L * dh, 0, Oh, g * T * dh);
  scatterHeads(Oh.data as Arr, T, 0, T, B, H, dh, y.data as Arr);
  record(op, [q, k, v], [y], ([gy]) => {
    const dOh = scratchOutput(be, G * T * dh);
    const dS = scratchOutput(be, G * T * L);
    const dq = q.requiresGrad ? emptyOverwritten(be, q.shape) : null;
    const dk = k.requiresGrad ? emptyOverwritten(be, k.shape) : null;
    const dv = v.requiresGrad ? emptyOverwritten(be, v.shape) : null;
    const dQh = dq ? scratchOutput(be, G * T * dh) : null;
    const dKh = dk ? scratchOutput(be, G * L * dh) : null;
    const dVh = dv ? scratchOutput(be, G * L * dh) : null;
    gatherHeads(gy!.data as Arr, T, B, H, dh, dOh.data as Arr, T, 0);
    if (dVh) for (let g = 0; g < G; g++) be.gemm(true, false, L, dh, T, 1, A, g * T * L, dOh, g * T * dh, 0, dVh, g * L * dh);
    if (dQh || dKh) {
      for (let g = 0; g < G; g++) be.gemm(false, true, T, L, dh, 1, dOh, g * T * dh, Vh, g * L * dh, 0, dS, g * T * L);
      // ∂S = A ⊙ (∂A − Σ_j A ⊙ ∂A), the 1/√dh of the scores folded in; masked entries have A = 0 and stay 0.
      const Ag = A.data as Arr, D = dS.data as Arr;
      for (let g = 0; g < G; g++)
        for (let t = 0; t < T; t++) {
          const row = (g * T + t) * L;
          const n = P + t + 1;
          let dot = 0;
          for (let j = 0; j < n; j++) dot += Ag[row + j]! * D[row + j]!;
          for (let j = 0; j < n; j++) D[row + j] = scale * Ag[row + j]! * (D[row + j]! - dot);
          for (let j = n; j < L; j++) D[row + j] = 0;
        }
      if (dQh) for (let g = 0; g < G; g++) be.gemm(false, false, T, dh, L, 1, dS, g * T * L, Kh, g * L * dh, 0, dQh, g * T * dh);
      if (dKh) for (let g = 0; g < G; g++) be.gemm(true, false, L, dh, T, 1, dS, g * T * L, Qh, g * T * dh, 0, dKh, g * L * dh);
    }
    if (dq) scatterHeads(dQh!.data as Arr, T, 0, T, B, H, dh, dq.data as Arr);
    if (dk) scatterHeads(dKh!.data as Arr, L, P, T, B, H, dh, dk.data as Arr);
    if (dv) scatterHeads(dVh!.data as Arr, L, P, T, B, H, dh, dv.data as Arr);
    return [dq, dk, dv];
  }, [Qh, Kh, Vh, A]);
  const cache: KvCache = { k: new Tensor(Kh, [B, H, L, dh], { backend: be }), v: new Tensor(Vh, [B, H, L, dh], { backend: be }) };
  return { y, cache };
}

/**
 * x + the rows offset … offset + T − 1 of a learned position table: x
 * `[T, B, C]`, table `[maxPositions, C]`; token t of this call sits at
 * position offset + t (offset: the tokens already seen in this sequence).
 */
export function addPositionEmbedding(x: Tensor, table: Tensor, offset: number): Tensor {
  const op = 'addPositionEmbedding';
  const { T, B, C } = seqDims(op, x);
  if (!(table.ndim === 2 && table.shape[1] === C)) throw new ShapeError(`${op}: table ${fmtShape(table.shape)} must be [positions, ${C}]`);
  const N = table.shape[0]!;
  if (!(Number.isInteger(offset) && offset >= 0 && offset + T <= N)) throw new ShapeError(`${op}: positions ${offset} … ${offset + T - 1} are outside the table's ${N}`);
  const be = x.backend;
  const out = emptyOverwritten(be, x.shape);
  const X = x.data as Arr, E = table.data as Arr, O = out.data as Arr;
  for (let t = 0; t < T; t++) {
    const e = (offset + t) * C;
    for (let b = 0; b < B; b++) {
      const r = (t * B + b) * C;
      for (let c = 0; c < C; c++) O[r + c] = X[r + c]! + E[e + c]!;
    }
  }
  record(op, [x, table], [out], ([g]) => {
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = emptyOverwritten(be, x.shape);
      be.copy(g!.storage, 0, dx.storage, 0, x.size);
    }
    let dt: Tensor | null = null;
    if (table.requiresGrad) {
      // Rows outside this call's positions get no gradient (zeros); each used row sums over the batch.
      dt = empty(be, table.shape);
      const Gd = g!.data as Arr, D = dt.data as Arr;
      for (let t = 0; t < T; t++) {
        const e = (offset + t) * C;
        for (let b = 0; b < B; b++) {
          const r = (t * B + b) * C;
          for (let c = 0; c < C; c++) D[e + c] = D[e + c]! + Gd[r + c]!;
        }
      }
    }
    return [dx, dt];
  });
  return out;
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * GELU in its tanh form (GPT-2's, PyTorch's `gelu(x, approximate='tanh')`):
 * ½·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), elementwise. Computed
 * as x·σ(2u), the same function (½(1 + tanh u) = σ(2u)) with one exponential
 * instead of a tanh, which V8 evaluates about a quarter slower; for u → −∞
 * the exponential overflows to ∞ and σ to 0, so nothing becomes NaN.
 */
export function gelu(x: Tensor): Tensor {
  const be = x.backend;
  const out = emptyOverwritten(be, x.shape);
  // σ(2u) is kept for the backward (no second exponential per element).
  const sig = emptyOverwritten(be, x.shape);
  const X = x.data as Arr, O = out.data as Arr, S = sig.data as Arr;
  for (let i = 0; i < O.length; i++) {
    const a = X[i]!;
    const s = 1 / (1 + Math.exp(-2 * GELU_K * (a + GELU_C * a * a * a)));
    S[i] = s;
    O[i] = a * s;
  }
  record('gelu', [x], [out], ([g]) => {
    const dx = emptyOverwritten(be, x.shape);
    const Gd = g!.data as Arr, Xg = x.data as Arr, Sg = sig.data as Arr, D = dx.data as Arr;
    // d/dx x·σ(2u) = σ + x·2σ(1 − σ)·u′, u′ = √(2/π)·(1 + 3·0.044715·x²).
    for (let i = 0; i < D.length; i++) {
      const a = Xg[i]!, s = Sg[i]!;
      D[i] = Gd[i]! * (s + 2 * a * s * (1 - s) * GELU_K * (1 + 3 * GELU_C * a * a));
    }
    return [dx];
  }, [sig.storage]);
  return out;
}
