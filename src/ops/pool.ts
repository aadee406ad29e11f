import { record } from '../autograd/tape.js';
import type { PoolMode, WindowGeometry } from '../backend/kernels/conv.js';
import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { perDim, resolveWindow, windowGeometry, type ResolvedWindow } from './conv.js';
import { emptyOverwritten, scratchOutput } from './util.js';

export interface Pool2dOptions {
  kernel: number | readonly number[];
  /** Defaults to the kernel size (non-overlapping windows), as in PyTorch. */
  stride?: number | readonly number[];
  /** Zeros (avg/sum) or −∞ (max) on each side; at most half the kernel. */
  padding?: number | readonly number[];
  /** Average pooling only: divide by kh·kw even where the window covers padding (PyTorch default true). */
  countIncludePad?: boolean;
}

/** Kernel, stride and padding checked and resolved against an [H, W] input. */
function poolWindow(where: string, inSize: readonly number[], opts: Pool2dOptions): ResolvedWindow {
  const k = perDim(where, 'kernel size', opts.kernel, 2, 1);
  const pad = perDim(where, 'padding', opts.padding ?? 0, 2, 0);
  pad.forEach((p, i) => {
    if (2 * p > k[i]!) throw new ConfigError(`${where}: padding [${pad.join(', ')}] must be at most half the kernel [${k.join(', ')}]`);
  });
  return resolveWindow(where, inSize, k, opts.stride ?? k, pad, 1);
}

/** The kernel-level geometry of a 2-D pooling over [H, W] (the op's own; the streaming plan runs the kernel with it). */
export function poolGeometry(where: string, inSize: readonly number[], opts: Pool2dOptions): WindowGeometry {
  return windowGeometry(inSize, poolWindow(where, inSize, opts));
}

/** Output spatial size [H_out, W_out] of a 2-D pooling over [H, W]. */
export function poolOutputSize(where: string, inSize: readonly number[], opts: Pool2dOptions): number[] {
  return poolWindow(where, inSize, opts).out;
}

function pool2d(mode: PoolMode, x: Tensor, opts: Pool2dOptions): Tensor {
  const name = `${mode}Pool2d`;
  if (x.ndim < 3) throw new ShapeError(`${name}: input must be [..., C, H, W], got ${fmtShape(x.shape)}`);
  const spatial = x.shape.slice(-2);
  const g = poolGeometry(name, spatial, opts);
  const countIncludePad = opts.countIncludePad ?? true;
  const be = x.backend;
  const planes = x.size / (g.H * g.W) || 0;
  if (mode === 'max' && g.H * g.W > 1 << 24) throw new ShapeError(`${name}: planes of ${g.H}x${g.W} cells are too large to index`);
  // pool2d writes every output and argmax entry, pool2dBackward every dx cell: no zero-fill needed.
  const y = emptyOverwritten(be, [...x.shape.slice(0, -2), g.Ho, g.Wo], mode === 'max' && x.binary);
  const argmax = mode === 'max' ? scratchOutput(be, y.size) : null;
  be.pool2d(mode, g, planes, countIncludePad, x.storage, y.storage, argmax);
  record(name, [x], [y], ([gy]) => {
    const dx = emptyOverwritten(be, x.shape);
    be.pool2dBackward(mode, g, planes, countIncludePad, gy!.storage, argmax, dx.storage);
    return [dx];
  }, argmax ? [argmax] : undefined);
  return y;
}

/** Max over windows of [..., C, H, W] (leading dims folded); the winning positions are kept for backward. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return pool2d('max', x, opts);
}

/** Mean over windows of [..., C, H, W]. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return pool2d('avg', x, opts);
}

/** Sum over windows of [..., C, H, W] (NIR SumPool2d; spike counts per window). */
export function sumPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return pool2d('sum', x, opts);
}
