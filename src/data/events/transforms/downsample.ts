import { ConfigError } from '../../../errors.js';
import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkPositive, type Transform } from './transform.js';

/**
 * Scale coordinates by `spatialFactor` (x' = ⌊x·f⌋, likewise y and channel)
 * and stamps by `timeFactor`; the sensor size shrinks to fit. Events that land
 * on the same pixel are kept (a later ToFrame sums them).
 */
export class Downsample implements Transform<EventStream, EventStream> {
  readonly name = 'Downsample';
  readonly random = false;
  readonly params: { spatialFactor: number; timeFactor: number };

  constructor(opts: { spatialFactor?: number; timeFactor?: number }) {
    const spatialFactor = opts.spatialFactor ?? 1, timeFactor = opts.timeFactor ?? 1;
    checkPositive('Downsample', 'spatialFactor', spatialFactor);
    checkPositive('Downsample', 'timeFactor', timeFactor);
    if (spatialFactor > 1) throw new ConfigError(`Downsample: spatialFactor must be ≤ 1, got ${spatialFactor}`);
    this.params = { spatialFactor, timeFactor };
  }

  apply(s: EventStream, _rng?: Rng): EventStream {
    const { spatialFactor: f, timeFactor: g } = this.params;
    const n = s.t.length;
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = s.t[i]! * g;
    const scale = (a: Uint16Array): Uint16Array => {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(a[i]! * f);
      return out;
    };
    if (s.kind === 'channel') return { ...s, t, channel: scale(s.channel), channels: Math.floor((s.channels - 1) * f) + 1 };
    return { ...s, t, x: scale(s.x), y: scale(s.y), p: s.p.slice(), width: Math.floor((s.width - 1) * f) + 1, height: Math.floor((s.height - 1) * f) + 1 };
  }
}
