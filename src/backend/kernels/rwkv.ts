import type { Storage } from '../storage.js';

/**
 * The RWKV-4 "WKV" recurrence (SpikeGPT's token mixing; docs/equations.md
 * §"RWKV time mixing", docs/spikegpt.md), fused along the token axis.
 *
 * Time-major `[T, B, C]`: T tokens, B sequences, C channels, each channel of
 * each sequence an independent recurrence. With w_c = e^{time_decay_c} > 0
 * (the per-step decay rate) and u_c the bonus of the current token,
 *
 *   wkv_t = (Σ_{i<t} e^{−(t−1−i)w + k_i}·v_i + e^{u + k_t}·v_t) / (Σ_{i<t} e^{−(t−1−i)w + k_i} + e^{u + k_t})
 *
 * computed with the running-max recurrence over the state (aa, bb, pp):
 * A_t = aa·e^{pp} and B_t = bb·e^{pp} are the two sums before token t, kept
 * scaled by their largest exponent pp so no exponential overflows.
 *
 * State layout: `3·B·C` values, the aa block, then bb, then pp (each `[B, C]`).
 * The empty state is aa = bb = 0, pp = WKV_EMPTY_PP (e^{pp − p} is then 0
 * for any finite p without producing ∞ − ∞).
 *
 * Every backend computes in float64 with the same operations in the same
 * order and the same exponential (sgExp, kernels/exp.mjs), rounding once to
 * the storage's dtype, so results agree to the bit across backends.
 */
export interface RwkvKernels {
  /**
   * y[t, b, c] = wkv_t for T tokens starting from state `s0` (read only);
   * `s1` receives the state after the last token. `w`, `u`: C values each.
   */
  wkvForward(T: number, B: number, C: number, k: Storage, v: Storage, w: Storage, u: Storage, s0: Storage, y: Storage, s1: Storage): void;
  /**
   * The vector–Jacobian product of `wkvForward` from dY (the final state is
   * not differentiated, the initial state is a constant). `gk`, `gv` are
   * overwritten; `gw`, `gu` (C values, summed over T and B) are overwritten
   * too. The forward states are recomputed, not stored.
   */
  wkvBackward(T: number, B: number, C: number, k: Storage, v: Storage, w: Storage, u: Storage, s0: Storage, gy: Storage, gk: Storage, gv: Storage, gw: Storage, gu: Storage): void;

  /*
   * The elementwise passes around the linear layers of an RWKV block. Each is
   * memory-bound and cheap alone, but with five token shifts, two gates and
   * one ReLU² per block, forward and backward, they were a quarter of a
   * SpikeGPT training step as TypeScript loops (docs/spikegpt.md). Same rule
   * as the WKV: double arithmetic in the reference's order, one rounding per
   * stored value, sgExp for the exponential, so backends agree to the bit.
   */

  /**
   * Token shift with mixing over `[T, B, C]`: out[t] = μ·x[t] + (1 − μ)·x[t−1]
   * per channel, with x[−1] = `prev` `[B, C]` (null: zeros).
   */
  tokenShiftForward(T: number, B: number, C: number, x: Storage, prev: Storage | null, mu: Storage, out: Storage): void;
  /**
   * Its vector–Jacobian product from g: dx[t] = μ·g[t] + (1 − μ)·g[t+1]
   * (g[T] = 0) and dMu[c] = Σ_{t,b} g·(x[t] − x[t−1]), summed over t then b
   * in double; either output may be null (not wanted). Both are overwritten.
   */
  tokenShiftBackward(T: number, B: number, C: number, x: Storage, prev: Storage | null, mu: Storage, g: Storage, dx: Storage | null, dMu: Storage | null): void;
  /** The receptance gate over n elements: sig = σ(r), out = y·σ(r) (σ(r) kept for the backward). */
  sigmoidGateForward(n: number, r: Storage, y: Storage, out: Storage, sig: Storage): void;
  /** Its backward: dr = g·y·σ·(1 − σ), dy = g·σ; either may be null. */
  sigmoidGateBackward(n: number, g: Storage, y: Storage, sig: Storage, dr: Storage | null, dy: Storage | null): void;
  /** Channel mixing's key activation over n elements: out = max(x, 0)². */
  reluSquareForward(n: number, x: Storage, out: Storage): void;
  /** Its backward: dx = 2·x·g where x > 0, else 0. */
  reluSquareBackward(n: number, x: Storage, g: Storage, dx: Storage): void;
}

/** The pp of the empty state: far below any exponent, yet finite (RWKV's own −1e38). */
export const WKV_EMPTY_PP = -1e38;
