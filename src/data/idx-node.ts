import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as zc, gunzipSync } from 'node:zlib';
import { FormatError, NotFoundError } from '../errors.js';
import { DEFAULT_LIMITS, fmtBytes, LIMIT_KEYS } from '../io/limits.js';
import type { SplitDataset } from './dataset.js';
import { checkIdxBudget, describeIdxHeader, idxToDataset, IDX_MAX_HEADER_BYTES, isGzip, parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from './idx.js';

/*
 * Reading IDX files without trusting their headers: the header is read (or
 * inflated) first and the data it declares is checked against the file's
 * size and the data budget (limits.data_bytes) before the rest is read or
 * inflated; a gzip stream is then inflated with a ceiling of exactly the
 * declared size, so a stream that inflates past it stops there.
 */

export interface ReadIdxOptions {
  /** Most bytes of data one file may declare and inflate to (default DEFAULT_LIMITS.dataBytes, 1 GiB; limits.data_bytes). */
  maxBytes?: number;
}

/** deflate's best ratio is about 1032:1 (a 258-byte match in under 2 bits): a stream cannot inflate to more. */
const MAX_DEFLATE_RATIO = 1032;

function fileError(path: string, e: unknown): Error {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new NotFoundError(`IDX file not found: ${path}`);
  if (e instanceof FormatError) return e;
  return new FormatError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
}

/** Size of a regular file, or a FormatError naming it (a directory, a device). */
function regularFileSize(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FormatError(`${path}: not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})`);
    return st.size;
  } catch (e) {
    throw fileError(path, e);
  }
}

/** The first `n` bytes of a file (fewer when it is shorter). */
function readHead(path: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    let got = 0;
    for (;;) {
      const k = readSync(fd, out, got, n - got, got);
      if (k === 0) break;
      got += k;
      if (got === n) break;
    }
    return out.subarray(0, got);
  } catch (e) {
    throw fileError(path, e);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * The IDX header at the start of a gzip stream, inflating only a prefix of
 * it: growing prefixes of the compressed bytes are inflated with a sync
 * flush (which returns what a partial stream decodes to, without error)
 * until the header is there.
 */
function gzipHeader(bytes: Uint8Array, path: string): IdxHeader {
  for (let k = 64; ; k *= 4) {
    const part = bytes.subarray(0, Math.min(k, bytes.length));
    let head: Uint8Array;
    try {
      head = gunzipSync(part, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 64 * 1024 * 1024 });
    } catch (e) {
      throw new FormatError(`${path}: corrupt gzip stream at its start (${e instanceof Error ? e.message : String(e)})`);
    }
    const need = head.length >= 4 ? 4 + 4 * head[3]! : 4;
    if (head.length >= need) return parseIdxHeader(head.subarray(0, IDX_MAX_HEADER_BYTES), path);
    if (part.length === bytes.length) {
      // The whole file gave less than a header: a cut stream is reported as such, a complete one as a short header.
      try {
        gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 });
      } catch (e) {
        throw new FormatError(`${path}: corrupt gzip stream (${e instanceof Error ? e.message : String(e)})`);
      }
      return parseIdxHeader(head, path);
    }
  }
}

/**
 * Read one IDX file, gzipped or not (detected by the 1f 8b magic, not the
 * file name). The declared data must fit the budget and the file before
 * anything past the header is read or inflated; errors name the file and the field.
 */
export function readIdxFile(path: string, opts: ReadIdxOptions = {}): IdxArray {
  const limit = opts.maxBytes ?? DEFAULT_LIMITS.dataBytes;
  const size = regularFileSize(path);
  const head = readHead(path, IDX_MAX_HEADER_BYTES);
  if (!isGzip(head)) {
    const h = parseIdxHeader(head, path);
    checkIdxBudget(h, path, limit);
    // Truncated and trailing data are found from the size, before the data is read.
    const have = size - h.headerBytes;
    if (have < h.dataBytes) {
      throw new FormatError(`${path}: truncated IDX data at offset ${size}: dims [${h.dims.join(', ')}] of ${h.dtype} need ${h.dataBytes} bytes from offset ${h.headerBytes}, file has ${have}`);
    }
    if (have > h.dataBytes) throw new FormatError(`${path}: ${have - h.dataBytes} unexpected trailing bytes at offset ${h.headerBytes + h.dataBytes}`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw fileError(path, e);
    }
    return parseIdx(bytes, path, undefined, { maxBytes: limit });
  }
  // A compressed file larger than the budget would inflate to more than it (bar pathological input): refused before it is read.
  if (size > limit) throw new FormatError(`${path}: gzip file of ${fmtBytes(size)} is over the ${fmtBytes(limit)} limit for one data file (${LIMIT_KEYS.dataBytes})`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  const h = gzipHeader(bytes, path);
  const total = h.headerBytes + h.dataBytes;
  checkIdxBudget(h, path, limit); // from the header alone: nothing is inflated past it
  if (total > size * MAX_DEFLATE_RATIO + 1024) {
    throw new FormatError(`${path}: header (dimensions at offset 4) declares ${describeIdxHeader(h)} of data, more than a gzip file of ${fmtBytes(size)} can inflate to; the file is truncated or its header is wrong`);
  }
  let raw: Uint8Array;
  try {
    // One byte over the declared size is enough to know the stream carries more than the header says.
    raw = gunzipSync(bytes, { maxOutputLength: total + 1 });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FormatError(`${path}: the gzip stream inflates past the ${total} bytes its header declares (${describeIdxHeader(h)}): unexpected trailing data at offset ${total}`);
    }
    throw new FormatError(`${path}: corrupt gzip stream (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseIdx(raw, path, undefined, { maxBytes: limit });
}

/** The four files of an MNIST-style IDX dataset, by role. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * The path of one role's file in `dir`: the canonical name, with or without
 * `.gz`, or the dotted variant some mirrors use (`train-images.idx3-ubyte`).
 */
function findFile(dir: string, base: string): string | null {
  const dotted = base.replace(/-(idx\d)-/, '.$1-');
  for (const name of [base, base + '.gz', dotted, dotted + '.gz']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

function missingError(dir: string, missing: string[]): NotFoundError {
  return new NotFoundError(
    `IDX dataset in ${dir}: missing ${missing.join(', ')} (each may also end in .gz); expected files: ${Object.values(IDX_FILES).join(', ')}`,
  );
}

/** Load an MNIST-layout IDX dataset (train + t10k files) from a directory. */
export function loadIdxDataset(dir: string, name: string, numClasses?: number, opts: ReadIdxOptions = {}): SplitDataset {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw missingError(abs, Object.values(IDX_FILES));
  const paths: Record<keyof typeof IDX_FILES, string | null> = {
    trainImages: findFile(abs, IDX_FILES.trainImages),
    trainLabels: findFile(abs, IDX_FILES.trainLabels),
    testImages: findFile(abs, IDX_FILES.testImages),
    testLabels: findFile(abs, IDX_FILES.testLabels),
  };
  const missing = (Object.keys(paths) as (keyof typeof IDX_FILES)[]).filter((k) => paths[k] === null).map((k) => IDX_FILES[k]);
  if (missing.length > 0) throw missingError(abs, missing);
  const part = (img: string, lab: string) => idxToDataset(readIdxFile(img, opts), readIdxFile(lab, opts), name, { images: img, labels: lab }, numClasses);
  const train = part(paths.trainImages!, paths.trainLabels!);
  const test = part(paths.testImages!, paths.testLabels!);
  if (train.features !== test.features || train.shape.join('x') !== test.shape.join('x')) {
    throw new FormatError(`${paths.testImages}: test sample shape [${test.shape.join(', ')}] differs from train shape [${train.shape.join(', ')}] in ${paths.trainImages}`);
  }
  // Both halves must agree on the class count, or a model sized on train would break on test.
  const k = Math.max(train.numClasses, test.numClasses);
  if (train.numClasses !== k || test.numClasses !== k) {
    return { train: { ...train, numClasses: k }, test: { ...test, numClasses: k } };
  }
  return { train, test };
}

/** Where Debian's `dataset-fashion-mnist` package installs the four gzipped IDX files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * The directory holding Fashion-MNIST: `dataDir` when given (it must hold the
 * files), else the Debian package location, else a NotFoundError saying how to
 * get the data.
 */
export function locateFashionMnist(dataDir?: string): string {
  const has = (d: string) => Object.values(IDX_FILES).every((f) => findFile(d, f) !== null);
  if (dataDir !== undefined) {
    const abs = resolve(dataDir);
    if (has(abs)) return abs;
    const missing = Object.values(IDX_FILES).filter((f) => !existsSync(abs) || findFile(abs, f) === null);
    throw new NotFoundError(
      `Fashion-MNIST not found in ${abs}: missing ${missing.join(', ')} (each may end in .gz). ` +
        `Download the four files from https://github.com/zalandoresearch/fashion-mnist (data/fashion) into that directory.`,
    );
  }
  if (has(FASHION_MNIST_SYSTEM_DIR)) return FASHION_MNIST_SYSTEM_DIR;
  throw new NotFoundError(
    `Fashion-MNIST not found: no --data-dir given and ${FASHION_MNIST_SYSTEM_DIR} does not hold ${Object.values(IDX_FILES).join(', ')} (.gz). ` +
      `Install it with 'apt-get install dataset-fashion-mnist' (Debian/Ubuntu) or download the four files from ` +
      `https://github.com/zalandoresearch/fashion-mnist (data/fashion) and pass their directory as dataDir.`,
  );
}
