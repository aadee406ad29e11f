import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkSliceSpec, computeSlices, sliceParams, type SliceSpec } from './slicing.js';
import type { DenseEvents, Transform, TransformParam } from './transform.js';

/**
 * Event counts per window: DVS streams give [T, 2, H, W] (channel 0 = OFF,
 * 1 = ON), channel streams give [T, channels]. Windows follow `SliceSpec`.
 */
export class ToFrame implements Transform<EventStream, DenseEvents> {
  readonly name = 'ToFrame';
  readonly random = false;
  readonly params: Readonly<Record<string, TransformParam>>;

  constructor(readonly spec: SliceSpec) {
    checkSliceSpec('ToFrame', spec);
    this.params = sliceParams(spec);
  }

  apply(s: EventStream, _rng?: Rng): DenseEvents {
    const { starts, ends } = computeSlices(s, this.spec);
    const K = starts.length;
    if (s.kind === 'channel') {
      const C = s.channels;
      const data = new Float32Array(K * C);
      const ch = s.channel;
      for (let k = 0; k < K; k++) {
        const base = k * C;
        for (let i = starts[k]!, e = ends[k]!; i < e; i++) data[base + ch[i]!]! += 1;
      }
      return { data, shape: [K, C] };
    }
    const W = s.width, H = s.height, plane = W * H;
    const data = new Float32Array(K * 2 * plane);
    const { x, y, p } = s;
    for (let k = 0; k < K; k++) {
      const base = k * 2 * plane;
      for (let i = starts[k]!, e = ends[k]!; i < e; i++) data[base + p[i]! * plane + y[i]! * W + x[i]!]! += 1;
    }
    return { data, shape: [K, 2, H, W] };
  }
}
