import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkProb, requireDvs, type Transform } from './transform.js';

/**
 * With probability `probability`, mirror x (x → W−1−x), mirror y, or swap
 * polarities, for the whole sample. One draw per call.
 */
export class RandomFlip implements Transform<EventStream, EventStream> {
  readonly name = 'RandomFlip';
  readonly random = true;
  readonly params: { axis: 'x' | 'y' | 'p'; probability: number };

  constructor(axis: 'x' | 'y' | 'p', probability = 0.5) {
    checkProb('RandomFlip', 'probability', probability);
    this.params = { axis, probability };
  }

  apply(stream: EventStream, rng: Rng): EventStream {
    const s = requireDvs(stream, 'RandomFlip');
    if (!(rng.random() < this.params.probability)) return s;
    const n = s.t.length;
    switch (this.params.axis) {
      case 'x': {
        const x = new Uint16Array(n);
        for (let i = 0; i < n; i++) x[i] = s.width - 1 - s.x[i]!;
        return { ...s, x };
      }
      case 'y': {
        const y = new Uint16Array(n);
        for (let i = 0; i < n; i++) y[i] = s.height - 1 - s.y[i]!;
        return { ...s, y };
      }
      case 'p': {
        const p = new Uint8Array(n);
        for (let i = 0; i < n; i++) p[i] = 1 - s.p[i]!;
        return { ...s, p };
      }
    }
  }
}
