import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { inputData, output, type EncodeOptions } from './common.js';

/**
 * How decreases are reported:
 * - 'none':     only increases spike (ON); output `[T, B, ...]`, binary;
 * - 'signed':   a decrease gives −1 in the same place; output `[T, B, ...]`, values in {−1, 0, 1}, not binary;
 * - 'channels': ON and OFF spikes as two binary copies concatenated along the
 *               first feature axis: `[T, B, F0, ...]` → `[T, B, 2·F0, ...]`
 *               (ON first; a `[T, B]` input gives `[T, B, 2]`). For `[T, B, 1, H, W]`
 *               this is the usual two-polarity event camera layout.
 */
export type DeltaOff = 'none' | 'signed' | 'channels';

export interface DeltaOptions extends EncodeOptions {
  /** A change ≥ threshold spikes ON, ≤ −threshold spikes OFF (default 0.1). */
  threshold?: number;
  /**
   * false (default): step 0 is compared with 0, so a large first value spikes;
   * true: step 0 is compared with itself and never spikes.
   */
  padding?: boolean;
  off?: DeltaOff;
}

/** Options with defaults filled in, range-checked (ConfigError naming the option). */
export function resolveDeltaOptions(opts: DeltaOptions): { threshold: number; padding: boolean; off: DeltaOff } {
  const threshold = opts.threshold ?? 0.1, padding = opts.padding ?? false, off = opts.off ?? 'none';
  if (!(threshold > 0)) throw new ConfigError(`delta encoder: threshold must be > 0, got ${threshold}`);
  if (off !== 'none' && off !== 'signed' && off !== 'channels') throw new ConfigError(`delta encoder: off must be 'none', 'signed' or 'channels', got '${String(off)}'`);
  return { threshold, padding, off };
}

/**
 * Delta modulation of a time-varying input `[T, B, ...]` (as snnTorch's `delta`):
 * step t spikes where `x[t] − x[t−1]` reaches ±threshold. Deterministic.
 */
export function deltaEncode(x: Tensor, opts: DeltaOptions = {}): Tensor {
  const { threshold, padding, off } = resolveDeltaOptions(opts);
  if (x.ndim < 2) throw new ShapeError(`delta encoder: input must be time-major [T, B, ...], got ${fmtShape(x.shape)}`);
  const src = inputData('delta encoder', x, 2);
  const T = x.shape[0]!;
  const n = T === 0 ? 0 : src.length / T; // numbers per step (B × features)
  const B = x.shape[1]!;
  const F = B === 0 ? 0 : n / B; // features per sample
  let shape: number[];
  if (off !== 'channels') shape = [...x.shape];
  else shape = x.ndim === 2 ? [T, B, 2] : [T, B, 2 * x.shape[2]!, ...x.shape.slice(3)];
  const out = output(shape, off !== 'signed', x, opts);
  const o = out.data;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const inBase = t * n + b * F;
      const prevBase = t === 0 ? -1 : inBase - n;
      const outBase = off === 'channels' ? (t * B + b) * 2 * F : inBase;
      for (let f = 0; f < F; f++) {
        const cur = src[inBase + f]!;
        const prev = prevBase >= 0 ? src[prevBase + f]! : padding ? cur : 0;
        const d = cur - prev;
        if (d >= threshold) o[outBase + f] = 1;
        else if (d <= -threshold) {
          if (off === 'signed') o[outBase + f] = -1;
          else if (off === 'channels') o[outBase + F + f] = 1;
        }
      }
    }
  }
  return out;
}
