import { ConfigError } from '../../../errors.js';
import type { Rng } from '../../../tensor/rng.js';
import type { DvsEvents, EventStream } from '../stream.js';
import { checkPositive, requireDvs, type Transform } from './transform.js';

/** Keep events inside the width×height box at (x0, y0), shifted to the box origin. */
export function cropEvents(s: DvsEvents, x0: number, y0: number, width: number, height: number): DvsEvents {
  const n = s.t.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const dx = s.x[i]! - x0, dy = s.y[i]! - y0;
    if (dx >= 0 && dx < width && dy >= 0 && dy < height) m++;
  }
  const x = new Uint16Array(m), y = new Uint16Array(m), t = new Float64Array(m), p = new Uint8Array(m);
  for (let i = 0, k = 0; i < n; i++) {
    const dx = s.x[i]! - x0, dy = s.y[i]! - y0;
    if (dx >= 0 && dx < width && dy >= 0 && dy < height) {
      x[k] = dx;
      y[k] = dy;
      t[k] = s.t[i]!;
      p[k] = s.p[i]!;
      k++;
    }
  }
  return { ...s, x, y, t, p, width, height };
}

function checkCrop(who: string, s: DvsEvents, w: number, h: number): void {
  if (w > s.width || h > s.height) throw new ConfigError(`${who}: crop ${w}×${h} is larger than the ${s.width}×${s.height} sensor`);
}

/** Crop the central width×height region (offset rounded down). */
export class CenterCrop implements Transform<EventStream, EventStream> {
  readonly name = 'CenterCrop';
  readonly random = false;
  readonly params: { width: number; height: number };

  constructor(width: number, height: number) {
    checkPositive('CenterCrop', 'width', width, true);
    checkPositive('CenterCrop', 'height', height, true);
    this.params = { width, height };
  }

  apply(stream: EventStream, _rng?: Rng): DvsEvents {
    const s = requireDvs(stream, 'CenterCrop');
    const { width, height } = this.params;
    checkCrop('CenterCrop', s, width, height);
    return cropEvents(s, Math.floor((s.width - width) / 2), Math.floor((s.height - height) / 2), width, height);
  }
}

/** Crop a width×height region at a uniformly drawn offset. */
export class RandomCrop implements Transform<EventStream, EventStream> {
  readonly name = 'RandomCrop';
  readonly random = true;
  readonly params: { width: number; height: number };

  constructor(width: number, height: number) {
    checkPositive('RandomCrop', 'width', width, true);
    checkPositive('RandomCrop', 'height', height, true);
    this.params = { width, height };
  }

  apply(stream: EventStream, rng: Rng): DvsEvents {
    const s = requireDvs(stream, 'RandomCrop');
    const { width, height } = this.params;
    checkCrop('RandomCrop', s, width, height);
    const x0 = rng.int(s.width - width + 1);
    const y0 = rng.int(s.height - height + 1);
    return cropEvents(s, x0, y0, width, height);
  }
}
