import { FormatError } from '../../../errors.js';

/** Where a decode error points: the file name (or a label such as '<bytes>'). */
export interface DecodeOptions {
  file?: string;
}

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

/** Integer time stamp check shared by the integer-time writers. */
export function checkIntTime(t: number, i: number, max: number, format: string): void {
  if (!Number.isInteger(t) || t < 0 || t > max) {
    throw new FormatError(`${format} writer: event ${i} time ${t} is not an integer in [0, ${max}]`);
  }
}
