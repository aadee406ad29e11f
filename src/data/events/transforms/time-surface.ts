import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkPositive, requireDvs, type DenseEvents, type Transform } from './transform.js';

/**
 * Time surfaces [T, 2, H, W] (Lagorce et al. 2017, global form): the stream is
 * cut into windows of length `dt` starting at its first stamp; at the end of
 * window k each pixel and polarity holds exp(−(t_end − t_last)/tau), where
 * t_last is the latest event there so far (0 where there was none).
 */
export class ToTimeSurface implements Transform<EventStream, DenseEvents> {
  readonly name = 'ToTimeSurface';
  readonly random = false;
  readonly params: { dt: number; tau: number };

  constructor(readonly dt: number, readonly tau: number) {
    checkPositive('ToTimeSurface', 'dt', dt);
    checkPositive('ToTimeSurface', 'tau', tau);
    this.params = { dt, tau };
  }

  apply(stream: EventStream, _rng?: Rng): DenseEvents {
    const s = requireDvs(stream, 'ToTimeSurface');
    const W = s.width, H = s.height, plane = W * H;
    const n = s.t.length;
    const t0 = n > 0 ? s.t[0]! : 0;
    const K = n > 0 ? Math.floor((s.t[n - 1]! - t0) / this.dt) + 1 : 0;
    const data = new Float32Array(K * 2 * plane);
    const last = new Float64Array(2 * plane).fill(-Infinity);
    let i = 0;
    for (let k = 0; k < K; k++) {
      const tEnd = t0 + (k + 1) * this.dt;
      while (i < n && s.t[i]! < tEnd) {
        last[s.p[i]! * plane + s.y[i]! * W + s.x[i]!] = s.t[i]!;
        i++;
      }
      const base = k * 2 * plane;
      for (let j = 0; j < 2 * plane; j++) {
        const tl = last[j]!;
        if (tl !== -Infinity) data[base + j] = Math.exp(-(tEnd - tl) / this.tau);
      }
    }
    return { data, shape: [K, 2, H, W] };
  }
}
