import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError, NotFoundError } from '../errors.js';
import type { SplitDataset } from './dataset.js';
import { idxToDataset, parseIdx, type IdxArray } from './idx.js';

/** Read one IDX file, gzipped or not (detected by the 1f 8b magic, not the file name). */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new NotFoundError(`IDX file not found: ${path}`);
    throw new FormatError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseIdx(bytes, path, (b) => gunzipSync(b));
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
export function loadIdxDataset(dir: string, name: string, numClasses?: number): SplitDataset {
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
  const part = (img: string, lab: string) => idxToDataset(readIdxFile(img), readIdxFile(lab), name, { images: img, labels: lab }, numClasses);
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
