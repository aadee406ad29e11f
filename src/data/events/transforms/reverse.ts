import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkProb, type Transform } from './transform.js';

/**
 * With probability `probability`, play the sample backwards: t → t_first + t_last − t
 * (so the span is unchanged), order reversed to stay sorted, and DVS
 * polarities swapped because a brightness increase seen backwards is a decrease.
 */
export class TimeReversal implements Transform<EventStream, EventStream> {
  readonly name = 'TimeReversal';
  readonly random = true;
  readonly params: { probability: number };

  constructor(probability = 0.5) {
    checkProb('TimeReversal', 'probability', probability);
    this.params = { probability };
  }

  apply(s: EventStream, rng: Rng): EventStream {
    if (!(rng.random() < this.params.probability)) return s;
    const n = s.t.length;
    if (n === 0) return s;
    const sum = s.t[0]! + s.t[n - 1]!;
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = sum - s.t[n - 1 - i]!;
    if (s.kind === 'channel') return { ...s, t, channel: s.channel.slice().reverse() };
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i++) p[i] = 1 - s.p[n - 1 - i]!;
    return { ...s, t, x: s.x.slice().reverse(), y: s.y.slice().reverse(), p };
  }
}
