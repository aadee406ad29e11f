import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, FormatError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { makeDataset, type Dataset, type SplitDataset } from '../dataset.js';
import { EventTransformCache } from './cache-node.js';
import { decodeAedat2 } from './formats/aedat2.js';
import { decodeAedat3 } from './formats/aedat3.js';
import { decodeNmnist } from './formats/nmnist.js';
import { decodeShdDump, type ShdDump } from './shd-dump.js';
import { makeChannelEvents, makeDvsEvents, sliceByTime, type DvsEvents, type EventStream } from './stream.js';
import type { DenseEvents, Transform } from './transforms/transform.js';

/*
 * The recorded event datasets in their published directory layouts, turned
 * into [T, ...] frame datasets for the trainer: each recording goes through
 * a deterministic transform pipeline (recorded-options.ts) and is cached on
 * disk per sample (EventTransformCache, keyed by the pipeline's parameters
 * and the source file's path, size and mtime). Every expected file is
 * listed, and its absence reported, before anything is written.
 */

/** One recording (or one labelled window of one) of a split. */
interface SampleRef {
  /** Cache identity: source file identity plus the window, if any. */
  readonly id: string;
  readonly label: number;
  read(): EventStream;
}

export interface RecordedSplits {
  /** Dataset name, e.g. 'nmnist'. */
  readonly name: string;
  readonly numClasses: number;
  /** An empty stream on the dataset's sensor: gives the per-sample frame shape. */
  readonly empty: EventStream;
  readonly train: readonly SampleRef[];
  readonly test: readonly SampleRef[];
}

export interface RecordedConvertOptions {
  /** Cache folder root (entries go in `<root>/<dataset>`); null: no cache. */
  cacheDir: string | null;
  trainLimit?: number | null | undefined;
  testLimit?: number | null | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface RecordedConvertStats {
  converted: number;
  fromCache: number;
}

function identity(path: string): string {
  return EventTransformCache.fileIdentity(resolve(path));
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The frames of both splits, limits applied, from the cache where present. */
export function convertRecorded(src: RecordedSplits, pipeline: Transform<EventStream, DenseEvents>, opts: RecordedConvertOptions): { data: SplitDataset; stats: RecordedConvertStats } {
  // The pipeline is deterministic (the cache refuses random ones), so it is given no generator.
  const shape = pipeline.apply(src.empty, undefined as never).shape;
  const F = shape.reduce((a, b) => a * b, 1);
  const cache = opts.cacheDir === null ? null : new EventTransformCache(join(opts.cacheDir, src.name), pipeline);
  const stats: RecordedConvertStats = { converted: 0, fromCache: 0 };
  const build = (refs: readonly SampleRef[], split: string, limit: number | null | undefined): Dataset => {
    const n = limit ? Math.min(limit, refs.length) : refs.length;
    const images = new Float32Array(n * F);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = refs[i]!;
      let out: DenseEvents;
      if (cache) {
        const misses = cache.misses;
        out = cache.get(`${src.name}|${r.id}`, () => r.read());
        if (cache.misses > misses) stats.converted++;
        else stats.fromCache++;
      } else {
        out = pipeline.apply(r.read(), undefined as never);
        stats.converted++;
      }
      if (out.data.length !== F) throw new FormatError(`${src.name} ${split}: sample ${i} (${r.id}) gave frames [${out.shape.join(', ')}], expected [${shape.join(', ')}]`);
      images.set(out.data, i * F);
      labels[i] = r.label;
      if (opts.log && (i + 1) % 2000 === 0) opts.log(`${src.name} ${split}: ${i + 1} of ${n} samples`);
    }
    return makeDataset({ name: src.name, images, labels, shape, numClasses: src.numClasses });
  };
  const data = { train: build(src.train, 'train', opts.trainLimit), test: build(src.test, 'test', opts.testLimit) };
  opts.log?.(`${src.name}: ${data.train.length} train + ${data.test.length} test samples [${shape.join(', ')}] (${stats.converted} converted, ${stats.fromCache} from ${cache ? cache.dir : 'no cache'})`);
  return { data, stats };
}

/** Class-by-class lists interleaved (first of each class, then second, ...), so a train_limit keeps every class. */
function interleave(perClass: readonly (readonly SampleRef[])[]): SampleRef[] {
  const out: SampleRef[] = [];
  const longest = Math.max(0, ...perClass.map((c) => c.length));
  for (let k = 0; k < longest; k++) for (const c of perClass) if (k < c.length) out.push(c[k]!);
  return out;
}

function dvsFileRef(path: string, label: number, decode: (bytes: Uint8Array, file: string) => DvsEvents): SampleRef {
  return { id: identity(path), label, read: () => decode(new Uint8Array(readFileSync(path)), path) };
}

// ---------------------------------------------------------------- N-MNIST

const NMNIST_SENSOR = { width: 34, height: 34 } as const;
const NMNIST_LAYOUT = '<data.dir>/Train/<digit 0-9>/*.bin and <data.dir>/Test/<digit 0-9>/*.bin (the released Train.zip and Test.zip, unzipped)';

function nmnistSplit(root: string, folder: 'Train' | 'Test'): SampleRef[] {
  const dir = join(root, folder);
  if (!isDir(dir)) throw new NotFoundError(`nmnist: folder ${dir} not found. Expected ${NMNIST_LAYOUT}`);
  const perClass: SampleRef[][] = [];
  for (const d of readdirSync(dir).sort()) {
    if (!/^[0-9]$/.test(d) || !isDir(join(dir, d))) continue;
    const label = Number(d);
    // The sensor is 34×34 whatever extent a recording's coordinates reach.
    const decode = (b: Uint8Array, file: string): DvsEvents => decodeNmnist(b, { file, ...NMNIST_SENSOR });
    perClass.push(readdirSync(join(dir, d)).filter((f) => f.toLowerCase().endsWith('.bin')).sort().map((f) => dvsFileRef(join(dir, d, f), label, decode)));
  }
  const refs = interleave(perClass);
  if (refs.length === 0) throw new NotFoundError(`nmnist: no .bin files in digit folders of ${dir}. Expected ${NMNIST_LAYOUT}`);
  return refs;
}

/** N-MNIST (Orchard et al. 2015): the official 60,000 / 10,000 split, 10 classes, 34×34×2. */
export function nmnistSplits(root: string): RecordedSplits {
  return { name: 'nmnist', numClasses: 10, empty: emptyDvs(NMNIST_SENSOR.width, NMNIST_SENSOR.height), train: nmnistSplit(root, 'Train'), test: nmnistSplit(root, 'Test') };
}

// ---------------------------------------------------------------- DVS Gesture

const DVS128_SENSOR = { width: 128, height: 128 } as const;
const GESTURE_LAYOUT =
  '<data.dir>/DvsGesture/ (or <data.dir> itself) holding user*_*.aedat, their user*_*_labels.csv and trials_to_train.txt / trials_to_test.txt (the released DvsGesture.tar.gz, unpacked)';

/** The gesture windows of one labels CSV: class (1..11 in the file), start and end in µs. */
function readGestureLabels(path: string): { label: number; start: number; end: number }[] {
  const rows: { label: number; start: number; end: number }[] = [];
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      const cells = line.trim().split(',').map((c) => c.trim());
      if (cells.length === 1 && cells[0] === '') return;
      if (i === 0 && !/^\d/.test(cells[0]!)) return; // the header: class,startTime_usec,endTime_usec
      const [c, a, b] = cells.map(Number);
      if (cells.length < 3 || !Number.isInteger(c) || c! < 1 || c! > 11 || !(Number.isFinite(a) && Number.isFinite(b) && b! > a!)) {
        throw new FormatError(`${path}: line ${i + 1}: expected 'class,startTime_usec,endTime_usec' with class in 1..11 and end > start, got ${JSON.stringify(line)}`);
      }
      rows.push({ label: c! - 1, start: a!, end: b! });
    });
  return rows;
}

function gestureSplit(root: string, list: string): SampleRef[] {
  const listPath = join(root, list);
  if (!existsSync(listPath)) throw new NotFoundError(`dvs-gesture: ${listPath} not found. Expected ${GESTURE_LAYOUT}`);
  const names = readFileSync(listPath, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const refs: SampleRef[] = [];
  // Windows of one recording are consecutive: decode each file once, for all of its windows.
  let last: { path: string; events: DvsEvents } | null = null;
  const decoded = (path: string): DvsEvents => {
    if (last?.path !== path) last = { path, events: decodeAedat3(new Uint8Array(readFileSync(path)), { file: path, ...DVS128_SENSOR }) };
    return last.events;
  };
  for (const name of names) {
    const aedat = join(root, name);
    const csv = join(root, name.replace(/\.aedat$/i, '') + '_labels.csv');
    for (const f of [aedat, csv]) if (!existsSync(f)) throw new NotFoundError(`dvs-gesture: ${f} (listed in ${list}) not found. Expected ${GESTURE_LAYOUT}`);
    const id = `${identity(aedat)}|${identity(csv)}`;
    readGestureLabels(csv).forEach((w, k) => {
      refs.push({ id: `${id}|${k}|${w.start}-${w.end}`, label: w.label, read: () => sliceByTime(decoded(aedat), w.start, w.end) });
    });
  }
  if (refs.length === 0) throw new NotFoundError(`dvs-gesture: ${listPath} lists no recording with labelled gestures. Expected ${GESTURE_LAYOUT}`);
  return refs;
}

/** IBM DVS Gesture (Amir et al. 2017): the official trials_to_train / trials_to_test split, 11 classes, 128×128×2, one sample per labelled gesture window. */
export function dvsGestureSplits(dir: string): RecordedSplits {
  const root = isDir(join(dir, 'DvsGesture')) ? join(dir, 'DvsGesture') : dir;
  return { name: 'dvs-gesture', numClasses: 11, empty: emptyDvs(128, 128), train: gestureSplit(root, 'trials_to_train.txt'), test: gestureSplit(root, 'trials_to_test.txt') };
}

// ---------------------------------------------------------------- CIFAR10-DVS

export const CIFAR10_DVS_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
const CIFAR10_DVS_LAYOUT = '<data.dir>/<class>/cifar10_<class>_<i>.aedat for the ten classes airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck (the released per-class archives, unzipped)';

/**
 * CIFAR10-DVS (Li et al. 2017): no official split. Per class, the recordings
 * sorted by their index i: the first ⌊0.9·n⌋ train, the rest test (the
 * released 1,000 per class: indices 0–899 train, 900–999 test, 9,000 / 1,000).
 */
export function cifar10DvsSplits(root: string): RecordedSplits {
  if (!isDir(root)) throw new NotFoundError(`cifar10-dvs: folder ${root} not found. Expected ${CIFAR10_DVS_LAYOUT}`);
  const missing = CIFAR10_DVS_CLASSES.filter((c) => !isDir(join(root, c)));
  if (missing.length > 0) throw new NotFoundError(`cifar10-dvs: class folder${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in ${root}. Expected ${CIFAR10_DVS_LAYOUT}`);
  const train: SampleRef[][] = [], test: SampleRef[][] = [];
  CIFAR10_DVS_CLASSES.forEach((c, label) => {
    const files = readdirSync(join(root, c))
      .map((f) => ({ f, m: /_(\d+)\.aedat$/i.exec(f) }))
      .filter((e): e is { f: string; m: RegExpExecArray } => e.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]) || (a.f < b.f ? -1 : 1));
    if (files.length === 0) throw new NotFoundError(`cifar10-dvs: no .aedat files in ${join(root, c)}. Expected ${CIFAR10_DVS_LAYOUT}`);
    const refs = files.map(({ f }) => dvsFileRef(join(root, c, f), label, (b, file) => decodeAedat2(b, { file })));
    const cut = Math.floor((refs.length * 9) / 10);
    train.push(refs.slice(0, cut));
    test.push(refs.slice(cut));
  });
  return { name: 'cifar10-dvs', numClasses: 10, empty: emptyDvs(128, 128), train: interleave(train), test: interleave(test) };
}

// ---------------------------------------------------------------- SHD / SSC

/** The 700 cochlea channels (hdf5-node's SHD_CHANNELS; not imported, so loading this module does not start h5wasm). */
const SHD_CHANNELS = 700;
export type ShdVariant = 'shd' | 'ssc';

function shdLayout(v: ShdVariant): string {
  return v === 'shd'
    ? '<data.dir>/shd_train.h5 and <data.dir>/shd_test.h5 (the released .h5.gz files, gunzipped)'
    : '<data.dir>/ssc_train.h5, <data.dir>/ssc_valid.h5 and <data.dir>/ssc_test.h5 (the released .h5.gz files, gunzipped)';
}

/** Read an SHD/SSC file synchronously: h5wasm runs in a child process that hands back a flat dump. */
export function readShdSync(path: string): ShdDump {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-shd-'));
  try {
    const out = join(tmp, 'samples.dump');
    const child = new URL('./shd-read-child-node.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(child)}); await m.runShdReadChild(process.argv.slice(1));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, path, out, String(SHD_CHANNELS)], { encoding: 'utf8' });
    if (r.status !== 0) {
      const msg = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
      const m = /^(\w+): ([\s\S]*)$/.exec(msg);
      throw m?.[1] === 'NotFoundError' ? new NotFoundError(m[2]!) : new FormatError(m ? m[2]! : `${path}: ${msg}`);
    }
    return decodeShdDump(new Uint8Array(readFileSync(out)), path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The labels of an HDF5 file, remembered in the cache folder under the
 * file's identity, so a run whose frames are all cached never starts h5wasm.
 */
function shdIndex(path: string, cacheDir: string | null, read: () => ShdDump): Int32Array {
  const id = identity(path);
  const index = cacheDir === null ? null : join(cacheDir, createHash('sha256').update(`shd-labels|${id}`).digest('hex') + '.json');
  if (index !== null && existsSync(index)) {
    try {
      const j = JSON.parse(readFileSync(index, 'utf8')) as { id?: unknown; labels?: unknown };
      if (j.id === id && Array.isArray(j.labels) && j.labels.every((l) => Number.isInteger(l))) return Int32Array.from(j.labels as number[]);
    } catch {
      // A damaged index is rebuilt from the file.
    }
  }
  const labels = read().labels;
  if (index !== null && cacheDir !== null) mkdirSync(cacheDir, { recursive: true });
  if (index !== null) writeFileAtomic(index, new TextEncoder().encode(JSON.stringify({ id, labels: Array.from(labels) })));
  return labels;
}

function shdSplit(variant: ShdVariant, path: string, numClasses: number, cacheDir: string | null): SampleRef[] {
  let dump: ShdDump | null = null;
  const read = (): ShdDump => (dump ??= readShdSync(path));
  const labels = shdIndex(path, cacheDir, read);
  const id = identity(path);
  return Array.from(labels, (label, i) => {
    if (label < 0 || label >= numClasses) throw new FormatError(`${path}: label ${label} of sample ${i} is outside [0, ${numClasses}) (${variant.toUpperCase()} has ${numClasses} classes)`);
    return { id: `${id}|${i}`, label, read: () => read().samples[i]! };
  });
}

/**
 * SHD (Cramer et al. 2020; 20 classes, 8,156 / 2,264) or SSC (35 classes,
 * ssc_train / ssc_test, or ssc_valid as the test split): 700 cochlea
 * channels, samples [T, 700] after binning. `cacheDir` (the dataset's cache
 * folder) also remembers each file's labels.
 */
export function shdSplits(dir: string, variant: ShdVariant, cacheDir: string | null, testSplit: 'test' | 'valid' = 'test'): RecordedSplits {
  const files = [`${variant}_train.h5`, `${variant}_${testSplit}.h5`].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new NotFoundError(`${variant}: ${missing.join(', ')} not found. Expected ${shdLayout(variant)}`);
  const numClasses = variant === 'shd' ? 20 : 35;
  const sub = cacheDir === null ? null : join(cacheDir, variant);
  return {
    name: variant,
    numClasses,
    empty: makeChannelEvents({ t: [], channel: [], channels: SHD_CHANNELS, timeUnit: 's' }),
    train: shdSplit(variant, files[0]!, numClasses, sub),
    test: shdSplit(variant, files[1]!, numClasses, sub),
  };
}

function emptyDvs(width: number, height: number): DvsEvents {
  return makeDvsEvents({ x: [], y: [], t: [], p: [], width, height, timeUnit: 'us' });
}

/** The folder a recorded dataset reads, or a ConfigError naming the layout when the config gives none. */
export function requireDataDir(name: string, dir: string | undefined): string {
  if (dir === undefined) throw new ConfigError(`dataset '${name}' reads its files from data.dir (or --data-dir); none was given`);
  return dir;
}
