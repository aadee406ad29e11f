import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { FormatError, ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { assertFinite } from '../io/finite.js';
import { duplicateTopLevelKey } from './json-keys.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors), pure and
 * browser-safe (bytes in, bytes out):
 *
 *   [u64 little-endian N][N bytes of JSON header][data]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (offsets relative to the start of the data section) plus an optional
 * `__metadata__` map of strings to strings. Like the Python/Rust writer we pad
 * the header with spaces so the data section starts 8-byte aligned, and order
 * tensors by decreasing item size (then name) so every tensor is aligned too.
 */

export type SafetensorsDType = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type SafetensorsArray = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

interface DTypeInfo {
  size: number;
  ctor: { new (buf: ArrayBuffer): SafetensorsArray; new (n: number): SafetensorsArray };
}

const DTYPES: Record<SafetensorsDType, DTypeInfo> = {
  F64: { size: 8, ctor: Float64Array },
  F32: { size: 4, ctor: Float32Array },
  I64: { size: 8, ctor: BigInt64Array },
  I32: { size: 4, ctor: Int32Array },
  I16: { size: 2, ctor: Int16Array },
  I8: { size: 1, ctor: Int8Array },
  U8: { size: 1, ctor: Uint8Array },
  BOOL: { size: 1, ctor: Uint8Array },
};

const METADATA_KEY = '__metadata__';

function isDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/** Typed arrays share the host's byte order; safetensors is little-endian. */
function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new FormatError('safetensors: big-endian hosts are not supported');
}

function checkEntry(name: string, e: SafetensorsEntry): void {
  if (!isDType(e.dtype)) throw new FormatError(`safetensors: tensor '${name}': unknown dtype '${String(e.dtype)}'`);
  for (const d of e.shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`safetensors: tensor '${name}': invalid shape ${fmtShape(e.shape)}`);
  const info = DTYPES[e.dtype];
  if (!(e.data instanceof info.ctor)) throw new FormatError(`safetensors: tensor '${name}': dtype ${e.dtype} needs a ${info.ctor.name}, got ${e.data.constructor.name}`);
  if (e.data.length !== sizeOf(e.shape)) throw new ShapeError(`safetensors: tensor '${name}': ${e.data.length} values do not fit shape ${fmtShape(e.shape)}`);
}

/** Serialize tensors (and string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>, metadata: Record<string, string> = {}): Uint8Array {
  assertLittleEndian();
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, e] of entries) {
    if (name.length === 0 || name === METADATA_KEY) throw new FormatError(`safetensors: invalid tensor name '${name}'`);
    checkEntry(name, e);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new FormatError(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
  }
  entries.sort(([na, a], [nb, b]) => DTYPES[b.dtype].size - DTYPES[a.dtype].size || (na < nb ? -1 : na > nb ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, e] of entries) {
    const bytes = e.data.byteLength;
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, e] of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), pos);
    pos += e.data.byteLength;
  }
  return out;
}

function fail(source: string, what: string): never {
  throw new FormatError(`${source}: ${what}`);
}

export interface DecodeSafetensorsOptions {
  /**
   * Accept NaN and ±Infinity in float tensors (F32, F64). Default false:
   * such a tensor is a NumericError naming the file, the tensor and the first
   * bad index, since weights holding them load and then evaluate to chance.
   */
  allowNonFinite?: boolean;
}

/**
 * Parse and validate safetensors bytes. Every check names the file (`source`),
 * the tensor and the field: header length vs. file size, JSON syntax, a key
 * written twice, metadata types, dtype, shape, offsets inside the data
 * section, span = shape × item size, no two tensors overlapping, and (unless
 * `allowNonFinite`) finite floats. All of it is checked on the header before
 * any tensor is copied, so a header cannot make the reader allocate more than
 * the file holds. Tensor data is copied out (aligned, independent of `bytes`).
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<safetensors bytes>', opts: DecodeSafetensorsOptions = {}): SafetensorsFile {
  assertLittleEndian();
  if (bytes.length < 8) fail(source, `file of ${bytes.length} bytes is too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) fail(source, `header length ${n64} exceeds the ${bytes.length - 8} bytes after the length field`);
  const n = Number(n64);
  let header: unknown;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(source, 'header must be a JSON object');
  // JSON.parse keeps the last of two equal keys: a tensor named twice would load one of them silently.
  const dup = duplicateTopLevelKey(text);
  if (dup !== null) fail(source, dup === METADATA_KEY ? `header has two ${METADATA_KEY} entries` : `header names tensor '${dup}' twice`);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const planned: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(source, `${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `${METADATA_KEY} field '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(source, `${where}: entry must be an object`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (!isDType(dtype)) fail(source, `${where}: field dtype: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(source, `${where}: field shape: expected non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(source, `${where}: field data_offsets: expected [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) fail(source, `${where}: field data_offsets: [${begin}, ${end}] outside the data section of ${dataLen} bytes`);
    const info = DTYPES[dtype];
    const count = sizeOf(shape as number[]);
    if (count * info.size !== end - begin) {
      fail(source, `${where}: field data_offsets: span of ${end - begin} bytes does not match shape ${fmtShape(shape as number[])} × ${info.size} bytes (${dtype})`);
    }
    planned.push({ name, dtype, shape: [...(shape as number[])], begin, end });
    // Empty tensors occupy no bytes, so they cannot overlap anything.
    if (end > begin) spans.push([begin, end, name]);
  }
  // Overlaps are refused before anything is copied: entries that all span the whole data section would otherwise copy it once each.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let reach = 0;
  let reachName = '';
  for (const [b, e, nm] of spans) {
    if (b < reach) fail(source, `tensor '${nm}': field data_offsets overlaps tensor '${reachName}'`);
    reach = e;
    reachName = nm;
  }
  const tensors = new Map<string, SafetensorsEntry>();
  for (const t of planned) {
    // Copy into a fresh buffer (aligned; also safe for Node Buffers whose slice() is a view).
    const copy = new Uint8Array(t.end - t.begin);
    copy.set(bytes.subarray(dataStart + t.begin, dataStart + t.end));
    const data = new DTYPES[t.dtype].ctor(copy.buffer);
    if (!opts.allowNonFinite && (t.dtype === 'F32' || t.dtype === 'F64')) assertFinite(data as Float32Array | Float64Array, `${source}: tensor '${t.name}'`, t.shape);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
  }
  return { tensors, metadata };
}

/** A snapshot of a tensor's numbers in its backend's dtype (F32 or F64), so a reload is bit-exact. */
export function entryFromTensor(t: Tensor): SafetensorsEntry {
  const d = t.data;
  return d instanceof Float64Array
    ? { dtype: 'F64', shape: [...t.shape], data: new Float64Array(d) }
    : { dtype: 'F32', shape: [...t.shape], data: new Float32Array(d) };
}

/** Numbers of an entry as a plain array-like (I64 converted to Number). */
export function entryValues(e: SafetensorsEntry): ArrayLike<number> {
  return e.data instanceof BigInt64Array ? Float64Array.from(e.data, (v) => Number(v)) : e.data;
}

/** A tensor on `backend` holding the entry's numbers (converted to the backend's dtype). */
export function tensorFromEntry(e: SafetensorsEntry, backend: Backend = getBackend()): Tensor {
  return new Tensor(backend.fromArray(entryValues(e)), e.shape, { backend });
}
