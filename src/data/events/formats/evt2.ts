import { FormatError } from '../../../errors.js';
import { makeDvsEvents, type DvsEvents } from '../stream.js';
import { asciiBytes, checkInside, checkIntTime, concatBytes, fail, readHeaderLines, sensorSide, viewOf, type DecodeOptions } from './common.js';

/**
 * Prophesee EVT 2.0 raw: '%' header lines (ending with '% end' when present),
 * then 32-bit little-endian words whose top 4 bits give the type:
 *   0x0 CD_OFF / 0x1 CD_ON: bits 27..22 time stamp low 6 bits, 21..11 x, 10..0 y
 *   0x8 EVT_TIME_HIGH: bits 27..0 = time stamp >> 6
 *   0xA EXT_TRIGGER, 0xE OTHERS, 0xF CONTINUED: not pixel events, skipped.
 * Stamps are µs: (timeHigh << 6) | low, so 34 bits in all.
 */
export const EVT2_CD_OFF = 0x0;
export const EVT2_CD_ON = 0x1;
export const EVT2_TIME_HIGH = 0x8;

export interface Evt2DecodeOptions extends DecodeOptions {
  width?: number;
  height?: number;
}

export function decodeEvt2(bytes: Uint8Array, opts: Evt2DecodeOptions = {}): DvsEvents {
  const { lines, end } = readHeaderLines(bytes, '%', (l) => /^%\s*end\s*$/.test(l));
  let headerW: number | undefined, headerH: number | undefined;
  // Words carry no format marker: without a header declaring EVT 2.0, any bytes would decode as events.
  let declared = false;
  for (const l of lines) {
    const g = /^%\s*geometry\s+(\d+)x(\d+)/.exec(l);
    if (g) {
      headerW ??= Number(g[1]);
      headerH ??= Number(g[2]);
    }
    const f = /^%\s*format\s+(\S+)/.exec(l);
    if (f) {
      if (!/^EVT2/i.test(f[1]!)) fail(opts.file, 0, `raw file format is '${f[1]!.slice(0, 40)}', not EVT 2.0`);
      declared = true;
      const w = /width=(\d+)/.exec(f[1]!), h = /height=(\d+)/.exec(f[1]!);
      if (w) headerW ??= Number(w[1]);
      if (h) headerH ??= Number(h[1]);
    }
    const e = /^%\s*evt\s+(\S+)/.exec(l);
    if (e) {
      if (e[1] !== '2.0') fail(opts.file, 0, `raw file declares 'evt ${e[1]!.slice(0, 40)}', not 2.0`);
      declared = true;
    }
  }
  if (lines.length === 0) fail(opts.file, 0, `no '%' header: an EVT 2.0 file starts with header lines such as '% evt 2.0' (a headerless body cannot be told from other bytes)`);
  if (!declared) fail(opts.file, 0, `the '%' header does not declare the event format ('% evt 2.0' or '% format EVT2')`);
  const body = bytes.length - end;
  if (body % 4 !== 0) fail(opts.file, end + body - (body % 4), `EVT 2.0 data is truncated: ${body} bytes after the header is not a multiple of 4`);
  const words = body / 4;
  const dv = viewOf(bytes);
  let n = 0;
  for (let i = 0; i < words; i++) if (dv.getUint32(end + 4 * i, true) >>> 29 === 0) n++;
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let high = 0;
  let k = 0;
  for (let i = 0; i < words; i++) {
    const w = dv.getUint32(end + 4 * i, true);
    const type = w >>> 28;
    if (type === EVT2_CD_OFF || type === EVT2_CD_ON) {
      t[k] = high * 64 + ((w >>> 22) & 0x3f);
      x[k] = (w >>> 11) & 0x7ff;
      y[k] = w & 0x7ff;
      p[k] = type;
      k++;
    } else if (type === EVT2_TIME_HIGH) {
      high = w & 0x0fffffff;
    }
  }
  const width = sensorSide('width', opts.width, headerW, x, 'x', opts);
  const height = sensorSide('height', opts.height, headerH, y, 'y', opts);
  checkInside(x, y, width, height, opts.file, 'CD event');
  return makeDvsEvents({ x, y, t, p, width, height, timeUnit: 'us' });
}

export function encodeEvt2(s: DvsEvents): Uint8Array {
  if (s.timeUnit !== 'us') throw new FormatError(`EVT 2.0 writer: time unit must be 'us', got '${s.timeUnit}'`);
  const n = s.t.length;
  let highs = 0;
  let cur = -1;
  for (let i = 0; i < n; i++) {
    checkIntTime(s.t[i]!, i, 2 ** 34 - 1, 'EVT 2.0');
    if (s.x[i]! > 0x7ff || s.y[i]! > 0x7ff) throw new FormatError(`EVT 2.0 writer: event ${i} coordinates exceed 11 bits`);
    const h = Math.floor(s.t[i]! / 64);
    if (h !== cur) {
      highs++;
      cur = h;
    }
  }
  const header = asciiBytes(`% evt 2.0\n% format EVT2;height=${s.height};width=${s.width}\n% geometry ${s.width}x${s.height}\n% end\n`);
  const body = new Uint8Array(4 * (n + highs));
  const dv = viewOf(body);
  cur = -1;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const ti = s.t[i]!;
    const h = Math.floor(ti / 64);
    if (h !== cur) {
      dv.setUint32(o, ((EVT2_TIME_HIGH << 28) | h) >>> 0, true);
      o += 4;
      cur = h;
    }
    const w = ((s.p[i]! << 28) | ((ti - h * 64) << 22) | (s.x[i]! << 11) | s.y[i]!) >>> 0;
    dv.setUint32(o, w, true);
    o += 4;
  }
  return concatBytes([header, body]);
}
