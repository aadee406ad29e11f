import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkPositive, requireDvs, type DenseEvents, type Transform } from './transform.js';

/**
 * Voxel grid [B, H, W] (Zhu et al. 2019): each event adds its polarity (+1 ON,
 * −1 OFF) to the two time bins around its normalised stamp
 * τ = (B−1)(t − t0)/(tN − t0), weighted (1 − (τ − ⌊τ⌋)) and (τ − ⌊τ⌋):
 * bilinear interpolation in time, so the grid varies smoothly with stamps.
 */
export class ToVoxelGrid implements Transform<EventStream, DenseEvents> {
  readonly name = 'ToVoxelGrid';
  readonly random = false;
  readonly params: { nTimeBins: number };

  constructor(readonly nTimeBins: number) {
    checkPositive('ToVoxelGrid', 'nTimeBins', nTimeBins, true);
    this.params = { nTimeBins };
  }

  apply(stream: EventStream, _rng?: Rng): DenseEvents {
    const s = requireDvs(stream, 'ToVoxelGrid');
    const B = this.nTimeBins, W = s.width, H = s.height, plane = W * H;
    const data = new Float32Array(B * plane);
    const n = s.t.length;
    if (n === 0) return { data, shape: [B, H, W] };
    const t0 = s.t[0]!;
    const span = s.t[n - 1]! - t0;
    const scale = span > 0 ? (B - 1) / span : 0;
    const { x, y, t, p } = s;
    for (let i = 0; i < n; i++) {
      const tau = (t[i]! - t0) * scale;
      const lo = Math.floor(tau);
      const frac = tau - lo;
      const v = p[i]! === 1 ? 1 : -1;
      const pix = y[i]! * W + x[i]!;
      data[lo * plane + pix]! += v * (1 - frac);
      if (frac > 0 && lo + 1 < B) data[(lo + 1) * plane + pix]! += v * frac;
    }
    return { data, shape: [B, H, W] };
  }
}
