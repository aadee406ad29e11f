import { FormatError } from '../../errors.js';
import { makeChannelEvents, type ChannelEvents } from './stream.js';

/*
 * A flat binary dump of an SHD/SSC file's samples, the hand-over format
 * between the HDF5 reader child process (shd-read-child-node.ts) and the
 * synchronous dataset loader. h5wasm only opens files after an asynchronous
 * WebAssembly start (about 0.6 s), while a dataset entry's `load` is
 * synchronous; a child process keeps that start off every other command.
 *
 * Layout (little endian): 'SFSD', u32 n, u32 total, u32 channels,
 * u32 offsets[n + 1], i32 labels[n], u16 units[total], pad to 8, f64 times[total].
 */
const MAGIC = 'SFSD';

export interface ShdDump {
  readonly samples: ChannelEvents[];
  readonly labels: Int32Array;
  readonly channels: number;
}

export function encodeShdDump(d: ShdDump): Uint8Array {
  const n = d.samples.length;
  let total = 0;
  for (const s of d.samples) total += s.t.length;
  const head = 16 + 4 * (n + 1) + 4 * n + 2 * total;
  const tOff = Math.ceil(head / 8) * 8;
  const out = new Uint8Array(tOff + 8 * total);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  dv.setUint32(4, n, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, d.channels, true);
  let o = 0;
  const uOff = 16 + 8 * n + 4;
  d.samples.forEach((s, i) => {
    dv.setUint32(16 + 4 * i, o, true);
    dv.setInt32(16 + 4 * (n + 1) + 4 * i, d.labels[i]!, true);
    for (let k = 0; k < s.t.length; k++) {
      dv.setUint16(uOff + 2 * (o + k), s.channel[k]!, true);
      dv.setFloat64(tOff + 8 * (o + k), s.t[k]!, true);
    }
    o += s.t.length;
  });
  dv.setUint32(16 + 4 * n, o, true);
  return out;
}

export function decodeShdDump(bytes: Uint8Array, file: string): ShdDump {
  const bad = (what: string): never => {
    throw new FormatError(`${file}: ${what}`);
  };
  if (bytes.length < 16 || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) bad('not an SHD dump');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(4, true), total = dv.getUint32(8, true), channels = dv.getUint32(12, true);
  const uOff = 16 + 8 * n + 4;
  const tOff = Math.ceil((uOff + 2 * total) / 8) * 8;
  if (bytes.length !== tOff + 8 * total) bad(`dump of ${n} samples and ${total} spikes has ${bytes.length} bytes`);
  const units = new Uint16Array(total), times = new Float64Array(total);
  for (let k = 0; k < total; k++) {
    units[k] = dv.getUint16(uOff + 2 * k, true);
    times[k] = dv.getFloat64(tOff + 8 * k, true);
  }
  const labels = new Int32Array(n);
  const samples: ChannelEvents[] = [];
  for (let i = 0; i < n; i++) {
    const a = dv.getUint32(16 + 4 * i, true), b = dv.getUint32(16 + 4 * (i + 1), true);
    if (!(a <= b && b <= total)) bad(`sample ${i} spans spikes ${a}..${b} of ${total}`);
    labels[i] = dv.getInt32(16 + 4 * (n + 1) + 4 * i, true);
    samples.push(makeChannelEvents({ t: times.subarray(a, b), channel: units.subarray(a, b), channels, timeUnit: 's' }));
  }
  return { samples, labels, channels };
}
