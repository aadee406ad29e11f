import { FormatError } from '../../../errors.js';
import { makeDvsEvents, type DvsEvents } from '../stream.js';
import { checkIntTime, fail, sensorSide, type DecodeOptions } from './common.js';

/**
 * N-MNIST / N-Caltech101 binary (Orchard et al. 2015): 5 bytes per event,
 *   byte 0: x, byte 1: y, byte 2: bit 7 polarity (1 = ON), bits 6..0 time[22:16],
 *   byte 3: time[15:8], byte 4: time[7:0]  (microseconds).
 * An event with y = 240 is a time-stamp overflow marker, not a pixel event:
 * every later stamp is increased by 2^13, as in the authors' reference reader.
 */
export const NMNIST_OVERFLOW_Y = 240;
export const NMNIST_OVERFLOW_STEP = 1 << 13;
const TIME_LIMIT = 1 << 23;

export interface NmnistDecodeOptions extends DecodeOptions {
  /** Sensor size; defaults to the coordinate extent (N-MNIST is 34×34, N-Caltech101 up to 240×180). */
  width?: number;
  height?: number;
}

export function decodeNmnist(bytes: Uint8Array, opts: NmnistDecodeOptions = {}): DvsEvents {
  if (bytes.length % 5 !== 0) {
    fail(opts.file, bytes.length - (bytes.length % 5), `N-MNIST binary is truncated: ${bytes.length} bytes is not a multiple of 5 (5 bytes per event)`);
  }
  const total = bytes.length / 5;
  let markers = 0;
  for (let i = 0; i < total; i++) if (bytes[5 * i + 1] === NMNIST_OVERFLOW_Y) markers++;
  const n = total - markers;
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let offset = 0;
  const w = opts.width ?? 256, h = opts.height ?? NMNIST_OVERFLOW_Y;
  for (let i = 0, k = 0; i < total; i++) {
    const o = 5 * i;
    const yy = bytes[o + 1]!;
    if (yy === NMNIST_OVERFLOW_Y) {
      offset += NMNIST_OVERFLOW_STEP;
      continue;
    }
    const b2 = bytes[o + 2]!;
    const ts = offset + (((b2 & 0x7f) << 16) | (bytes[o + 3]! << 8) | bytes[o + 4]!);
    if (bytes[o]! >= w || yy >= h) fail(opts.file, o, `event (x ${bytes[o]}, y ${yy}) is outside the ${w}×${h} sensor`);
    x[k] = bytes[o]!;
    y[k] = yy;
    p[k] = b2 >> 7;
    t[k] = ts;
    k++;
  }
  const width = sensorSide('width', opts.width, undefined, x, 'x', opts);
  const height = sensorSide('height', opts.height, undefined, y, 'y', opts);
  return makeDvsEvents({ x, y, t, p, width, height, timeUnit: 'us' });
}

/**
 * Encode to N-MNIST binary. Stamps of 2^23 µs and beyond are written with
 * overflow markers (y = 240) so that decode(encode(s)) gives s back exactly.
 */
export function encodeNmnist(s: DvsEvents): Uint8Array {
  if (s.timeUnit !== 'us') throw new FormatError(`N-MNIST writer: time unit must be 'us', got '${s.timeUnit}'`);
  const n = s.t.length;
  let markers = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const ti = s.t[i]!;
    checkIntTime(ti, i, Number.MAX_SAFE_INTEGER, 'N-MNIST');
    if (s.x[i]! > 255 || s.y[i]! >= NMNIST_OVERFLOW_Y) {
      throw new FormatError(`N-MNIST writer: event ${i} at (${s.x[i]}, ${s.y[i]}) does not fit (x < 256, y < 240)`);
    }
    while (ti - offset >= TIME_LIMIT) {
      offset += NMNIST_OVERFLOW_STEP;
      markers++;
    }
  }
  const out = new Uint8Array(5 * (n + markers));
  offset = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const ti = s.t[i]!;
    while (ti - offset >= TIME_LIMIT) {
      out[o + 1] = NMNIST_OVERFLOW_Y;
      o += 5;
      offset += NMNIST_OVERFLOW_STEP;
    }
    const r = ti - offset;
    out[o] = s.x[i]!;
    out[o + 1] = s.y[i]!;
    out[o + 2] = (s.p[i]! << 7) | ((r >> 16) & 0x7f);
    out[o + 3] = (r >> 8) & 0xff;
    out[o + 4] = r & 0xff;
    o += 5;
  }
  return out;
}
