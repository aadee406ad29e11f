import { FormatError } from '../../../errors.js';
import { makeChannelEvents, makeDvsEvents, type EventStream, type TimeUnit } from '../stream.js';
import { asciiBytes, checkInside, concatBytes, extent, fail, latin1, sensorSide, viewOf, type DecodeOptions } from './common.js';
import { parsePyLiteral, PyLiteralError, type PyValue } from './pyliteral.js';

/**
 * NumPy `.npy` files holding a 1-D structured array of events (as saved by
 * Tonic and similar tools): fields x, y, t, p for DVS events, or t and
 * channel (or t and x without y) for channel events. Versions 1.0 (16-bit
 * header length), 2.0 and 3.0 (32-bit) are read; 1.0 is written.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** NumPy itself refuses headers beyond this size; so do we, before decoding any text. */
const MAX_HEADER = 1 << 20;

export interface NpyDecodeOptions extends DecodeOptions {
  width?: number;
  height?: number;
  channels?: number;
  /** Unit of the stored `t`; defaults to 'us' for DVS fields and 's' for channel fields. */
  timeUnit?: TimeUnit;
}

interface Field {
  name: string;
  kind: 'i' | 'u' | 'f' | 'b' | 'V';
  size: number;
  little: boolean;
  offset: number;
}

export function decodeNpy(bytes: Uint8Array, opts: NpyDecodeOptions = {}): EventStream {
  const file = opts.file;
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail(file, 0, 'not an .npy file (missing \\x93NUMPY magic)');
  const major = bytes[6]!;
  const dv = viewOf(bytes);
  let hlen: number, hstart: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(file, 8, 'truncated .npy header length');
    hlen = dv.getUint32(8, true);
    hstart = 12;
  } else {
    return fail(file, 6, `unsupported .npy version ${major}.${bytes[7]}`);
  }
  if (hlen > MAX_HEADER) fail(file, 8, `.npy header length ${hlen} exceeds ${MAX_HEADER}`);
  if (hstart + hlen > bytes.length) fail(file, hstart, `.npy header declares ${hlen} bytes but the file has ${bytes.length - hstart} left`);
  let header: PyValue;
  try {
    header = parsePyLiteral(latin1(bytes, hstart, hstart + hlen).trim());
  } catch (e) {
    if (e instanceof PyLiteralError) fail(file, hstart + e.at, `.npy header: ${e.message}`);
    throw e;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(file, hstart, '.npy header is not a dict');
  if (header['fortran_order'] !== false) fail(file, hstart, `.npy fortran_order must be False (got ${show(header['fortran_order'])})`);
  const shape = header['shape'];
  if (!Array.isArray(shape) || shape.length !== 1 || typeof shape[0] !== 'number' || shape[0] < 0) {
    fail(file, hstart, `.npy shape must be a 1-D tuple (n,), got ${show(shape)}`);
  }
  const n = shape[0] as number;
  const { fields, itemsize } = parseDescr(header['descr'], file, hstart);
  const data = hstart + hlen;
  // Check the declared size against the bytes present before allocating anything.
  if (itemsize === 0 || n > (bytes.length - data) / itemsize) {
    fail(file, data, `.npy declares ${n} records of ${itemsize} bytes but only ${bytes.length - data} bytes follow the header`);
  }
  const get = (name: string): Field | undefined => fields.find((f) => f.name === name);
  const ft = get('t');
  if (!ft) fail(file, hstart, `.npy descr has no 't' field (fields: ${fields.map((f) => f.name).join(', ')})`);
  const column = (f: Field): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = readScalar(dv, data + i * itemsize + f.offset, f);
    return out;
  };
  const t = column(ft);
  // A NaN or infinite stamp would break the time order every slice and window relies on.
  for (let i = 0; i < n; i++) if (!Number.isFinite(t[i]!)) fail(file, data + i * itemsize + ft.offset, `.npy record ${i}: field 't' = ${t[i]} is not a finite time stamp`);
  const fx = get('x'), fy = get('y'), fp = get('p'), fc = get('channel');
  if (fx && fy) {
    const x = toU16(column(fx), 'x', file, data);
    const y = toU16(column(fy), 'y', file, data);
    const p = new Uint8Array(n);
    if (fp) {
      const pv = column(fp);
      for (let i = 0; i < n; i++) p[i] = pv[i]! > 0 ? 1 : 0;
    } else p.fill(1);
    const width = sensorSide('width', opts.width, undefined, x, 'x', opts);
    const height = sensorSide('height', opts.height, undefined, y, 'y', opts);
    checkInside(x, y, width, height, file, '.npy record');
    return makeDvsEvents({ x, y, t, p, width, height, timeUnit: opts.timeUnit ?? 'us' });
  }
  const fch = fc ?? fx;
  if (!fch) fail(file, hstart, `.npy descr needs fields x, y (DVS) or channel (audio); got ${fields.map((f) => f.name).join(', ')}`);
  const channel = toU16(column(fch), fch.name, file, data);
  const channels = opts.channels ?? extent(channel);
  for (let i = 0; i < n; i++) {
    if (channel[i]! >= channels) fail(file, data, `.npy record ${i}: field '${fch.name}' = ${channel[i]} is outside the ${channels} channels`);
  }
  return makeChannelEvents({ t, channel, channels, timeUnit: opts.timeUnit ?? 's' });
}

/** A header value for an error message: one line, and short whatever the file holds. */
function show(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function toU16(v: Float64Array, name: string, file: string | undefined, data: number): Uint16Array {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = v[i]!;
    if (!(a >= 0 && a <= 65535 && Number.isInteger(a))) fail(file, data, `.npy record ${i}: field '${name}' = ${a} is not an integer coordinate in [0, 65535]`);
    out[i] = a;
  }
  return out;
}

function parseDescr(descr: PyValue, file: string | undefined, at: number): { fields: Field[]; itemsize: number } {
  if (!Array.isArray(descr)) fail(file, at, `.npy descr must be a list of (name, type) fields (a structured array), got ${show(descr)}`);
  const fields: Field[] = [];
  let offset = 0;
  for (const d of descr) {
    if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'string' || typeof d[1] !== 'string') {
      fail(file, at, `.npy field ${show(d)} is not a (name, scalar type) pair`);
    }
    const m = /^([<>|=]?)([iufbV?])(\d+)?$/.exec(d[1]);
    const kind = m ? (m[2] === '?' ? 'b' : (m[2] as Field['kind'])) : null;
    const size = m ? (m[2] === '?' ? 1 : Number(m[3] ?? 0)) : 0;
    const ok = kind !== null && (kind === 'V' ? size >= 1 && size <= 4096 : kind === 'f' ? size === 4 || size === 8 : [1, 2, 4, 8].includes(size));
    if (!ok) fail(file, at, `.npy field '${d[0].slice(0, 40)}' has unsupported type '${d[1].slice(0, 40)}'`);
    fields.push({ name: d[0], kind: kind!, size, little: m![1] !== '>', offset });
    offset += size;
  }
  return { fields, itemsize: offset };
}

function readScalar(dv: DataView, o: number, f: Field): number {
  switch (f.kind) {
    case 'f':
      return f.size === 4 ? dv.getFloat32(o, f.little) : dv.getFloat64(o, f.little);
    case 'b':
    case 'u':
      return f.size === 1 ? dv.getUint8(o) : f.size === 2 ? dv.getUint16(o, f.little) : f.size === 4 ? dv.getUint32(o, f.little) : Number(dv.getBigUint64(o, f.little));
    case 'i':
      return f.size === 1 ? dv.getInt8(o) : f.size === 2 ? dv.getInt16(o, f.little) : f.size === 4 ? dv.getInt32(o, f.little) : Number(dv.getBigInt64(o, f.little));
    default:
      return 0;
  }
}

/**
 * Encode as a v1.0 `.npy` structured array: t ('<i8' when every stamp is an
 * integer, else '<f8'), then x '<u2', y '<u2', p 'u1' — or channel '<u2'.
 */
export function encodeNpy(s: EventStream): Uint8Array {
  const n = s.t.length;
  let intTime = true;
  for (let i = 0; i < n && intTime; i++) intTime = Number.isSafeInteger(s.t[i]!);
  const tType = intTime ? '<i8' : '<f8';
  const descr = s.kind === 'dvs' ? `[('t', '${tType}'), ('x', '<u2'), ('y', '<u2'), ('p', '|u1')]` : `[('t', '${tType}'), ('channel', '<u2')]`;
  const itemsize = s.kind === 'dvs' ? 13 : 10;
  let dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': (${n},), }`;
  // Pad with spaces so magic + version + length + header (ending in '\n') is a multiple of 64, as NumPy does.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  if (dict.length > 0xffff) throw new FormatError('npy writer: header too long');
  const head = new Uint8Array(10);
  head.set(MAGIC, 0);
  head[6] = 1;
  head[7] = 0;
  viewOf(head).setUint16(8, dict.length, true);
  const body = new Uint8Array(n * itemsize);
  const dv = viewOf(body);
  for (let i = 0; i < n; i++) {
    const o = i * itemsize;
    if (intTime) dv.setBigInt64(o, BigInt(s.t[i]!), true);
    else dv.setFloat64(o, s.t[i]!, true);
    if (s.kind === 'dvs') {
      dv.setUint16(o + 8, s.x[i]!, true);
      dv.setUint16(o + 10, s.y[i]!, true);
      body[o + 12] = s.p[i]!;
    } else dv.setUint16(o + 8, s.channel[i]!, true);
  }
  return concatBytes([head, asciiBytes(dict), body]);
}
