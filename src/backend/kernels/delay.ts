import type { Storage } from '../storage.js';

/**
 * Learnable synaptic delays (DCLS, Hammouamri et al. 2024): kernels that are
 * not plain GEMMs. The delay convolution itself is K GEMMs over time-shifted
 * row blocks (src/ops/delay.ts), so it runs on each backend's GEMM; what is
 * here is the construction of the temporal kernel from the weights and the
 * positions, its adjoint, and the exact integer-delay sum used after rounding.
 * Equations: docs/equations.md §"Synaptic delays".
 */

/**
 * How a synapse's weight is spread over the K taps around its position
 * (a number, so kernels in C++ and wasm take it as an id):
 * - GAUSS: g_k = exp(−½((k − c)/σ_eff)²), σ_eff = |σ| + 0.27, normalised by Σ_k g_k + 1e−7 (DCLS v2 'gauss');
 * - LINEAR: the two taps around c, weighted 1 − frac and frac (DCLS v1, bilinear in 1-D).
 */
export const DELAY_INTERP = { gauss: 0, linear: 1 } as const;
export type DelayInterp = (typeof DELAY_INTERP)[keyof typeof DELAY_INTERP];

/** The DCLS constants (reference code: σ_eff = |σ| + 0.27, normaliser ε = 1e−7). */
export const DCLS_SIGMA_OFFSET = 0.27;
export const DCLS_NORM_EPS = 1e-7;

/**
 * Synapses grouped by tap, for the integer-delay path: row r = k·I + i lists
 * the outputs that input i reaches through tap k (delay K − 1 − k) with
 * their weights, outputs ascending. Built on the host from rounded positions.
 */
export interface DelaySynapses {
  readonly K: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [K·I + 1] offsets into `cols` / `vals`. */
  readonly rowPtr: Int32Array;
  /** Output index of each synapse. */
  readonly cols: Int32Array;
  /** Weight of each synapse, in the weights' storage type. */
  readonly vals: Float32Array | Float64Array;
}

export interface DelayKernels {
  /**
   * kernel[k·n + s] for n synapses (s = o·I + i) and K taps from weights w[n]
   * and positions p[n] (tap centre c = p + ⌊K/2⌋); `sigma` is the Gaussian's
   * σ (ignored by Linear). Overwrites `kernel`.
   */
  delayKernelBuild(n: number, K: number, interp: DelayInterp, sigma: number, w: Storage, p: Storage, kernel: Storage): void;
  /**
   * The adjoint of delayKernelBuild: dW[s] = Σ_k dK[k,s]·∂kernel/∂w, dP[s] = Σ_k dK[k,s]·∂kernel/∂p
   * (either output may be null when not wanted). Overwrites the outputs.
   */
  delayKernelBuildBackward(n: number, K: number, interp: DelayInterp, sigma: number, w: Storage, p: Storage, dKernel: Storage, dW: Storage | null, dP: Storage | null): void;
  /**
   * The integer-delay sum for output steps t in [tStart, tEnd):
   * y[t − tStart, b, o] = Σ_k Σ_i W[k,o,i]·x[t − (K−1−k), b, i] over the synapses,
   * accumulated in float64 in the order tap k ascending, input i ascending,
   * then rounded once to the storage type. x is [Tin, B, I] (steps outside
   * [0, Tin) are zero, so tEnd may exceed Tin), y is [tEnd − tStart, B, O].
   * Zero inputs are skipped, which does not change a float64 sum, so the
   * event-driven visit (spikes) and a dense evaluation of the same one-hot
   * kernel in that order agree bit for bit, whatever the batch or chunking.
   */
  delaySparseForward(Tin: number, tStart: number, tEnd: number, B: number, syn: DelaySynapses, x: Storage, y: Storage): void;
  /**
   * Below this fraction of nonzero inputs `delayConv` takes the event-driven
   * kernels below instead of K GEMMs (per backend: measured crossovers).
   */
  readonly delayEventDensityThreshold: number;
  /**
   * The causal delay convolution driven by the nonzero inputs of a sparse
   * (spike) x [T, B, I]: y[t + d, b, o] = Σ_k Σ_{i: x[t,b,i] ≠ 0} kernel[k, o, i]·x[t, b, i]
   * (d = K − 1 − k, t + d < Tout) into y [Tout, B, O], overwritten. Each
   * output is one sum over taps k ascending, then inputs i ascending (in the
   * storage precision on the fast backends, so equal to the GEMM path within
   * rounding, not bit for bit).
   */
  delayEventForward(T: number, Tout: number, B: number, I: number, O: number, K: number, x: Storage, kernel: Storage, y: Storage): void;
  /**
   * Its kernel gradient from the same sparse x: dK[k, o, i] = Σ_{t, b: x[t,b,i] ≠ 0} x[t, b, i]·dY[t + d, b, o]
   * over t + d < Tout, dK [K, O, I] overwritten (per element: steps ascending, then the batch).
   */
  delayEventGradKernel(T: number, Tout: number, B: number, I: number, O: number, K: number, x: Storage, dY: Storage, dK: Storage): void;
}
