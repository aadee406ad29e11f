import type { Storage } from '../storage.js';

/**
 * Geometry of a 2-D sliding window over one `[C, H, W]` image. A 1-D window
 * uses `H = 1, kh = 1, sh = 1, ph = 0, dh = 1`. Padding is given only on the
 * leading side (`ph`, `pw`): the trailing padding is implied by `Ho`/`Wo`, which
 * lets 'same' padding be asymmetric as in PyTorch.
 */
export interface WindowGeometry {
  readonly H: number;
  readonly W: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly Ho: number;
  readonly Wo: number;
}

/** How a pooling window reduces: maximum, mean (over kh·kw, or over valid cells when padding is excluded) or plain sum. */
export type PoolMode = 'max' | 'avg' | 'sum';

/**
 * Convolution (via im2col + the core GEMM), pooling, batch-norm and dropout
 * kernels. Tensors are `[N, C, P]` blocks in row-major order (N folded time ×
 * batch, C channels, P spatial positions); per-channel vectors have C entries.
 */
export interface ConvKernels {
  /**
   * Below this fraction of nonzero inputs, a convolution of binary inputs
   * (spikes) runs eventConv / eventConvGradW instead of im2col + GEMM
   * (per backend: measured crossovers).
   */
  readonly convEventDensityThreshold: number;
  /**
   * Below this fraction of nonzero output gradients (max pooling routes one
   * gradient per window, so at most 1/4 after a 2×2 pool), a convolution's
   * input gradient runs convGradXSparse instead of GEMM + col2im.
   */
  readonly convSparseGradDensityThreshold: number;
  /**
   * Event-driven convolution of N images x [Cin, H, W] with w [Cout, Cin/groups,
   * kh, kw] into y [N, Cout, Ho, Wo] (overwritten; no bias), visiting only the
   * nonzero x: a 1 adds a weight, another value v adds v·w. Each output sums
   * its terms in ascending (c, i, j) in y's precision (src/backend/ts/conv/event.ts).
   */
  eventConv(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, x: Storage, w: Storage, y: Storage): void;
  /**
   * Weight gradient of eventConv: dw[o, c, i, j] += Σ_{n, p} dy[n, o, p]·x[n, c', ih, iw]
   * over the nonzero x, each weight's terms in ascending (n, p), summed from 0
   * in dw's precision and then added to dw.
   */
  eventConvGradW(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, x: Storage, dy: Storage, dw: Storage): void;
  /**
   * Input gradient of a convolution visiting only the nonzero dy [N, Cout, Ho, Wo]:
   * dx [N, Cin, H, W] is overwritten with Σ dy[n, o, p]·w[o, c, i, j]. Each
   * cell adds, in ascending p, one term per window tap that reads it: the sum
   * over o (ascending) of the products, every product and sum rounded to dx's
   * type (no fused multiply-add).
   */
  convGradXSparse(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, dy: Storage, w: Storage, dx: Storage): void;
  /**
   * Unfold channels [c0, c0+cg) of n consecutive images (each `[C, H, W]`,
   * the first at element xOff of x) into cols `[cg·kh·kw, n·Ho·Wo]`: row
   * (c, i, j), column (image, output position). Out-of-image cells are 0.
   */
  im2col(g: WindowGeometry, C: number, c0: number, cg: number, n: number, x: Storage, xOff: number, cols: Storage): void;
  /** Adjoint of im2col: add every cols entry back onto its image cell of dx (accumulates). */
  col2im(g: WindowGeometry, C: number, c0: number, cg: number, n: number, cols: Storage, dx: Storage, dxOff: number): void;
  /** dst[b, a, :] = src[a, b, :] for a `[A, B, inner]` block (moves between [C, N·P] and [N, C, P] layouts). */
  swapAxes01(A: number, B: number, inner: number, src: Storage, srcOff: number, dst: Storage, dstOff: number): void;
  /** y[n, c, p] += bias[c] for the N images starting at element yOff. */
  addChannelBias(N: number, C: number, P: number, y: Storage, yOff: number, bias: Storage): void;
  /** out[c] = Σ_{n,p} x[n, c, p]. */
  channelSums(N: number, C: number, P: number, x: Storage, out: Storage): void;
  /** Per-channel mean and biased variance (two passes, so large means do not cancel digits). */
  channelMoments(N: number, C: number, P: number, x: Storage, mean: Storage, variance: Storage): void;
  /** sumDy[c] = Σ dy[n,c,p]; sumDyXc[c] = Σ dy[n,c,p]·(x[n,c,p] − mean[c]) (batch-norm backward). */
  channelCenteredDot(N: number, C: number, P: number, dy: Storage, x: Storage, mean: Storage, sumDy: Storage, sumDyXc: Storage): void;
  /** y[n,c,p] = a[c]·x[n,c,p] + b[c] (y may be x). */
  channelAffine(N: number, C: number, P: number, x: Storage, a: Storage, b: Storage, y: Storage): void;
  /** y[n,c,p] = a[c]·u[n,c,p] + b[c]·v[n,c,p] + k[c] (batch-norm input gradient in one pass). */
  channelAffine2(N: number, C: number, P: number, u: Storage, v: Storage, a: Storage, b: Storage, k: Storage, y: Storage): void;
  /**
   * Pool `planes` independent `[H, W]` planes into `[Ho, Wo]` planes. Max mode
   * writes the winning in-plane index (ih·W + iw) of each output into argmax
   * (stored as numbers so it lives in backend memory; exact below 2^24 cells).
   * countIncludePad (avg mode) divides by kh·kw instead of the valid cell count.
   */
  pool2d(mode: PoolMode, g: WindowGeometry, planes: number, countIncludePad: boolean, x: Storage, y: Storage, argmax: Storage | null): void;
  /** Gradient of pool2d: dx is overwritten with the routed / spread dy. */
  pool2dBackward(mode: PoolMode, g: WindowGeometry, planes: number, countIncludePad: boolean, dy: Storage, argmax: Storage | null, dx: Storage): void;
  /** y[r, j] = x[r, j]·v[j] for R rows of N (a time-shared dropout mask applied to every step). */
  mulBroadcast(R: number, N: number, x: Storage, v: Storage, y: Storage): void;
}
