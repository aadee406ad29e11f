import { ConfigError } from '../../../errors.js';
import type { Rng } from '../../../tensor/rng.js';
import { filterEvents, type EventStream } from '../stream.js';
import { checkProb, requireDvs, type Transform } from './transform.js';

/** Drop each event independently with probability `probability`. */
export class DropEvent implements Transform<EventStream, EventStream> {
  readonly name = 'DropEvent';
  readonly random = true;
  readonly params: { probability: number };

  constructor(probability: number) {
    checkProb('DropEvent', 'probability', probability);
    this.params = { probability };
  }

  apply(s: EventStream, rng: Rng): EventStream {
    const n = s.t.length;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = rng.random() < this.params.probability ? 0 : 1;
    return filterEvents(s, keep);
  }
}

/**
 * Silence pixels: either each pixel independently with probability
 * `probability` (augmentation), or the listed `pixels` [x, y] (e.g. known hot pixels).
 */
export class DropPixel implements Transform<EventStream, EventStream> {
  readonly name = 'DropPixel';
  readonly params: { probability: number; pixels: readonly (readonly [number, number])[] };
  readonly random: boolean;

  constructor(opts: { probability?: number; pixels?: readonly (readonly [number, number])[] }) {
    const probability = opts.probability ?? 0;
    checkProb('DropPixel', 'probability', probability);
    const pixels = (opts.pixels ?? []).map(([x, y]) => [x, y] as const);
    if (probability === 0 && pixels.length === 0) throw new ConfigError('DropPixel: give a probability > 0 or a list of pixels');
    this.params = { probability, pixels };
    this.random = probability > 0;
  }

  apply(stream: EventStream, rng: Rng): EventStream {
    const s = requireDvs(stream, 'DropPixel');
    const W = s.width, H = s.height;
    const dead = new Uint8Array(W * H);
    if (this.params.probability > 0) for (let k = 0; k < W * H; k++) dead[k] = rng.random() < this.params.probability ? 1 : 0;
    for (const [x, y] of this.params.pixels) if (x >= 0 && x < W && y >= 0 && y < H) dead[y * W + x] = 1;
    const n = s.t.length;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = dead[s.y[i]! * W + s.x[i]!] ? 0 : 1;
    return filterEvents(s, keep);
  }
}
