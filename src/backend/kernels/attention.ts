import type { Storage } from '../storage.js';

/**
 * Spiking-transformer kernels (docs/equations.md §"Spiking self-attention").
 * Token maps are channel-major per sample, `[R, C, N]` with R the folded
 * T·B rows, C = heads·dh channels and N tokens (the H·W positions of a conv
 * feature map), so the projections around them are 1×1 convolutions and the
 * batch norms are the ordinary per-channel ones.
 *
 * Q, K and V are spikes (0/1) or multi-level spike values (QSD-Transformer's
 * 0..D counts over D), so the kernels skip zero entries: on binary inputs the
 * products are additions of integers, exact in float32 while the counts stay
 * below 2²⁴, so the order in which a backend sums them does not change the
 * result.
 */
export interface AttentionKernels {
  /**
   * Linear (softmax-free) spiking self-attention, Spikformer's SSA and
   * Meta-SpikeFormer's SDSA-3, per row r and head h (channels h·dh … h·dh + dh − 1):
   *   G[i, j] = Σ_n K[i, n]·V[j, n]              (dh × dh, stored for the backward)
   *   out[j, n] = scale · Σ_i G[i, j]·Q[i, n]
   * which is scale·(Q Kᵀ) V in the reference's token-major layout, computed
   * as Q (Kᵀ V): O(N·dh²) instead of O(N²·dh).
   * `G` holds R·heads·dh·dh values.
   */
  linearAttentionForward(R: number, heads: number, dh: number, N: number, scale: number, q: Storage, k: Storage, v: Storage, G: Storage, out: Storage): void;
  /**
   * Its vector–Jacobian product from dOut and the stored G: with D = scale·dOut,
   *   dQ[i, n] = Σ_j G[i, j]·D[j, n],  dG[i, j] = Σ_n Q[i, n]·D[j, n],
   *   dK[i, n] = Σ_j dG[i, j]·V[j, n], dV[j, n] = Σ_i dG[i, j]·K[i, n].
   * A null gradient output is not computed (dG is needed by dK and dV only).
   */
  linearAttentionBackward(
    R: number,
    heads: number,
    dh: number,
    N: number,
    scale: number,
    q: Storage,
    k: Storage,
    v: Storage,
    G: Storage,
    dOut: Storage,
    dQ: Storage | null,
    dK: Storage | null,
    dV: Storage | null,
  ): void;
  /** out[r] = Σ_n a[r, n]·b[r, n] over M rows of N (SDSA's column sum of K ⊙ V per channel; zeros of `a` skipped). */
  rowDot(M: number, N: number, a: Storage, b: Storage, out: Storage): void;
  /** out[r, n] = x[r, n]·s[r] over M rows of N (SDSA's channel mask applied to Q). */
  rowScale(M: number, N: number, x: Storage, s: Storage, out: Storage): void;
  /**
   * Layer normalisation over the C channels of each token of `[R, C, N]`:
   * y = γ_c·(x − μ)/√(σ² + ε) + β_c with μ, σ² (biased) over c for each (r, n).
   * `stats` receives μ and 1/√(σ² + ε) per (r, n) (2·R·N values) for the backward.
   */
  layerNormForward(R: number, C: number, N: number, eps: number, x: Storage, gamma: Storage | null, beta: Storage | null, stats: Storage, out: Storage): void;
  /**
   * Its backward: dX always; dGamma / dBeta (C values) are accumulated into
   * (not overwritten) when given.
   */
  layerNormBackward(R: number, C: number, N: number, x: Storage, gamma: Storage | null, stats: Storage, dY: Storage, dX: Storage, dGamma: Storage | null, dBeta: Storage | null): void;
}
