import { ShapeError } from '../../errors.js';
import type { Rng } from '../../tensor/rng.js';
import { makeDataset, type Dataset, type Labels } from '../dataset.js';
import { emulateEvents, type EmulatorOptions } from './emulator.js';
import type { DvsEvents } from './stream.js';
import { ToFrame } from './transforms/frame.js';

export interface SaccadeOptions {
  /** Sensor side (N-MNIST: 34). */
  sensor?: number;
  /** Duration of each of the three saccades, µs (N-MNIST: about 100 ms). */
  saccadeUs?: number;
  /** Rendered frames per saccade. */
  framesPerSaccade?: number;
  emulator?: EmulatorOptions;
}

/**
 * Frames of a still image moved along three saccades, as in N-MNIST (Orchard
 * et al. 2015): the image (side s) moves inside a larger sensor along an
 * isosceles triangle (bottom-left → top-middle → bottom-right → bottom-left)
 * with `sensor − s` pixels of travel. Sub-pixel positions are rendered with
 * bilinear interpolation; outside the image is black.
 */
export function saccadeFrames(image: Float32Array, side: number, opts: SaccadeOptions = {}): { frames: Float32Array; times: Float64Array; sensor: number } {
  if (image.length !== side * side) throw new ShapeError(`saccadeFrames: ${image.length} pixels is not a ${side}×${side} image`);
  const S = opts.sensor ?? side + 6;
  const travel = S - side;
  if (travel < 0) throw new ShapeError(`saccadeFrames: sensor ${S} is smaller than the image (${side})`);
  const per = opts.framesPerSaccade ?? 100, dur = opts.saccadeUs ?? 100_000;
  const verts: [number, number][] = [[0, travel], [travel / 2, 0], [travel, travel], [0, travel]];
  const T = 3 * per + 1;
  const frames = new Float32Array(T * S * S);
  const times = new Float64Array(T);
  for (let f = 0; f < T; f++) {
    const leg = Math.min(2, Math.floor(f / per));
    const u = (f - leg * per) / per;
    const [ax, ay] = verts[leg]!, [bx, by] = verts[leg + 1]!;
    const dx = ax + (bx - ax) * u, dy = ay + (by - ay) * u;
    times[f] = (f * dur) / per;
    renderShifted(image, side, dx, dy, frames.subarray(f * S * S, (f + 1) * S * S), S);
  }
  return { frames, times, sensor: S };
}

/**
 * out[y, x] = image sampled bilinearly at (x − dx, y − dy), black outside. The
 * shift is the same for every pixel, so the integer offset and the four
 * weights are computed once per frame.
 */
function renderShifted(img: Float32Array, side: number, dx: number, dy: number, out: Float32Array, S: number): void {
  const ox = Math.floor(-dx), oy = Math.floor(-dy);
  const ax = -dx - ox, ay = -dy - oy;
  const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
  const at = (x: number, y: number): number => (x >= 0 && x < side && y >= 0 && y < side ? img[y * side + x]! : 0);
  for (let y = 0; y < S; y++) {
    const y0 = y + oy;
    for (let x = 0; x < S; x++) {
      const x0 = x + ox;
      out[y * S + x] = w00 * at(x0, y0) + w10 * at(x0 + 1, y0) + w01 * at(x0, y0 + 1) + w11 * at(x0 + 1, y0 + 1);
    }
  }
}

/** One N-MNIST-like recording from a still image. */
export function saccadeRecording(image: Float32Array, side: number, rng: Rng, opts: SaccadeOptions = {}): DvsEvents {
  const { frames, times, sensor } = saccadeFrames(image, side, opts);
  return emulateEvents({ frames, times, width: sensor, height: sensor }, rng, opts.emulator);
}

/**
 * N-MNIST-like recordings of the first `n` 28×28 images in `images`
 * (n × 784 intensities in [0, 1]), each from its own forked generator so
 * recording i does not depend on how many events earlier ones had.
 */
export function makeEmulatedNmnist(images: Float32Array, n: number, rng: Rng, opts: SaccadeOptions = {}): DvsEvents[] {
  const F = 28 * 28;
  if (images.length < n * F) throw new ShapeError(`makeEmulatedNmnist: ${images.length} values hold fewer than ${n} 28×28 images`);
  const out: DvsEvents[] = [];
  for (let i = 0; i < n; i++) out.push(saccadeRecording(images.subarray(i * F, (i + 1) * F), 28, rng.fork(), opts));
  return out;
}

/**
 * An in-memory Dataset of emulated N-MNIST frames: each sample is ToFrame with
 * `nTimeBins` bins, shape [T, 2, 34, 34], ready for the training loop.
 */
export function makeEmulatedNmnistDataset(
  images: Float32Array,
  labels: Labels,
  n: number,
  rng: Rng,
  opts: SaccadeOptions & { nTimeBins?: number; name?: string } = {},
): Dataset {
  const bins = opts.nTimeBins ?? 10;
  const toFrame = new ToFrame({ nTimeBins: bins });
  const streams = makeEmulatedNmnist(images, n, rng, opts);
  const S = streams[0]?.width ?? (opts.sensor ?? 34);
  const F = bins * 2 * S * S;
  const data = new Float32Array(n * F);
  streams.forEach((s, i) => data.set(toFrame.apply(s).data, i * F));
  const lab = labels instanceof Uint8Array ? labels.slice(0, n) : labels.slice(0, n);
  let classes = 1;
  for (let i = 0; i < n; i++) classes = Math.max(classes, lab[i]! + 1);
  return makeDataset({ name: opts.name ?? 'nmnist-emulated', images: data, labels: lab, shape: [bins, 2, S, S], numClasses: Math.max(10, classes) });
}
