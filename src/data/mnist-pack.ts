import { FormatError } from '../errors.js';
import { makeDataset, type SplitDataset } from './dataset.js';

/*
 * A compact binary copy of a split digit set, for pages that cannot afford the
 * `mnist` package's 41 MB of JSON: one byte per pixel and per label (7.9 MB for
 * the 10,000 embedded digits). Written at build time by
 * scripts/pack-web-digits.mjs from loadEmbeddedMnist(), read in the browser
 * playground's worker.
 *
 * Layout, little-endian:
 *   magic 'SFD1' | u32 train count | u32 test count | u32 height | u32 width | u32 classes
 *   | train pixels (u8, count·h·w) | train labels (u8) | test pixels | test labels
 * Pixels are round(255 · v) of the [0, 1] intensities; decoding divides by 255.
 */

const MAGIC = 'SFD1';
const HEADER_BYTES = 24;

/** One split's pixels in [0, 1] and labels, as images of shape [1, h, w]. */
export interface PackedSplit {
  images: Float32Array;
  labels: Uint8Array;
}

/** Encode train/test images (values in [0, 1], h·w per sample) and labels. */
export function packDigits(train: PackedSplit, test: PackedSplit, size: { height: number; width: number; classes: number }): Uint8Array {
  const px = size.height * size.width;
  for (const [name, s] of [['train', train], ['test', test]] as const) {
    if (s.images.length !== s.labels.length * px) throw new FormatError(`packDigits: ${name} has ${s.images.length} pixel values for ${s.labels.length} labels of ${px} pixels`);
  }
  const out = new Uint8Array(HEADER_BYTES + (train.labels.length + test.labels.length) * (px + 1));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  [train.labels.length, test.labels.length, size.height, size.width, size.classes].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  let at = HEADER_BYTES;
  for (const s of [train, test]) {
    for (let i = 0; i < s.images.length; i++) out[at + i] = Math.round(255 * Math.min(1, Math.max(0, s.images[i]!)));
    at += s.images.length;
    out.set(s.labels, at);
    at += s.labels.length;
  }
  return out;
}

/** Decode packDigits' bytes into the train/test datasets it was made from (named `name`). */
export function unpackDigits(bytes: Uint8Array, name = 'mnist'): SplitDataset {
  if (bytes.length < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new FormatError(`unpackDigits: not a packed digit file (expected magic '${MAGIC}')`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [nTrain, nTest, height, width, classes] = [0, 1, 2, 3, 4].map((i) => view.getUint32(4 + 4 * i, true)) as [number, number, number, number, number];
  const px = height * width;
  const expected = HEADER_BYTES + (nTrain + nTest) * (px + 1);
  if (bytes.length !== expected) throw new FormatError(`unpackDigits: ${bytes.length} bytes, the header announces ${expected}`);
  let at = HEADER_BYTES;
  const split = (n: number) => {
    const images = new Float32Array(n * px);
    for (let i = 0; i < images.length; i++) images[i] = bytes[at + i]! / 255;
    at += n * px;
    const labels = bytes.slice(at, at + n);
    at += n;
    for (const l of labels) if (l >= classes) throw new FormatError(`unpackDigits: label ${l} out of range for ${classes} classes`);
    return makeDataset({ name, images, labels, shape: [1, height, width], numClasses: classes });
  };
  const train = split(nTrain);
  const test = split(nTest);
  return { train, test };
}
