import { FormatError } from '../../../errors.js';
import { makeDvsEvents, type DvsEvents } from '../stream.js';
import { asciiBytes, checkIntTime, concatBytes, fail, readHeaderLines, viewOf, type DecodeOptions } from './common.js';

/**
 * AEDAT 2.0 (jAER): text header lines starting with '#' (the first is
 * '#!AER-DAT2.0'), then 8-byte big-endian records: 32-bit address, 32-bit
 * time stamp in µs. DVS128 address layout: bit 0 polarity (0 = ON, 1 = OFF,
 * as in jAER/libcaer), bits 1..7 x, bits 8..14 y, bit 15 external event.
 * External (bit 15) events are special events, not pixels, and are skipped.
 * Coordinates are kept raw (jAER mirrors x for display; we do not).
 */
export function decodeAedat2(bytes: Uint8Array, opts: DecodeOptions = {}): DvsEvents {
  const { lines, end } = readHeaderLines(bytes, '#');
  if (lines.length === 0 || !lines[0]!.startsWith('#!AER-DAT2')) {
    fail(opts.file, 0, `not an AEDAT 2.0 file: first line must start with '#!AER-DAT2' (got ${JSON.stringify((lines[0] ?? '').slice(0, 40))})`);
  }
  const body = bytes.length - end;
  if (body % 8 !== 0) fail(opts.file, end + body - (body % 8), `AEDAT 2.0 data is truncated: ${body} bytes after the header is not a multiple of 8`);
  const total = body / 8;
  const dv = viewOf(bytes);
  let n = 0;
  for (let i = 0; i < total; i++) if ((dv.getUint32(end + 8 * i, false) & 0x8000) === 0) n++;
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  for (let i = 0, k = 0; i < total; i++) {
    const o = end + 8 * i;
    const addr = dv.getUint32(o, false);
    if (addr & 0x8000) continue;
    p[k] = 1 - (addr & 1);
    x[k] = (addr >>> 1) & 0x7f;
    y[k] = (addr >>> 8) & 0x7f;
    t[k] = dv.getUint32(o + 4, false);
    k++;
  }
  return makeDvsEvents({ x, y, t, p, width: 128, height: 128, timeUnit: 'us' });
}

export function encodeAedat2(s: DvsEvents): Uint8Array {
  if (s.timeUnit !== 'us') throw new FormatError(`AEDAT 2.0 writer: time unit must be 'us', got '${s.timeUnit}'`);
  const header = asciiBytes('#!AER-DAT2.0\r\n# This is a raw AE data file created by spikeflow (DVS128 address layout)\r\n# End Of ASCII Header\r\n');
  const n = s.t.length;
  const body = new Uint8Array(8 * n);
  const dv = viewOf(body);
  for (let i = 0; i < n; i++) {
    if (s.x[i]! > 127 || s.y[i]! > 127) throw new FormatError(`AEDAT 2.0 writer: event ${i} at (${s.x[i]}, ${s.y[i]}) does not fit the 128×128 DVS128 layout`);
    checkIntTime(s.t[i]!, i, 0xffffffff, 'AEDAT 2.0');
    dv.setUint32(8 * i, (s.y[i]! << 8) | (s.x[i]! << 1) | (1 - s.p[i]!), false);
    dv.setUint32(8 * i + 4, s.t[i]!, false);
  }
  return concatBytes([header, body]);
}
