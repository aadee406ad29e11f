import { DCLS_NORM_EPS, DCLS_SIGMA_OFFSET, DELAY_INTERP, type DelayKernels, type DelayInterp, type DelaySynapses } from '../kernels/delay.js';
import type { Storage } from '../storage.js';

/*
 * Reference delay kernels (docs/equations.md §"Synaptic delays"), in float64
 * arithmetic over the storages' typed arrays. Each synapse's K taps depend
 * only on its own (w, p), so the construction is a loop over synapses with
 * an inner loop over taps; the kernel is stored tap-major [K, O·I] so that
 * tap k is one contiguous [O, I] matrix for the GEMMs of the delay convolution.
 */

function gaussBuild(n: number, K: number, sigma: number, w: Float32Array | Float64Array, p: Float32Array | Float64Array, out: Float32Array | Float64Array): void {
  const half = (K - 1) >> 1;
  const se = Math.abs(sigma) + DCLS_SIGMA_OFFSET;
  const g = new Float64Array(K);
  for (let s = 0; s < n; s++) {
    const c = p[s]! + half;
    let S = 0;
    for (let k = 0; k < K; k++) {
      const u = (k - c) / se;
      const v = Math.exp(-0.5 * u * u);
      g[k] = v;
      S += v;
    }
    const scale = w[s]! / (S + DCLS_NORM_EPS);
    for (let k = 0; k < K; k++) out[k * n + s] = g[k]! * scale;
  }
}

function gaussBackward(
  n: number,
  K: number,
  sigma: number,
  w: Float32Array | Float64Array,
  p: Float32Array | Float64Array,
  dK: Float32Array | Float64Array,
  dW: Float32Array | Float64Array | null,
  dP: Float32Array | Float64Array | null,
): void {
  const half = (K - 1) >> 1;
  const se = Math.abs(sigma) + DCLS_SIGMA_OFFSET;
  for (let s = 0; s < n; s++) {
    const c = p[s]! + half;
    // S = Σ g + ε; G1 = Σ g·u (for ∂S/∂c = G1/σe); A = Σ dK·g; B = Σ dK·g·u.
    let S = 0, G1 = 0, A = 0, Bu = 0;
    for (let k = 0; k < K; k++) {
      const u = (k - c) / se;
      const g = Math.exp(-0.5 * u * u);
      const d = dK[k * n + s]!;
      S += g;
      G1 += g * u;
      A += d * g;
      Bu += d * g * u;
    }
    S += DCLS_NORM_EPS;
    if (dW) dW[s] = A / S;
    // ∂(g_k/S)/∂c = g_k·u_k/(σe·S) − g_k·G1/(σe·S²)
    if (dP) dP[s] = (w[s]! * (Bu / S - (A * G1) / (S * S))) / se;
  }
}

function linearBuild(n: number, K: number, w: Float32Array | Float64Array, p: Float32Array | Float64Array, out: Float32Array | Float64Array): void {
  const half = (K - 1) >> 1;
  out.fill(0);
  for (let s = 0; s < n; s++) {
    const c = p[s]! + half;
    const f = Math.floor(c);
    const frac = c - f;
    if (f >= 0 && f < K) out[f * n + s] = w[s]! * (1 - frac);
    if (f + 1 >= 0 && f + 1 < K) out[(f + 1) * n + s] = w[s]! * frac;
  }
}

function linearBackward(
  n: number,
  K: number,
  w: Float32Array | Float64Array,
  p: Float32Array | Float64Array,
  dK: Float32Array | Float64Array,
  dW: Float32Array | Float64Array | null,
  dP: Float32Array | Float64Array | null,
): void {
  const half = (K - 1) >> 1;
  for (let s = 0; s < n; s++) {
    const c = p[s]! + half;
    const f = Math.floor(c);
    const frac = c - f;
    const d0 = f >= 0 && f < K ? dK[f * n + s]! : 0;
    const d1 = f + 1 >= 0 && f + 1 < K ? dK[(f + 1) * n + s]! : 0;
    if (dW) dW[s] = d0 * (1 - frac) + d1 * frac;
    if (dP) dP[s] = w[s]! * (d1 - d0);
  }
}

function delaySparseForward(Tin: number, tStart: number, tEnd: number, B: number, syn: DelaySynapses, xs: Storage, ys: Storage): void {
  const { K, inFeatures: I, outFeatures: O, rowPtr, cols, vals } = syn;
  const x = xs.data, y = ys.data;
  const acc = new Float64Array(B * O);
  for (let t = tStart; t < tEnd; t++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const src = t - (K - 1 - k);
      if (src < 0 || src >= Tin) continue;
      for (let b = 0; b < B; b++) {
        const xo = (src * B + b) * I;
        const ao = b * O;
        for (let i = 0; i < I; i++) {
          const xv = x[xo + i]!;
          if (xv === 0) continue;
          const r = k * I + i;
          for (let j = rowPtr[r]!, e = rowPtr[r + 1]!; j < e; j++) acc[ao + cols[j]!] += vals[j]! * xv;
        }
      }
    }
    y.set(acc, (t - tStart) * B * O);
  }
}

/** The nonzeros of each row of x [R, I]: row r's are idx/val[start[r] .. start[r + 1]). */
function nonzeroLists(R: number, I: number, x: Float32Array | Float64Array): { start: Int32Array; idx: Int32Array; val: Float64Array } {
  const start = new Int32Array(R + 1);
  let nnz = 0;
  for (let j = 0; j < R * I; j++) if (x[j] !== 0) nnz++;
  const idx = new Int32Array(nnz), val = new Float64Array(nnz);
  let q = 0;
  for (let r = 0; r < R; r++) {
    start[r] = q;
    for (let i = 0; i < I; i++) {
      const v = x[r * I + i]!;
      if (v !== 0) {
        idx[q] = i;
        val[q++] = v;
      }
    }
  }
  start[R] = q;
  return { start, idx, val };
}

/** Transposed taps, Wt[k, i, o] = kernel[k, o, i]: a nonzero input adds one contiguous row. */
function transposeTaps(K: number, O: number, I: number, kernel: Float32Array | Float64Array): Float64Array {
  const Wt = new Float64Array(K * O * I);
  for (let k = 0; k < K; k++) {
    const base = k * O * I;
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) Wt[base + i * O + o] = kernel[base + o * I + i]!;
  }
  return Wt;
}

function delayEventForward(T: number, Tout: number, B: number, I: number, O: number, K: number, xs: Storage, ks: Storage, ys: Storage): void {
  const y = ys.data;
  const Wt = transposeTaps(K, O, I, ks.data);
  const { start, idx, val } = nonzeroLists(T * B, I, xs.data);
  const acc = new Float64Array(O);
  for (let r = 0; r < Tout * B; r++) {
    const tOut = Math.floor(r / B), b = r - tOut * B;
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const t = tOut - (K - 1 - k);
      if (t < 0 || t >= T) continue;
      const row = t * B + b, wk = k * O * I;
      for (let q = start[row]!, e = start[row + 1]!; q < e; q++) {
        const v = val[q]!, w0 = wk + idx[q]! * O;
        for (let o = 0; o < O; o++) acc[o] += v * Wt[w0 + o]!;
      }
    }
    y.set(acc, r * O);
  }
}

function delayEventGradKernel(T: number, Tout: number, B: number, I: number, O: number, K: number, xs: Storage, dYs: Storage, dKs: Storage): void {
  const dY = dYs.data, dK = dKs.data;
  const { start, idx, val } = nonzeroLists(T * B, I, xs.data);
  const acc = new Float64Array(I * O);
  for (let k = 0; k < K; k++) {
    const d = K - 1 - k;
    acc.fill(0);
    const tEnd = Math.min(T, Tout - d);
    for (let t = 0; t < tEnd; t++) {
      for (let b = 0; b < B; b++) {
        const row = t * B + b, g0 = ((t + d) * B + b) * O;
        for (let q = start[row]!, e = start[row + 1]!; q < e; q++) {
          const v = val[q]!, a0 = idx[q]! * O;
          for (let o = 0; o < O; o++) acc[a0 + o] += v * dY[g0 + o]!;
        }
      }
    }
    const base = k * O * I;
    for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) dK[base + o * I + i] = acc[i * O + o]!;
  }
}

/**
 * Density below which the reference takes the event-driven convolution: its
 * dense path is K plain GEMMs, so the crossover is where the linear layers'
 * is (event work nnz·K·O against 2·T·B·I·O·K).
 */
export const TS_DELAY_EVENT_DENSITY_THRESHOLD = 0.2;

export const tsDelayKernels: DelayKernels = {
  delayEventDensityThreshold: TS_DELAY_EVENT_DENSITY_THRESHOLD,
  delayEventForward,
  delayEventGradKernel,
  delayKernelBuild(n, K, interp: DelayInterp, sigma, w, p, kernel) {
    if (interp === DELAY_INTERP.gauss) gaussBuild(n, K, sigma, w.data, p.data, kernel.data);
    else linearBuild(n, K, w.data, p.data, kernel.data);
  },
  delayKernelBuildBackward(n, K, interp: DelayInterp, sigma, w, p, dKernel, dW, dP) {
    if (interp === DELAY_INTERP.gauss) gaussBackward(n, K, sigma, w.data, p.data, dKernel.data, dW?.data ?? null, dP?.data ?? null);
    else linearBackward(n, K, w.data, p.data, dKernel.data, dW?.data ?? null, dP?.data ?? null);
  },
  delaySparseForward,
};
