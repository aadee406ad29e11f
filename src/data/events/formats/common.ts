import { FormatError } from '../../../errors.js';

/** Where a decode error points: the file name (or a label such as '<bytes>'). */
export interface DecodeOptions {
  file?: string;
  /**
   * Largest width or height taken from the file itself (its coordinates or a
   * header line) rather than given by the caller; default MAX_INFERRED_SENSOR.
   */
  maxSensor?: number;
}

/**
 * Default ceiling on a sensor side read from a file: above the largest event
 * cameras made (1280×960), far below what would let a few hostile coordinates
 * size a frame at gigabytes. A caller who knows the sensor passes its size,
 * which is not bounded by this.
 */
export const MAX_INFERRED_SENSOR = 4096;

export function fail(file: string | undefined, offset: number, what: string): never {
  throw new FormatError(`${file ?? '<bytes>'}: byte ${offset}: ${what}`);
}

/** The bytes as a DataView without copying. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface HeaderLines {
  lines: string[];
  /** Offset of the first byte after the header. */
  end: number;
}

/**
 * Text header made of lines that each start with `marker` ('#' for AEDAT, '%'
 * for Prophesee raw). Scanning stops at the first line that does not start with
 * the marker, or right after a line equal to `terminator` when given. Lines are
 * capped in length so random bytes cannot make the scan build huge strings.
 */
export function readHeaderLines(bytes: Uint8Array, marker: string, terminator?: (line: string) => boolean, maxLine = 1 << 16): HeaderLines {
  const code = marker.charCodeAt(0);
  const lines: string[] = [];
  let pos = 0;
  while (pos < bytes.length && bytes[pos] === code) {
    let end = pos;
    while (end < bytes.length && bytes[end] !== 0x0a && end - pos < maxLine) end++;
    const raw = latin1(bytes, pos, end).replace(/\r$/, '');
    lines.push(raw);
    pos = end < bytes.length && bytes[end] === 0x0a ? end + 1 : end;
    if (terminator?.(raw)) break;
  }
  return { lines, end: pos };
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  return s;
}

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Concatenate byte chunks. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Largest width/height fitting the coordinates (max + 1), at least 1. */
export function extent(a: Uint16Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m + 1;
}

/**
 * One side of the sensor: the caller's value when given (the caller knows
 * the camera), else the file's header value, else the coordinate extent; a
 * side taken from the file must not exceed the ceiling (opts.maxSensor,
 * default MAX_INFERRED_SENSOR), so that a damaged or hostile file cannot make
 * the sensor, and every frame drawn from it, arbitrarily large.
 */
export function sensorSide(
  side: 'width' | 'height',
  given: number | undefined,
  header: number | undefined,
  coords: Uint16Array,
  field: string,
  opts: DecodeOptions,
): number {
  if (given !== undefined) return given;
  const max = opts.maxSensor ?? MAX_INFERRED_SENSOR;
  const file = opts.file ?? '<bytes>';
  if (header !== undefined) {
    if (!(Number.isInteger(header) && header >= 1 && header <= max)) {
      throw new FormatError(`${file}: header declares sensor ${side} ${header}, outside [1, ${max}] (the ceiling for sizes read from a file); pass the sensor size (--sensor WxH) if it is real`);
    }
    return header;
  }
  const n = extent(coords);
  if (n > max) {
    throw new FormatError(`${file}: field '${field}': coordinate ${n - 1} implies a sensor ${side} of ${n}, above the ceiling of ${max} for sizes inferred from a file; pass the sensor size (--sensor WxH) if it is real`);
  }
  return n;
}

/** Every event inside the sensor, or a FormatError naming the file, the event and the size. */
export function checkInside(x: Uint16Array, y: Uint16Array, width: number, height: number, file: string | undefined, what = 'event'): void {
  for (let i = 0; i < x.length; i++) {
    if (x[i]! >= width || y[i]! >= height) throw new FormatError(`${file ?? '<bytes>'}: ${what} ${i} at (${x[i]}, ${y[i]}) is outside the ${width}×${height} sensor`);
  }
}

/** Integer time stamp check shared by the integer-time writers. */
export function checkIntTime(t: number, i: number, max: number, format: string): void {
  if (!Number.isInteger(t) || t < 0 || t > max) {
    throw new FormatError(`${format} writer: event ${i} time ${t} is not an integer in [0, ${max}]`);
  }
}
