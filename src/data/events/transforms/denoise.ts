import type { Rng } from '../../../tensor/rng.js';
import { filterEvents, type DvsEvents, type EventStream } from '../stream.js';
import { checkPositive, requireDvs, type Transform } from './transform.js';

/**
 * Background-activity filter: keep an event only when one of its 8 neighbours
 * (not the pixel itself) had an event less than `filterTime` earlier. Isolated
 * noise events have no such support; moving edges do.
 */
export class Denoise implements Transform<EventStream, EventStream> {
  readonly name = 'Denoise';
  readonly random = false;
  readonly params: { filterTime: number };

  constructor(readonly filterTime: number) {
    checkPositive('Denoise', 'filterTime', filterTime);
    this.params = { filterTime };
  }

  apply(stream: EventStream, _rng?: Rng): DvsEvents {
    const s = requireDvs(stream, 'Denoise');
    const W = s.width, H = s.height;
    const last = new Float64Array(W * H).fill(-Infinity);
    const n = s.t.length;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = s.x[i]!, y = s.y[i]!, t = s.t[i]!;
      const x0 = x > 0 ? x - 1 : 0, x1 = x + 1 < W ? x + 1 : x;
      const y0 = y > 0 ? y - 1 : 0, y1 = y + 1 < H ? y + 1 : y;
      let ok = 0;
      for (let yy = y0; yy <= y1 && !ok; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          if ((xx !== x || yy !== y) && t - last[yy * W + xx]! < this.filterTime) {
            ok = 1;
            break;
          }
        }
      }
      keep[i] = ok;
      last[y * W + x] = t;
    }
    return filterEvents(s, keep);
  }
}

/**
 * Refractory filter: drop an event when the same pixel (either polarity)
 * emitted a kept event less than `period` earlier, as a real pixel cannot fire again that soon.
 */
export class RefractoryPeriod implements Transform<EventStream, EventStream> {
  readonly name = 'RefractoryPeriod';
  readonly random = false;
  readonly params: { period: number };

  constructor(readonly period: number) {
    checkPositive('RefractoryPeriod', 'period', period);
    this.params = { period };
  }

  apply(stream: EventStream, _rng?: Rng): DvsEvents {
    const s = requireDvs(stream, 'RefractoryPeriod');
    const last = new Float64Array(s.width * s.height).fill(-Infinity);
    const n = s.t.length;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = s.y[i]! * s.width + s.x[i]!;
      if (s.t[i]! - last[k]! >= this.period) {
        keep[i] = 1;
        last[k] = s.t[i]!;
      }
    }
    return filterEvents(s, keep);
  }
}
