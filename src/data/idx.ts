import { FormatError, NumericError } from '../errors.js';
import { firstNonFinite } from '../io/finite.js';
import { DEFAULT_LIMITS, fmtBytes, LIMIT_KEYS } from '../io/limits.js';
import { makeDataset, type Dataset, type Labels } from './dataset.js';

/**
 * The IDX format (LeCun's MNIST files). Layout, all integers big-endian:
 *
 *   offset 0   two zero bytes
 *   offset 2   element type code (0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)
 *   offset 3   number of dimensions d
 *   offset 4   d × uint32 sizes
 *   offset 4+4d  the elements, row-major
 *
 * This file is pure (no Node modules) so it also serves browsers; reading from
 * disk and gunzipping live in idx-node.ts.
 */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDType;
  dims: number[];
  data: IdxData;
}

const CODES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

const CODE_OF: Record<IdxDType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/** What an IDX header declares: the element type, the dimensions and the byte counts they imply. */
export interface IdxHeader {
  dtype: IdxDType;
  dims: number[];
  /** Elements: the product of the dimensions. */
  count: number;
  /** Bytes of the header (4 + 4 × dimensions): where the data starts. */
  headerBytes: number;
  /** Bytes of data the dimensions need: count × element size. */
  dataBytes: number;
}

/** The most header bytes an IDX file can have (255 dimensions): enough of a file to read its header. */
export const IDX_MAX_HEADER_BYTES = 4 + 4 * 255;

/**
 * Read the header from the start of an IDX file (`bytes` may be just a
 * prefix: only the header is looked at). Errors name the file and the offset.
 */
export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4) throw new FormatError(`${file}: truncated IDX header at offset ${bytes.length} (need 4 bytes, file has ${bytes.length})`);
  for (const off of [0, 1]) {
    if (bytes[off] !== 0) throw new FormatError(`${file}: bad IDX magic at offset ${off}: expected 0x00, found ${hex(bytes[off]!)}`);
  }
  const code = CODES[bytes[2]!];
  if (!code) throw new FormatError(`${file}: unsupported IDX element type ${hex(bytes[2]!)} at offset 2 (supported: 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e)`);
  const ndim = bytes[3]!;
  if (ndim === 0) throw new FormatError(`${file}: IDX file declares 0 dimensions at offset 3`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new FormatError(`${file}: truncated IDX header at offset ${bytes.length}: ${ndim} dimensions need ${headerBytes} header bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    dims.push(n);
    count *= n;
  }
  return { dtype: code.dtype, dims, count, headerBytes, dataBytes: count * code.bytes };
}

/** "[3000000, 28, 28] uint8 (2.35 GB)": what a header declares, for messages. */
export function describeIdxHeader(h: IdxHeader): string {
  return `[${h.dims.join(', ')}] ${h.dtype} (${fmtBytes(h.dataBytes)})`;
}

/**
 * Refuse a header that declares more data than `maxBytes` (a data file's
 * budget, limits.data_bytes): checked on the header alone, before the data
 * is read or inflated.
 */
export function checkIdxBudget(h: IdxHeader, file: string, maxBytes: number): void {
  if (h.dataBytes > maxBytes) {
    throw new FormatError(
      `${file}: header (dimensions at offset 4) declares ${describeIdxHeader(h)} of data, over the ${fmtBytes(maxBytes)} limit for one data file (${LIMIT_KEYS.dataBytes})`,
    );
  }
}

export interface ParseIdxOptions {
  /** Most data bytes the header may declare (default DEFAULT_LIMITS.dataBytes, 1 GiB). */
  maxBytes?: number;
}

/**
 * Parse IDX bytes. `file` names the source in error messages. Gzipped input
 * needs a `gunzip` function (Node: readIdxFile in idx-node.ts inflates with a
 * ceiling itself); without one it is rejected with a message saying so.
 * Float data must be finite (a NumericError names the file and the element).
 */
export function parseIdx(bytes: Uint8Array, file: string, gunzip?: (b: Uint8Array) => Uint8Array, opts: ParseIdxOptions = {}): IdxArray {
  if (isGzip(bytes)) {
    if (!gunzip) throw new FormatError(`${file}: gzip-compressed IDX data (offset 0); decompress it first`);
    let raw: Uint8Array;
    try {
      raw = gunzip(bytes);
    } catch (e) {
      throw new FormatError(`${file}: corrupt gzip stream (${e instanceof Error ? e.message : String(e)})`);
    }
    return parseIdx(raw, file, undefined, opts);
  }
  const h = parseIdxHeader(bytes, file);
  checkIdxBudget(h, file, opts.maxBytes ?? DEFAULT_LIMITS.dataBytes);
  const { headerBytes: header, dims, dtype } = h;
  const need = h.dataBytes;
  const have = bytes.length - header;
  if (have < need) {
    throw new FormatError(
      `${file}: truncated IDX data at offset ${bytes.length}: dims [${dims.join(', ')}] of ${dtype} need ${need} bytes from offset ${header}, file has ${have}`,
    );
  }
  if (have > need) throw new FormatError(`${file}: ${have - need} unexpected trailing bytes at offset ${header + need}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = decode(view, header, h.count, dtype);
  if (data instanceof Float32Array || data instanceof Float64Array) checkFiniteIdx(data, file, h);
  return { dtype, dims, data };
}

/** NaN or ±Infinity in float IDX data: a NumericError naming the file, the element's index and its byte offset. */
function checkFiniteIdx(data: Float32Array | Float64Array, file: string, h: IdxHeader): void {
  const bad = firstNonFinite(data);
  if (!bad) return;
  const size = data.BYTES_PER_ELEMENT;
  const sample = h.dims.length > 1 ? `, sample ${Math.floor(bad.index / (h.count / h.dims[0]!))}` : '';
  throw new NumericError(
    `${file}: ${h.dtype} element ${bad.index}${sample} (byte offset ${h.headerBytes + bad.index * size}) is ${Number.isNaN(bad.value) ? 'NaN' : bad.value}` +
      `${bad.count > 1 ? ` (${bad.count} of ${data.length} elements are not finite)` : ''}; IDX data must be finite numbers`,
  );
}

function decode(view: DataView, off: number, n: number, dtype: IdxDType): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + off, view.byteOffset + off + n));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + off, view.byteOffset + off + n));
    case 'int16': {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt16(off + 2 * i, false);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt32(off + 4 * i, false);
      return a;
    }
    case 'float32': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat32(off + 4 * i, false);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat64(off + 8 * i, false);
      return a;
    }
  }
}

/** Serialize to IDX bytes (uncompressed): export tools and test data. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const count = arr.dims.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) throw new FormatError(`encodeIdx: dims [${arr.dims.join(', ')}] hold ${count} elements, data has ${arr.data.length}`);
  const size = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 }[arr.dtype];
  const header = 4 + 4 * arr.dims.length;
  const out = new Uint8Array(header + count * size);
  const v = new DataView(out.buffer);
  out[2] = CODE_OF[arr.dtype];
  out[3] = arr.dims.length;
  arr.dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const x = arr.data[i]!;
    const o = header + i * size;
    switch (arr.dtype) {
      case 'uint8': v.setUint8(o, x); break;
      case 'int8': v.setInt8(o, x); break;
      case 'int16': v.setInt16(o, x, false); break;
      case 'int32': v.setInt32(o, x, false); break;
      case 'float32': v.setFloat32(o, x, false); break;
      case 'float64': v.setFloat64(o, x, false); break;
    }
  }
  return out;
}

export interface IdxPairFiles {
  images: string;
  labels: string;
}

/**
 * Combine an images array `[N, ...]` and a labels array `[N]` into a Dataset.
 * ubyte images are scaled to [0, 1] by 1/255; float images are taken as they are.
 * A 2-D sample (H, W) gets a leading channel axis: shape `[1, H, W]`.
 */
export function idxToDataset(images: IdxArray, labels: IdxArray, name: string, files: IdxPairFiles, numClasses?: number): Dataset {
  if (images.dims.length < 2) {
    throw new FormatError(`${files.images}: images need at least 2 dimensions [N, ...], found [${images.dims.join(', ')}] (offset 3)`);
  }
  if (labels.dims.length !== 1) {
    throw new FormatError(`${files.labels}: labels need 1 dimension [N], found [${labels.dims.join(', ')}] (offset 3)`);
  }
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) {
    throw new FormatError(`${files.labels}: ${labels.dims[0]} labels (dimension at offset 4) do not match ${n} images in ${files.images} (offset 4)`);
  }
  let lab: Labels;
  if (labels.data instanceof Uint8Array) lab = labels.data;
  else if (labels.data instanceof Int32Array || labels.data instanceof Int16Array || labels.data instanceof Int8Array) lab = Int32Array.from(labels.data);
  else throw new FormatError(`${files.labels}: labels must be an integer type, found ${labels.dtype} (offset 2)`);
  let maxLabel = -1;
  for (let i = 0; i < lab.length; i++) {
    const y = lab[i]!;
    if (y < 0) throw new FormatError(`${files.labels}: negative label ${y} for sample ${i}`);
    if (y > maxLabel) maxLabel = y;
  }
  const k = numClasses ?? maxLabel + 1;
  if (maxLabel >= k) throw new FormatError(`${files.labels}: label ${maxLabel} is not below the expected ${k} classes`);

  let px: Float32Array;
  if (images.data instanceof Uint8Array) {
    px = new Float32Array(images.data.length);
    const src = images.data;
    for (let i = 0; i < src.length; i++) px[i] = src[i]! / 255;
  } else if (images.data instanceof Float32Array) px = images.data;
  else if (images.data instanceof Float64Array) px = Float32Array.from(images.data);
  else throw new FormatError(`${files.images}: images must be ubyte or float, found ${images.dtype} (offset 2)`);

  const sample = images.dims.slice(1);
  const shape = sample.length === 2 ? [1, ...sample] : sample;
  return makeDataset({ name, images: px, labels: lab, shape, numClasses: Math.max(k, 1) });
}
