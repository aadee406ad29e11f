import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSteps, inputData, output, type EncodeOptions } from './common.js';

export interface FramesOptions extends EncodeOptions {
  /** Counts above 1 become 1, so the input is 0/1 spikes (event-driven layers can use it). */
  binarize?: boolean;
}

/**
 * Identity coding for data that is already a time sequence (event-camera
 * frames, `[T, 2, H, W]` per sample): the loader's batch `[B, T, ...]` becomes
 * the time-major `[T, B, ...]` the network runs on, by one contiguous copy per
 * (t, b) block. Values are passed through (event counts), or clipped to 1 with
 * `binarize`. Not differentiable: it takes data, not activations.
 */
export function framesEncode(x: Tensor, T: number, opts: FramesOptions = {}): Tensor {
  checkSteps('frames encoder', T);
  if (x.ndim < 2 || x.shape[1] !== T) {
    throw new ShapeError(`frames encoder: input must be [B, T=${T}, ...] (samples of ${T} frames), got ${fmtShape(x.shape)}`);
  }
  const B = x.shape[0]!;
  const rest = x.shape.slice(2);
  const F = rest.reduce((a, b) => a * b, 1);
  const out = output([T, B, ...rest], opts.binarize ?? false, x, opts);
  const src = inputData('frames encoder', x, 2);
  const dst = out.data;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const from = (b * T + t) * F, to = (t * B + b) * F;
      if (opts.binarize) {
        for (let f = 0; f < F; f++) dst[to + f] = src[from + f]! > 0 ? 1 : 0;
      } else {
        dst.set(src.subarray(from, from + F), to);
      }
    }
  }
  return out;
}
