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

export const tsDelayKernels: DelayKernels = {
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
