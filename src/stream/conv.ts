import type { Backend } from '../backend/backend.js';
import type { PoolMode, WindowGeometry } from '../backend/kernels/conv.js';
import type { Storage } from '../backend/storage.js';
import { chooseConvPath, convForwardInto, convScratchSizes, makeConvPlan, type ConvPlan, type ConvScratch } from '../ops/conv.js';
import { storageCopy } from '../ops/util.js';
import type { Tensor } from '../tensor/tensor.js';
import { slotDensity, type Slot, type Stage } from './stage.js';

/*
 * The image layers of a compiled plan: convolution, pooling and eval-mode
 * batch norm over the N = batch images of one step. Each calls the kernels
 * the op calls, with the op's own path rule and sizes (src/ops/conv.ts,
 * pool.ts, norm.ts), on storages allocated once.
 */

export interface ConvShape {
  g: WindowGeometry;
  N: number;
  Cin: number;
  Cout: number;
  groups: number;
}

/** Convolution: event-driven on sparse spikes, a GEMM per image for 1×1 windows, else im2col + GEMM (scratch allocated at its first use). */
export function convStage(be: Backend, where: string, op: string, s: ConvShape, weight: Tensor, bias: Tensor | null, input: Slot, out: Slot): Stage {
  const w = storageCopy(be, weight);
  const b: Storage | null = bias ? storageCopy(be, bias) : null;
  const n = s.N * s.Cin * s.g.H * s.g.W;
  // One plan per path (sizes do not change between steps); the path is chosen per step, as the op does per call.
  const plans = new Map<string, ConvPlan>();
  let scratch: ConvScratch | null = null;
  const paths: Record<string, number> = { event: 0, pointwise: 0, im2col: 0 };
  return {
    where,
    op,
    paths,
    run() {
      const density = input.binary ? slotDensity(be, input, n) : 1;
      const path = chooseConvPath(be, s.g, s.N, input.binary, density);
      let p = plans.get(path);
      if (!p) plans.set(path, (p = makeConvPlan(s.g, s.groups, s.N, s.Cin, s.Cout, path)));
      if (path === 'im2col' && !scratch) {
        const z = convScratchSizes(p);
        scratch = { cols: be.alloc(z.cols), yT: be.alloc(z.yT) };
      }
      convForwardInto(be, p, input.storage, w, b, out.storage, scratch ?? undefined);
      paths[path]!++;
    },
    storages: () => [w, ...(b ? [b] : []), ...(scratch ? [scratch.cols, scratch.yT] : []), out.storage],
  };
}

/** Pooling of `planes` [H, W] planes; max pooling of spikes stays binary (a window spikes if any input does). */
export function poolStage(be: Backend, where: string, mode: PoolMode, g: WindowGeometry, planes: number, countIncludePad: boolean, input: Slot, out: Slot): Stage {
  const argmax = mode === 'max' ? be.alloc(planes * g.Ho * g.Wo) : null;
  const paths = { [mode]: 0 };
  return {
    where,
    op: `${mode}pool2d`,
    paths,
    run() {
      be.pool2d(mode, g, planes, countIncludePad, input.storage, out.storage, argmax);
      out.binary = mode === 'max' && input.binary;
      paths[mode]!++;
    },
    storages: () => [...(argmax ? [argmax] : []), out.storage],
  };
}

/** Eval-mode batch norm: y = a·x + b per channel over N images of C channels × P positions. */
export function affineStage(be: Backend, where: string, coef: { a: Float64Array; b: Float64Array }, N: number, P: number, input: Slot, out: Slot): Stage {
  const C = coef.a.length;
  // fromArray rounds the float64 coefficients to the backend's dtype, as the op's do.
  const a = be.fromArray(coef.a);
  const b = be.fromArray(coef.b);
  const paths = { affine: 0 };
  return {
    where,
    op: 'batchnorm',
    paths,
    run() {
      be.channelAffine(N, C, P, input.storage, a, b, out.storage);
      paths.affine++;
    },
    storages: () => [a, b, out.storage],
  };
}
