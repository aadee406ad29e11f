import type { Rng } from '../../../tensor/rng.js';
import { argsortStable, filterEvents, isSorted, takeEvents, type EventStream } from '../stream.js';
import { checkPositive, requireDvs, type Transform } from './transform.js';

/**
 * Add N(0, std²) to every stamp (rounded to integers when `round`), drop
 * stamps that become negative when `clipNegative`, and re-sort by time.
 */
export class TimeJitter implements Transform<EventStream, EventStream> {
  readonly name = 'TimeJitter';
  readonly random = true;
  readonly params: { std: number; round: boolean; clipNegative: boolean };

  constructor(std: number, opts: { round?: boolean; clipNegative?: boolean } = {}) {
    checkPositive('TimeJitter', 'std', std);
    this.params = { std, round: opts.round ?? false, clipNegative: opts.clipNegative ?? true };
  }

  apply(s: EventStream, rng: Rng): EventStream {
    const n = s.t.length;
    const t = new Float64Array(n);
    const keep = new Uint8Array(n);
    let all = true;
    for (let i = 0; i < n; i++) {
      let v = s.t[i]! + this.params.std * rng.normal();
      if (this.params.round) v = Math.round(v);
      t[i] = v;
      keep[i] = this.params.clipNegative && v < 0 ? 0 : 1;
      if (!keep[i]) all = false;
    }
    let out: EventStream = { ...s, t };
    if (!all) out = filterEvents(out, keep);
    return isSorted(out.t) ? out : takeEvents(out, argsortStable(out.t));
  }
}

/**
 * Move each event by rounded N(0, σ²) pixels in x and y. Events pushed off the
 * sensor are dropped (default) or clamped to the border (`clip`).
 */
export class SpatialJitter implements Transform<EventStream, EventStream> {
  readonly name = 'SpatialJitter';
  readonly random = true;
  readonly params: { sigmaX: number; sigmaY: number; clip: boolean };

  constructor(sigmaX: number, sigmaY = sigmaX, opts: { clip?: boolean } = {}) {
    checkPositive('SpatialJitter', 'sigmaX', sigmaX);
    checkPositive('SpatialJitter', 'sigmaY', sigmaY);
    this.params = { sigmaX, sigmaY, clip: opts.clip ?? false };
  }

  apply(stream: EventStream, rng: Rng): EventStream {
    const s = requireDvs(stream, 'SpatialJitter');
    const n = s.t.length;
    const x = new Uint16Array(n), y = new Uint16Array(n);
    const keep = new Uint8Array(n);
    let all = true;
    for (let i = 0; i < n; i++) {
      let xi = s.x[i]! + Math.round(this.params.sigmaX * rng.normal());
      let yi = s.y[i]! + Math.round(this.params.sigmaY * rng.normal());
      const inside = xi >= 0 && xi < s.width && yi >= 0 && yi < s.height;
      if (!inside && this.params.clip) {
        xi = Math.min(s.width - 1, Math.max(0, xi));
        yi = Math.min(s.height - 1, Math.max(0, yi));
      }
      keep[i] = inside || this.params.clip ? 1 : 0;
      if (!keep[i]) all = false;
      x[i] = keep[i] ? xi : 0;
      y[i] = keep[i] ? yi : 0;
    }
    const out = { ...s, x, y };
    return all ? out : filterEvents(out, keep);
  }
}
