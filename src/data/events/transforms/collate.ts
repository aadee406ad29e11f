import { ShapeError } from '../../../errors.js';
import type { DenseEvents } from './transform.js';

export interface PaddedBatch {
  /** [B, Tmax, ...rest] (or [Tmax, B, ...rest] when timeMajor), zero-padded. */
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** True length T_i of each sample. */
  readonly lengths: Int32Array;
}

/**
 * Stack samples [T_i, ...rest] of different lengths into one zero-padded
 * batch. All samples must agree on `rest`. Time-major output matches the
 * [T, B, ...] layout of spikeflow's sequence inputs.
 */
export function padCollate(samples: readonly DenseEvents[], opts: { timeMajor?: boolean; padValue?: number } = {}): PaddedBatch {
  if (samples.length === 0) throw new ShapeError('padCollate: empty batch');
  const rest = samples[0]!.shape.slice(1);
  let F = 1;
  for (const d of rest) F *= d;
  let T = 0;
  samples.forEach((s, i) => {
    if (s.shape.length !== rest.length + 1 || s.shape.slice(1).some((d, k) => d !== rest[k])) {
      throw new ShapeError(`padCollate: sample ${i} has shape [${s.shape.join(', ')}], expected [T, ${rest.join(', ')}]`);
    }
    T = Math.max(T, s.shape[0]!);
  });
  const B = samples.length;
  const data = new Float32Array(B * T * F);
  if (opts.padValue) data.fill(opts.padValue);
  const lengths = new Int32Array(B);
  samples.forEach((s, b) => {
    const Ti = s.shape[0]!;
    lengths[b] = Ti;
    if (opts.timeMajor) for (let t = 0; t < Ti; t++) data.set(s.data.subarray(t * F, (t + 1) * F), (t * B + b) * F);
    else data.set(s.data.subarray(0, Ti * F), b * T * F);
  });
  return { data, shape: opts.timeMajor ? [T, B, ...rest] : [B, T, ...rest], lengths };
}
