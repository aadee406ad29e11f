import { record } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import type { WindowGeometry } from '../backend/kernels/conv.js';
import type { Storage } from '../backend/storage.js';
import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten, scratchOutput } from './util.js';
import { checkWeightGradInput, type WeightGradOptions } from './linear.js';

/** Padding of a convolution: per-side zeros (one number or one per spatial dim), or PyTorch's 'same' / 'valid'. */
export type Padding = number | readonly number[] | 'same' | 'valid';

export interface ConvOptions {
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
}

/** Spatial settings resolved to one number per spatial dim; padBefore/padAfter differ only for even 'same' kernels. */
export interface ResolvedWindow {
  kernel: number[];
  stride: number[];
  dilation: number[];
  padBefore: number[];
  padAfter: number[];
  /** Output spatial size per dim. */
  out: number[];
}

/** Expand a number or per-dim list to `dims` entries, checking it is a list of integers ≥ min. */
export function perDim(where: string, what: string, v: number | readonly number[], dims: number, min: number): number[] {
  const arr = typeof v === 'number' ? new Array<number>(dims).fill(v) : [...v];
  if (arr.length !== dims) throw new ConfigError(`${where}: ${what} needs ${dims} value(s), got [${arr.join(', ')}]`);
  for (const d of arr) if (!Number.isInteger(d) || d < min) throw new ConfigError(`${where}: ${what} must be integer(s) >= ${min}, got [${arr.join(', ')}]`);
  return arr;
}

/**
 * Resolve kernel/stride/padding/dilation against an input spatial size and
 * compute the output size `floor((in + padBefore + padAfter − d·(k−1) − 1)/s) + 1`.
 * 'same' needs stride 1 and puts the odd extra zero after, as PyTorch does.
 */
export function resolveWindow(where: string, inSize: readonly number[], kernel: readonly number[], stride: number | readonly number[], padding: Padding, dilation: number | readonly number[]): ResolvedWindow {
  const dims = inSize.length;
  const k = perDim(where, 'kernel size', kernel, dims, 1);
  const s = perDim(where, 'stride', stride, dims, 1);
  const d = perDim(where, 'dilation', dilation, dims, 1);
  let pb: number[];
  let pa: number[];
  if (padding === 'valid') {
    pb = new Array<number>(dims).fill(0);
    pa = pb.slice();
  } else if (padding === 'same') {
    if (s.some((v) => v !== 1)) throw new ConfigError(`${where}: padding 'same' needs stride 1, got stride [${s.join(', ')}]`);
    pb = k.map((kk, i) => Math.floor((d[i]! * (kk - 1)) / 2));
    pa = k.map((kk, i) => d[i]! * (kk - 1) - pb[i]!);
  } else {
    pb = perDim(where, 'padding', padding, dims, 0);
    pa = pb.slice();
  }
  const out = inSize.map((n, i) => Math.floor((n + pb[i]! + pa[i]! - d[i]! * (k[i]! - 1) - 1) / s[i]!) + 1);
  if (out.some((o) => o < 1))
    throw new ShapeError(`${where}: input spatial size ${fmtShape(inSize)} is too small for kernel ${fmtShape(k)} (dilation ${fmtShape(d)}, padding ${fmtShape(pb)}); output would be ${fmtShape(out)}`);
  return { kernel: k, stride: s, dilation: d, padBefore: pb, padAfter: pa, out };
}

/** The kernel-level geometry of a resolved 2-D window (a 1-D window is H = 1). */
export function windowGeometry(inSize: readonly number[], w: ResolvedWindow): WindowGeometry {
  if (inSize.length === 1) {
    return { H: 1, W: inSize[0]!, kh: 1, kw: w.kernel[0]!, sh: 1, sw: w.stride[0]!, ph: 0, pw: w.padBefore[0]!, dh: 1, dw: w.dilation[0]!, Ho: 1, Wo: w.out[0]! };
  }
  return {
    H: inSize[0]!, W: inSize[1]!, kh: w.kernel[0]!, kw: w.kernel[1]!, sh: w.stride[0]!, sw: w.stride[1]!,
    ph: w.padBefore[0]!, pw: w.padBefore[1]!, dh: w.dilation[0]!, dw: w.dilation[1]!, Ho: w.out[0]!, Wo: w.out[1]!,
  };
}

/** Output spatial size of a convolution, without running it (model builders infer shapes with this). */
export function convOutputSize(where: string, inSize: readonly number[], kernel: readonly number[], opts: ConvOptions = {}): number[] {
  return resolveWindow(where, inSize, kernel, opts.stride ?? 1, opts.padding ?? 0, opts.dilation ?? 1).out;
}

/**
 * Elements allowed in the im2col buffer (and in the transposed output block):
 * the folded batch is processed in chunks this size so memory stays bounded
 * (8 MB in float32) while each GEMM is still large.
 */
const COLS_BUDGET = 1 << 21;

/**
 * Fewest input channels per group for the sparse input gradient: it sums a
 * Cg-wide row per listed output channel and tap, so narrower rows leave it
 * all loop overhead (a 1-channel input measured 10–30× slower than GEMM + col2im).
 */
const SPARSE_DX_MIN_CHANNELS = 8;

/**
 * Fewest positions per image for the per-image GEMMs of a 1×1 window: native,
 * 1 thread, forward + both gradients, per-image GEMMs against im2col + one GEMM:
 * 13.0 vs 16.9 ms at 128→128 channels on 8×8 maps (N = 128), 33 vs 51 ms at
 * 64→64 on 16×16, but 9.3 vs 6.7 ms at 256→256 on 4×4 (16-column products are
 * too narrow for the GEMM's tiles).
 */
const POINTWISE_MIN_POSITIONS = 64;

/** How a convolution's forward ran, which decides its backward. */
export type ConvPath = 'event' | 'pointwise' | 'im2col';

/** What the last call of a convolution did (filled when the caller passes one, as LinearStats). */
export interface ConvStats {
  path: ConvPath;
  /** Fraction of nonzero inputs (binary inputs only; 1 otherwise; NaN where the backend never runs event kernels and so does not count). */
  density: number;
}

/** Fraction of nonzero entries of a tensor (one pass over its storage). */
function density(t: Tensor): number {
  return t.size > 0 ? t.backend.countNonzero(t.storage) / t.size : 1;
}

/** A 1×1 window with stride 1 and no padding: the convolution is a GEMM over [C, H·W] per image, no im2col. */
function isPointwise(g: WindowGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.Ho === g.H && g.Wo === g.W;
}

/**
 * Which forward a convolution takes: spikes below the backend's crossover add
 * weights per spike (no im2col, no multiplies); else a 1×1 window is a GEMM
 * per image; else im2col. On spikes a 1×1 window is the linear layer's
 * event-driven product, so it takes that crossover. `density` is the input's
 * fraction of nonzeros (read only for binary inputs). The op and the streaming
 * plan (src/stream/) decide with this one rule.
 */
export function chooseConvPath(be: Backend, g: WindowGeometry, N: number, binary: boolean, density: number): ConvPath {
  const pointwise = isPointwise(g);
  const eventThreshold = pointwise ? be.eventDensityThreshold : be.convEventDensityThreshold;
  if (binary && N > 0 && density < eventThreshold) return 'event';
  return pointwise && g.Ho * g.Wo >= POINTWISE_MIN_POSITIONS ? 'pointwise' : 'im2col';
}

/** Sizes of one convolution call over N images, and the path its forward took (its backward follows it). */
export interface ConvPlan {
  g: WindowGeometry;
  groups: number;
  N: number;
  Cin: number;
  Cout: number;
  Cg: number;
  Og: number;
  Kg: number;
  P: number;
  inImg: number;
  /** Images per im2col block (bounded by COLS_BUDGET). */
  chunk: number;
  path: ConvPath;
  /** The weight gradient's path: the forward's, unless a substitute input (an OTTT trace) rules out the event-driven one. */
  dwPath: ConvPath;
}

export function makeConvPlan(g: WindowGeometry, groups: number, N: number, Cin: number, Cout: number, path: ConvPath, dwPath: ConvPath = path): ConvPlan {
  const Cg = Cin / groups;
  const Og = Cout / groups;
  const Kg = Cg * g.kh * g.kw;
  const P = g.Ho * g.Wo;
  const chunk = Math.max(1, Math.min(N, Math.floor(COLS_BUDGET / Math.max(1, Math.max(Kg, Cout) * P))));
  return { g, groups, N, Cin, Cout, Cg, Og, Kg, P, inImg: Cin * g.H * g.W, chunk, path, dwPath };
}

/** Scratch the im2col forward needs: the unfolded columns and the channel-major output block. */
export interface ConvScratch {
  cols: Storage;
  yT: Storage;
}

/** Element counts of ConvScratch for a plan (a caller that runs the same plan again allocates them once). */
export function convScratchSizes(p: ConvPlan): { cols: number; yT: number } {
  return { cols: p.Kg * p.chunk * p.P, yT: p.Cout * p.chunk * p.P };
}

/**
 * The forward of one planned convolution on raw storages: y [N, Cout, Ho, Wo]
 * is overwritten (eventConv overwrites y; im2col writes the padding zeros
 * itself; the GEMMs have beta = 0; swapAxes01 covers all of y), then the bias
 * is added. `scratch` (im2col only) is allocated here when not given.
 */
export function convForwardInto(be: Backend, p: ConvPlan, x: Storage, w: Storage, bias: Storage | null, y: Storage, scratch?: ConvScratch): void {
  if (p.N === 0) return;
  if (p.path === 'event') be.eventConv(p.g, p.N, p.Cin, p.Cout, p.groups, x, w, y);
  else if (p.path === 'pointwise') pointwiseForward(be, x, w, y, p);
  else im2colForward(be, x, w, y, p, scratch);
  if (bias) be.addChannelBias(p.N, p.Cout, p.P, y, 0, bias);
}

/** Cross-correlation over `dims` trailing spatial dims; x [...lead, C_in, ...spatial], W [C_out, C_in/groups, ...k]. */
function convNd(name: string, dims: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions, stats: ConvStats | undefined, wopts: WeightGradOptions): Tensor {
  if (weight.ndim !== dims + 2) throw new ShapeError(`${name}: weight must be [C_out, C_in/groups, ${dims === 1 ? 'k' : 'kh, kw'}], got ${fmtShape(weight.shape)}`);
  if (x.ndim < dims + 1) throw new ShapeError(`${name}: input must be [..., C_in, ${dims === 1 ? 'L' : 'H, W'}], got ${fmtShape(x.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ConfigError(`${name}: groups must be a positive integer, got ${groups}`);
  const Cout = weight.shape[0]!;
  const Cg = weight.shape[1]!;
  const Cin = x.shape[x.ndim - dims - 1]!;
  if (Cout % groups !== 0) throw new ShapeError(`${name}: ${Cout} output channels are not divisible by groups=${groups}`);
  if (Cin !== Cg * groups) throw new ShapeError(`${name}: input ${fmtShape(x.shape)} has ${Cin} channels, weight ${fmtShape(weight.shape)} with groups=${groups} expects ${Cg * groups}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== Cout)) throw new ShapeError(`${name}: bias ${fmtShape(bias.shape)} does not match ${Cout} output channels`);
  const lead = x.shape.slice(0, x.ndim - dims - 1);
  const spatial = x.shape.slice(x.ndim - dims);
  const win = resolveWindow(name, spatial, weight.shape.slice(2), opts.stride ?? 1, opts.padding ?? 0, opts.dilation ?? 1);
  const g = windowGeometry(spatial, win);
  const be = x.backend;
  const N = sizeOf(lead);
  // A backend that never takes the event path (threshold 0: webgpu) is not asked to count: the count is a host read.
  const inDensity = x.binary && N > 0 ? (be.convEventDensityThreshold > 0 || be.eventDensityThreshold > 0 ? density(x) : NaN) : 1;
  const path = chooseConvPath(be, g, N, x.binary, inDensity);
  if (stats) {
    stats.path = path;
    stats.density = inDensity;
  }
  const u = checkWeightGradInput(name, x, wopts.weightGradInput);
  // A substitute weight-gradient input (a trace) is real-valued: its dW takes a dense path.
  const dwPath: ConvPath = u && path === 'event' ? chooseConvPath(be, g, N, false, 1) : path;
  const plan = makeConvPlan(g, groups, N, Cin, Cout, path, dwPath);
  const y = emptyOverwritten(be, [...lead, Cout, ...win.out]);
  convForwardInto(be, plan, x.storage, weight.storage, bias ? bias.storage : null, y.storage);
  record(name, [x, weight, bias], [y], ([gy]) => convBackward(be, gy!, x, u ?? x, weight, bias, plan), u ? [u.storage] : undefined);
  return y;
}

/** Per group and chunk: Y_g[Og, n·P] = W_g[Og, Kg] · cols_g[Kg, n·P]; then [C_out, n, P] → [n, C_out, P]. */
function im2colForward(be: Backend, x: Storage, w: Storage, y: Storage, p: ConvPlan, scratch?: ConvScratch): void {
  const { g, groups, N, Cin, Cout, Cg, Og, Kg, P, inImg, chunk } = p;
  const cols = scratch ? scratch.cols : scratchOutput(be, Kg * chunk * P);
  const yT = scratch ? scratch.yT : scratchOutput(be, Cout * chunk * P);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const n = Math.min(chunk, N - n0);
    for (let gr = 0; gr < groups; gr++) {
      be.im2col(g, Cin, gr * Cg, Cg, n, x, n0 * inImg, cols);
      be.gemm(false, false, Og, n * P, Kg, 1, w, gr * Og * Kg, cols, 0, 0, yT, gr * Og * n * P);
    }
    be.swapAxes01(Cout, n, P, yT, 0, y, n0 * Cout * P);
  }
}

/** 1×1 window: per image and group, Y[n]_g[Og, P] = W_g[Og, Cg] · X[n]_g[Cg, P], read and written in place. */
function pointwiseForward(be: Backend, x: Storage, w: Storage, y: Storage, p: ConvPlan): void {
  const { groups, N, Cout, Cg, Og, P, inImg } = p;
  for (let n = 0; n < N; n++)
    for (let gr = 0; gr < groups; gr++) be.gemm(false, false, Og, P, Cg, 1, w, gr * Og * Cg, x, n * inImg + gr * Cg * P, 0, y, (n * Cout + gr * Og) * P);
}

/**
 * dX: visiting only the nonzero dY when it is sparse enough (after max
 * pooling), else Wᵀ·dY (+ col2im); dW: event-driven when the forward was,
 * else dY·colsᵀ accumulated over chunks (cols recomputed rather than kept
 * from forward); db via channel sums. A 1×1 window needs no col2im/im2col.
 * dW is formed from `xw`: x itself, or the substitute of WeightGradOptions.
 */
function convBackward(be: Backend, dY: Tensor, x: Tensor, xw: Tensor, weight: Tensor, bias: Tensor | null, p: ConvPlan): (Tensor | null)[] {
  const { g, groups, N, Cin, Cout, Cg, Og, Kg, P, inImg, chunk, path, dwPath } = p;
  const sparseDx = x.requiresGrad && N > 0 && Cg >= SPARSE_DX_MIN_CHANNELS && be.convSparseGradDensityThreshold > 0 && density(dY) < be.convSparseGradDensityThreshold;
  // A 1×1 window on planes too small for the per-image GEMMs (path 'im2col'): its columns are the input with the
  // first two axes swapped, so dX is the column gradient swapped back, overwriting dX, instead of col2im's
  // accumulation into a zero-filled dX (two passes over dX fewer; one group only, as dX's images are then contiguous).
  const swapDx = path === 'im2col' && groups === 1 && isPointwise(g);
  // Overwritten in full: convGradXSparse, the pointwise GEMMs (beta = 0) and swapDx; col2im and the dW kernels accumulate.
  const dX = x.requiresGrad ? (sparseDx || path === 'pointwise' || swapDx ? emptyOverwritten(be, x.shape) : empty(be, x.shape)) : null;
  const dW = weight.requiresGrad ? empty(be, weight.shape) : null;
  const db = bias && bias.requiresGrad ? empty(be, bias.shape) : null;
  if (N > 0) {
    if (dX && sparseDx) be.convGradXSparse(g, N, Cin, Cout, groups, dY.storage, weight.storage, dX.storage);
    if (dW && dwPath === 'event') be.eventConvGradW(g, N, Cin, Cout, groups, xw.storage, dY.storage, dW.storage);
    const pointDX = dX !== null && !sparseDx && path === 'pointwise';
    const pointDW = dW !== null && dwPath === 'pointwise';
    if (pointDX || pointDW) {
      for (let n = 0; n < N; n++)
        for (let gr = 0; gr < groups; gr++) {
          const xOff = n * inImg + gr * Cg * P, dyOff = (n * Cout + gr * Og) * P;
          if (pointDX) be.gemm(true, false, Cg, P, Og, 1, weight.storage, gr * Og * Cg, dY.storage, dyOff, 0, dX!.storage, xOff);
          if (pointDW) be.gemm(false, true, Og, Cg, P, 1, dY.storage, dyOff, xw.storage, xOff, 1, dW!.storage, gr * Og * Cg);
        }
    }
    const colsDW = dW !== null && dwPath === 'im2col';
    const colsDX = dX !== null && !sparseDx && path !== 'pointwise';
    if (colsDW || colsDX) {
      // Written before read (im2col, the beta = 0 GEMM, swapAxes01); dX and dW accumulate and stay zeroed.
      const cols = scratchOutput(be, Kg * chunk * P);
      const dyT = scratchOutput(be, Cout * chunk * P);
      for (let n0 = 0; n0 < N; n0 += chunk) {
        const n = Math.min(chunk, N - n0);
        be.swapAxes01(n, Cout, P, dY.storage, n0 * Cout * P, dyT, 0);
        for (let gr = 0; gr < groups; gr++) {
          const dyOff = gr * Og * n * P;
          if (colsDW) {
            be.im2col(g, Cin, gr * Cg, Cg, n, xw.storage, n0 * inImg, cols);
            be.gemm(false, true, Og, Kg, n * P, 1, dyT, dyOff, cols, 0, 1, dW!.storage, gr * Og * Kg);
          }
          if (colsDX) {
            be.gemm(true, false, Kg, n * P, Og, 1, weight.storage, gr * Og * Kg, dyT, dyOff, 0, cols, 0);
            if (swapDx) be.swapAxes01(Cin, n, P, cols, 0, dX!.storage, n0 * inImg);
            else be.col2im(g, Cin, gr * Cg, Cg, n, cols, dX!.storage, n0 * inImg);
          }
        }
      }
    }
  }
  if (db) be.channelSums(N, Cout, P, dY.storage, db.storage);
  return [dX, dW, db];
}

/**
 * 2-D cross-correlation (PyTorch Conv2d semantics). x is [...lead, C_in, H, W]
 * where every leading dim (time, batch) is folded into one batch; W is
 * [C_out, C_in/groups, kh, kw]. One im2col + one GEMM per group and chunk of
 * the folded batch; spikes (binary x) below the backend's density crossover
 * take the event-driven kernels, and a 1×1 window a GEMM per image without
 * im2col. Returns [...lead, C_out, H_out, W_out].
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions = {}, stats?: ConvStats, wopts: WeightGradOptions = {}): Tensor {
  return convNd('conv2d', 2, x, weight, bias, opts, stats, wopts);
}

/** 1-D cross-correlation (PyTorch Conv1d): x [...lead, C_in, L], W [C_out, C_in/groups, k] → [...lead, C_out, L_out]. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions = {}, stats?: ConvStats, wopts: WeightGradOptions = {}): Tensor {
  return convNd('conv1d', 1, x, weight, bias, opts, stats, wopts);
}
