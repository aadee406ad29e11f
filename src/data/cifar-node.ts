import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, FormatError, NotFoundError } from '../errors.js';
import { DEFAULT_LIMITS, fmtBytes, LIMIT_KEYS } from '../io/limits.js';
import { makeDataset, type Dataset, type SplitDataset } from './dataset.js';
import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, CIFAR_PIXELS, CIFAR_SHAPE, cifarRecordBytes, cifarRecordCount, decodeCifarRecords, type CifarLayout } from './cifar.js';

/*
 * CIFAR-10 and CIFAR-100 from the published binary files (record layout in
 * cifar.ts). The files sit in the given directory or in the folder the
 * archive unpacks to (cifar-10-batches-bin/, cifar-100-binary/). Nothing is
 * downloaded. With a limit only the records kept are read, but every file's
 * size is checked first, so a truncated file is reported whatever the limit.
 */

export interface CifarVariant {
  /** Dataset name ('cifar10', 'cifar100'). */
  name: string;
  /** The folder the archive unpacks to, looked for inside the given directory. */
  folder: string;
  archive: string;
  train: readonly string[];
  test: readonly string[];
  layout: CifarLayout;
}

const SOURCE = 'https://www.cs.toronto.edu/~kriz/cifar.html';

export const CIFAR10_FILES: CifarVariant = {
  name: 'cifar10',
  folder: 'cifar-10-batches-bin',
  archive: 'cifar-10-binary.tar.gz',
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
  layout: CIFAR10_LAYOUT,
};

export const CIFAR100_FILES: CifarVariant = {
  name: 'cifar100',
  folder: 'cifar-100-binary',
  archive: 'cifar-100-binary.tar.gz',
  train: ['train.bin'],
  test: ['test.bin'],
  layout: CIFAR100_LAYOUT,
};

function expected(v: CifarVariant): string {
  return `${[...v.train, ...v.test].join(', ')} (from ${v.archive}, ${SOURCE})`;
}

/**
 * The directory holding a variant's files: `dir` itself, else `dir/<folder>`.
 * A NotFoundError names the expected files, the places looked in and, of the
 * place that holds the most of them, what is missing.
 */
export function locateCifar(v: CifarVariant, dir: string | undefined): string {
  if (dir === undefined) {
    throw new ConfigError(`dataset '${v.name}' reads its files from data.dir (or --data-dir); none was given. Expected ${expected(v)} in that directory or in its ${v.folder}/ folder`);
  }
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new NotFoundError(`${v.name}: data directory ${abs} does not exist; expected ${expected(v)} in it or in ${join(abs, v.folder)}`);
  const places = [abs, join(abs, v.folder)];
  const files = [...v.train, ...v.test];
  const missingIn = places.map((p) => files.filter((f) => !existsSync(join(p, f))));
  const found = missingIn.findIndex((m) => m.length === 0);
  if (found >= 0) return places[found]!;
  const best = missingIn[1]!.length < missingIn[0]!.length ? 1 : 0;
  throw new NotFoundError(`${v.name}: missing ${missingIn[best]!.join(', ')} in ${places[best]} (looked in ${places.join(' and ')}); expected ${expected(v)}`);
}

function fileSize(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FormatError(`${path}: not a regular file`);
    return st.size;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The first `bytes` bytes of a file (the records a limit keeps). */
function readPrefix(path: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    let got = 0;
    while (got < bytes) {
      const n = readSync(fd, out, got, bytes - got, got);
      if (n === 0) throw new FormatError(`${path}: file ended at byte ${got} while reading ${bytes} bytes (did it change while being read?)`);
      got += n;
    }
    return out;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * One split from its files in order: the first `limit` records (all when
 * null), class from the label byte `labelField` of the layout.
 */
function readSplit(v: CifarVariant, dir: string, files: readonly string[], labelField: number, limit: number | null | undefined, name: string, maxBytes: number): Dataset {
  const rec = cifarRecordBytes(v.layout);
  const paths = files.map((f) => join(dir, f));
  const counts = paths.map((p) => {
    const size = fileSize(p);
    if (size === 0) throw new FormatError(`${p}: empty file (expected ${rec}-byte records)`);
    // Checked on the size, before the records are decoded into four bytes of float each.
    if (size > maxBytes) throw new FormatError(`${p}: file of ${fmtBytes(size)} (${Math.floor(size / rec)} records) is over the ${fmtBytes(maxBytes)} limit for one data file (${LIMIT_KEYS.dataBytes})`);
    return cifarRecordCount(size, v.layout, p);
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const n = limit ? Math.min(limit, total) : total;
  const images = new Float32Array(n * CIFAR_PIXELS);
  const labels = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < paths.length && at < n; i++) {
    const k = Math.min(counts[i]!, n - at);
    at += decodeCifarRecords(readPrefix(paths[i]!, k * rec), v.layout, labelField, paths[i]!, { images, labels, at });
  }
  return makeDataset({ name, images, labels, shape: CIFAR_SHAPE, numClasses: v.layout.fields[labelField]!.classes });
}

export interface CifarLoadOptions {
  trainLimit?: number | null;
  testLimit?: number | null;
  /** Most bytes one batch file may hold (default DEFAULT_LIMITS.dataBytes, 1 GiB; limits.data_bytes). */
  maxBytes?: number;
}

/** CIFAR-10 (50,000 / 10,000 samples [3, 32, 32] in [0, 1], 10 classes) from `dir` or `dir/cifar-10-batches-bin`. */
export function loadCifar10(dir: string | undefined, opts: CifarLoadOptions = {}): SplitDataset {
  const v = CIFAR10_FILES;
  const at = locateCifar(v, dir);
  return { train: readSplit(v, at, v.train, 0, opts.trainLimit, v.name, opts.maxBytes ?? DEFAULT_LIMITS.dataBytes), test: readSplit(v, at, v.test, 0, opts.testLimit, v.name, opts.maxBytes ?? DEFAULT_LIMITS.dataBytes) };
}

/**
 * CIFAR-100 (50,000 / 10,000 samples [3, 32, 32] in [0, 1]) from `dir` or
 * `dir/cifar-100-binary`, with the 100 fine classes or the 20 coarse
 * superclasses (dataset name 'cifar100-coarse').
 */
export function loadCifar100(dir: string | undefined, opts: CifarLoadOptions & { labels?: 'fine' | 'coarse' } = {}): SplitDataset {
  const v = CIFAR100_FILES;
  const at = locateCifar(v, dir);
  const coarse = opts.labels === 'coarse';
  const field = coarse ? 0 : 1;
  const name = coarse ? 'cifar100-coarse' : v.name;
  return { train: readSplit(v, at, v.train, field, opts.trainLimit, name, opts.maxBytes ?? DEFAULT_LIMITS.dataBytes), test: readSplit(v, at, v.test, field, opts.testLimit, name, opts.maxBytes ?? DEFAULT_LIMITS.dataBytes) };
}
