// The recorded event datasets (nmnist, dvs-gesture, cifar10-dvs, shd, ssc) on
// tiny directories written in each published layout with the library's own
// writers: shapes, labels, split sizes, sensor sizes, transform options, the
// missing-file messages and the disk cache.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/load-node.js';
import type { SplitDataset } from '../../src/data/dataset.js';
import type { DatasetRequest } from '../../src/data/registry.js';
import { encodeNmnist } from '../../src/data/events/formats/nmnist.js';
import { encodeAedat2 } from '../../src/data/events/formats/aedat2.js';
import { encodeAedat3 } from '../../src/data/events/formats/aedat3.js';
import { readShdFile, writeShdFile } from '../../src/data/events/hdf5-node.js';
import { makeChannelEvents, makeDvsEvents, type DvsEvents } from '../../src/data/events/stream.js';
import { FixedFrames } from '../../src/data/events/transforms/frame.js';
import { CIFAR10_DVS_CLASSES } from '../../src/data/events/recorded-node.js';
import { parseConfigText } from '../../src/config/load-node.js';
import { ConfigError, FormatError, NotFoundError } from '../../src/errors.js';
import { repoRoot } from '../helpers.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'sf-recorded-'));

/** `n` events at pixel (x0 + k mod 3, y0), alternating polarity, stamps t0, t0 + dt, ... (µs). */
function events(n: number, x0: number, y0: number, t0 = 0, dt = 1000, width = 34, height = 34): DvsEvents {
  return makeDvsEvents({
    x: Array.from({ length: n }, (_, k) => x0 + (k % 3)),
    y: Array.from({ length: n }, () => y0),
    t: Array.from({ length: n }, (_, k) => t0 + k * dt),
    p: Array.from({ length: n }, (_, k) => k % 2),
    width,
    height,
    timeUnit: 'us',
  });
}

function sum(a: Float32Array, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s;
}

/** Per-sample event totals of a split. */
function totals(ds: SplitDataset['train']): number[] {
  return Array.from({ length: ds.length }, (_, i) => sum(ds.images, i * ds.features, (i + 1) * ds.features));
}

function load(name: string, r: DatasetRequest): { data: SplitDataset; log: string[] } {
  const log: string[] = [];
  return { data: loadDataset(name, { ...r, log: (l) => log.push(l) }), log };
}

/** The "(a converted, b from ...)" counts of a load's summary line. */
function counts(log: string[]): [number, number] {
  const m = /\((\d+) converted, (\d+) from/.exec(log[log.length - 1] ?? '');
  assert.ok(m, log.join('\n'));
  return [Number(m[1]), Number(m[2])];
}

/** N-MNIST layout: Train/{0,3,7}, Test/{3,7}; recordings within 10×10 pixels of the 34×34 sensor. */
function writeNmnist(root: string): void {
  const files: [string, string, string, number][] = [
    ['Train', '0', '00001.bin', 5],
    ['Train', '0', '00002.bin', 6],
    ['Train', '3', '00010.bin', 7],
    ['Train', '7', '00020.bin', 8],
    ['Test', '3', '00003.bin', 9],
    ['Test', '7', '00004.bin', 10],
  ];
  for (const [split, digit, name, n] of files) {
    mkdirSync(join(root, split, digit), { recursive: true });
    writeFileSync(join(root, split, digit, name), encodeNmnist(events(n, 2, 3 + n % 5, 0, 3000)));
  }
}

test('nmnist: Train/Test digit folders → [T, 2, 34, 34] on the 34×34 sensor, classes interleaved, cached', () => {
  const dir = tmp();
  try {
    writeNmnist(join(dir, 'N-MNIST'));
    const cacheDir = join(dir, 'cache');
    const r = { dataDir: join(dir, 'N-MNIST'), frames: 4, cacheDir };
    const { data, log } = load('nmnist', r);
    assert.deepEqual([data.train.length, data.test.length], [4, 2]);
    assert.deepEqual(data.train.shape, [4, 2, 34, 34], 'the sensor size, not the 5×8 the coordinates span');
    assert.equal(data.train.numClasses, 10);
    // One file of each digit, then the second of digit 0: a train_limit keeps every class.
    assert.deepEqual(Array.from(data.train.labels), [0, 3, 7, 0]);
    assert.deepEqual(totals(data.train), [5, 7, 8, 6]);
    assert.deepEqual(Array.from(data.test.labels), [3, 7]);
    assert.deepEqual(counts(log), [6, 0]);
    // Second load: every sample from the cache, identical frames.
    const again = load('nmnist', r);
    assert.deepEqual(counts(again.log), [0, 6]);
    assert.deepEqual(Array.from(again.data.train.images), Array.from(data.train.images));
    assert.ok(readdirSync(join(cacheDir, 'nmnist')).every((f) => f.endsWith('.sfec')));
    // Options change the pipeline, so the cache key: converted anew.
    const small = load('nmnist', { ...r, options: { downsample: 0.5, binning: 'events' }, trainLimit: 3 });
    assert.deepEqual(small.data.train.shape, [4, 2, 17, 17]);
    assert.equal(small.data.train.length, 3);
    assert.deepEqual(totals(small.data.train), [5, 7, 8]);
    assert.deepEqual(counts(small.log), [5, 0]);
    // A fixed duration: 4 windows of 3 ms cover 12 ms = the first 4 events (stamps every 3 ms).
    const short = load('nmnist', { ...r, options: { duration_ms: 12 }, cacheDir: null });
    assert.deepEqual(totals(short.data.train), [4, 4, 4, 4]);
    assert.throws(() => loadDataset('nmnist', { ...r, options: { downsampling: 2 } }), (e: unknown) => e instanceof ConfigError && /downsampling/.test(e.message) && /downsample/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nmnist: a missing folder names the expected layout; no data.dir is a config error; nothing is cached', () => {
  const dir = tmp();
  try {
    mkdirSync(join(dir, 'Train', '1'), { recursive: true });
    const cacheDir = join(dir, 'cache');
    assert.throws(
      () => loadDataset('nmnist', { dataDir: dir, frames: 2, cacheDir }),
      (e: unknown) => e instanceof NotFoundError && /Train\/<digit 0-9>\/\*\.bin/.test(e.message) && /Test/.test(e.message),
    );
    assert.throws(() => loadDataset('nmnist', { frames: 2, cacheDir }), (e: unknown) => e instanceof ConfigError && /data\.dir/.test(e.message));
    assert.equal(existsSync(cacheDir), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dvs-gesture: AEDAT 3.1 recordings cut into the labelled windows of the CSV; official split lists', () => {
  const dir = tmp();
  try {
    const root = join(dir, 'DvsGesture');
    mkdirSync(root);
    const rec = (name: string, ev: DvsEvents, labels: string): void => {
      writeFileSync(join(root, `${name}.aedat`), encodeAedat3(ev));
      writeFileSync(join(root, `${name}_labels.csv`), labels);
    };
    // 100 events, one every 10 ms from t = 1 s, at x = 100..102 (a 128×128 sensor).
    rec('user01_fluorescent', events(100, 100, 120, 1e6, 1e4, 128, 128), 'class,startTime_usec,endTime_usec\n3,1100000,1300000\n11,1500000,1800000\n');
    rec('user24_led', events(50, 5, 5, 0, 2e4, 128, 128), 'class,startTime_usec,endTime_usec\r\n1,0,500000\r\n');
    writeFileSync(join(root, 'trials_to_train.txt'), 'user01_fluorescent.aedat\n\n');
    writeFileSync(join(root, 'trials_to_test.txt'), 'user24_led.aedat\n');
    const r = { dataDir: dir, frames: 3, cacheDir: join(dir, 'cache') };
    const { data, log } = load('dvs-gesture', r);
    assert.deepEqual([data.train.length, data.test.length], [2, 1]);
    assert.deepEqual(data.train.shape, [3, 2, 128, 128]);
    assert.equal(data.train.numClasses, 11);
    assert.deepEqual(Array.from(data.train.labels), [2, 10], 'CSV classes 1..11 are labels 0..10');
    assert.deepEqual(Array.from(data.test.labels), [0]);
    // [1.1 s, 1.3 s) holds 20 events of 10 ms; [1.5 s, 1.8 s) 30; [0, 0.5 s) 25 of 20 ms.
    assert.deepEqual(totals(data.train), [20, 30]);
    assert.deepEqual(totals(data.test), [25]);
    assert.deepEqual(counts(log), [3, 0]);
    assert.deepEqual(counts(load('dvs-gesture', r).log), [0, 3]);
    const down = loadDataset('dvs-gesture', { ...r, dataDir: root, options: { downsample: 0.25 } });
    assert.deepEqual(down.train.shape, [3, 2, 32, 32], 'data.dir may also be the DvsGesture folder itself');
    rmSync(join(root, 'user24_led_labels.csv'));
    assert.throws(() => loadDataset('dvs-gesture', r), (e: unknown) => e instanceof NotFoundError && /user24_led_labels\.csv/.test(e.message) && /trials_to_test\.txt/.test(e.message));
    rmSync(join(root, 'trials_to_train.txt'));
    assert.throws(() => loadDataset('dvs-gesture', r), (e: unknown) => e instanceof NotFoundError && /trials_to_train\.txt/.test(e.message) && /DvsGesture/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cifar10-dvs: AEDAT 2.0 class folders, the first 90% of each class (by index) train', () => {
  const dir = tmp();
  try {
    CIFAR10_DVS_CLASSES.forEach((c, k) => {
      mkdirSync(join(dir, c));
      // airplane has 12 recordings (indices 0..11: 10 train, 2 test; numeric, not text, order), the others 2 (1 + 1).
      const n = k === 0 ? 12 : 2;
      for (let i = 0; i < n; i++) writeFileSync(join(dir, c, `cifar10_${c}_${i}.aedat`), encodeAedat2(events(1 + i, 60, 60, 0, 100, 128, 128)));
    });
    const { data } = load('cifar10-dvs', { dataDir: dir, frames: 2, cacheDir: null });
    assert.deepEqual([data.train.length, data.test.length], [19, 11]);
    assert.deepEqual(data.train.shape, [2, 2, 128, 128]);
    assert.equal(data.train.numClasses, 10);
    // Interleaved: index 0 of each class, then airplane's indices 1..9.
    assert.deepEqual(Array.from(data.train.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(totals(data.train).slice(10), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(Array.from(data.test.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    assert.deepEqual(totals(data.test), [11, 2, 2, 2, 2, 2, 2, 2, 2, 2, 12]);
    rmSync(join(dir, 'frog'), { recursive: true });
    assert.throws(() => loadDataset('cifar10-dvs', { dataDir: dir, frames: 2, cacheDir: null }), (e: unknown) => e instanceof NotFoundError && /frog/.test(e.message) && /cifar10_<class>_<i>\.aedat/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shd and ssc: HDF5 files → [T, 700] rasters over a fixed second, labels, cache without h5wasm', async () => {
  const dir = tmp();
  try {
    const ch = (t: number[], c: number[]) => makeChannelEvents({ t, channel: c, channels: 700, timeUnit: 's' });
    // Sample 0: 4 spikes, the one at 1.2 s is beyond the default 1 s duration.
    await writeShdFile(join(dir, 'shd_train.h5'), [ch([0.1, 0.3, 0.55, 1.2], [0, 699, 5, 5]), ch([0.0, 0.05], [1, 1]), ch([], [])], [3, 19, 0]);
    await writeShdFile(join(dir, 'shd_test.h5'), [ch([0.2], [100])], [7]);
    const cacheDir = join(dir, 'cache');
    const r = { dataDir: dir, frames: 5, cacheDir };
    const { data, log } = load('shd', r);
    assert.deepEqual([data.train.length, data.test.length], [3, 1]);
    assert.deepEqual(data.train.shape, [5, 700]);
    assert.equal(data.train.numClasses, 20);
    assert.deepEqual(Array.from(data.train.labels), [3, 19, 0]);
    assert.deepEqual(totals(data.train), [3, 2, 0]);
    // 200 ms bins from the first spike (0.1 s): 0.1 → bin 0, 0.3 → bin 1, 0.55 → bin 2.
    const f = data.train.images;
    assert.deepEqual([f[0 * 700 + 0], f[1 * 700 + 699], f[2 * 700 + 5]], [1, 1, 1]);
    assert.deepEqual(counts(log), [4, 0]);
    // Second load: frames and labels from the cache (no HDF5 read at all).
    const again = load('shd', r);
    assert.deepEqual(counts(again.log), [0, 4]);
    assert.deepEqual(Array.from(again.data.train.images), Array.from(f));
    const whole = loadDataset('shd', { ...r, options: { duration_ms: 0, downsample: 0.1 }, cacheDir: null });
    assert.deepEqual(whole.train.shape, [5, 70]);
    assert.deepEqual(totals(whole.train), [4, 2, 0]);

    // SSC: ssc_test by default, ssc_valid with test_split: valid; 35 classes.
    await writeShdFile(join(dir, 'ssc_train.h5'), [ch([0.1], [3]), ch([0.2], [4])], [34, 0]);
    await writeShdFile(join(dir, 'ssc_test.h5'), [ch([0.1], [3])], [12]);
    const ssc = loadDataset('ssc', { ...r, cacheDir: null });
    assert.deepEqual([ssc.train.length, ssc.test.length, ssc.train.numClasses], [2, 1, 35]);
    assert.throws(() => loadDataset('ssc', { ...r, options: { test_split: 'valid' } }), (e: unknown) => e instanceof NotFoundError && /ssc_valid\.h5/.test(e.message));
    await writeShdFile(join(dir, 'ssc_valid.h5'), [ch([0.1], [3]), ch([0.3], [3]), ch([0.5], [3])], [1, 2, 3]);
    assert.equal(loadDataset('ssc', { ...r, options: { test_split: 'valid' }, cacheDir: null }).test.length, 3);
    assert.throws(() => loadDataset('shd', { ...r, options: { test_split: 'valid' } }), ConfigError);
    rmSync(join(dir, 'shd_test.h5'));
    assert.throws(() => loadDataset('shd', r), (e: unknown) => e instanceof NotFoundError && /shd_test\.h5/.test(e.message) && /gunzipped/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shd: the released variable-length float16 layout (h5py fixture) loads through the dataset', () => {
  const dir = tmp();
  try {
    const fixture = join(repoRoot(), 'test', 'fixtures', 'shd-vlen-small.h5');
    copyFileSync(fixture, join(dir, 'shd_train.h5'));
    copyFileSync(fixture, join(dir, 'shd_test.h5'));
    const ds = loadDataset('shd', { dataDir: dir, frames: 2, cacheDir: null, options: { duration_ms: 0 } });
    assert.deepEqual(Array.from(ds.train.labels), [7, 0, 19]);
    assert.deepEqual(totals(ds.train), [3, 1, 4]);
    assert.deepEqual(ds.test.shape, [2, 700]);
    // A damaged file: the reader child's FormatError comes back naming the file.
    writeFileSync(join(dir, 'shd_test.h5'), 'not hdf5 at all');
    assert.throws(() => loadDataset('shd', { dataDir: dir, frames: 2, cacheDir: null }), (e: unknown) => e instanceof FormatError && /shd_test\.h5/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FixedFrames always gives T frames: fixed durations pad short recordings and drop late events', () => {
  const s = events(10, 0, 0, 500, 1000, 4, 4); // stamps 500 … 9500 µs
  const a = new FixedFrames({ frames: 4, binning: 'time', duration: 20000 }).apply(s);
  assert.deepEqual(a.shape, [4, 2, 4, 4]);
  assert.deepEqual([0, 1, 2, 3].map((k) => sum(a.data, k * 32, (k + 1) * 32)), [5, 5, 0, 0]);
  const b = new FixedFrames({ frames: 2, binning: 'time', duration: 4000 }).apply(s);
  assert.deepEqual([0, 1].map((k) => sum(b.data, k * 32, (k + 1) * 32)), [2, 2]);
  const c = new FixedFrames({ frames: 3, binning: 'events' }).apply(s);
  assert.equal(sum(c.data), 10);
  assert.throws(() => new FixedFrames({ frames: 3, binning: 'events', duration: 5 }), ConfigError);
});

test('data.options: checked against the dataset entry, defaults filled in; datasets without options refuse them', () => {
  const model = 'model: { layers: [ { type: linear, out: 10 }, { type: lif } ] }\nencoder: { type: frames, steps: 4 }\n';
  const cfg = parseConfigText(`data: { dataset: nmnist, dir: /x, options: { downsample: 0.5 } }\n${model}`, 'a.yaml');
  assert.deepEqual(cfg.data.options, { binning: 'time', duration_ms: 0, denoise_ms: 0, downsample: 0.5 });
  assert.deepEqual(parseConfigText(`data: { dataset: shd }\n${model}`, 'b.yaml').data.options, { binning: 'time', duration_ms: 1000, downsample: 1 });
  assert.equal(parseConfigText(`data: { dataset: ssc }\n${model}`, 'c.yaml').data.options?.['test_split'], 'test');
  assert.throws(() => parseConfigText(`data: { dataset: nmnist, options: { binning: count } }\n${model}`, 'd.yaml'), (e: unknown) => e instanceof ConfigError && /data\.options\.binning/.test(e.message));
  assert.throws(() => parseConfigText(`data: { dataset: shd, options: { denoise_ms: 5 } }\n${model}`, 'e.yaml'), (e: unknown) => e instanceof ConfigError && /denoise_ms/.test(e.message) && /accepted: binning, downsample, duration_ms/.test(e.message));
  assert.throws(() => parseConfigText(`data: { dataset: mnist, options: { downsample: 1 } }\n${model}`, 'f.yaml'), (e: unknown) => e instanceof ConfigError && /takes no options/.test(e.message));
  assert.equal('options' in parseConfigText(`data: { dataset: mnist }\n${model}`, 'g.yaml').data, false);
});

test('shd: an HDF5 file without an SHD dataset gives a one-line error naming the file and the missing dataset', async () => {
  const dir = tmp();
  try {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    // Valid HDF5, wrong content: each file lacks one of the datasets the SHD layout needs.
    const write = (name: string, build: (f: InstanceType<typeof h5wasm.File>) => void): string => {
      const path = join(dir, name);
      const f = new h5wasm.File(path, 'w');
      build(f);
      f.close();
      return path;
    };
    const noLabels = write('shd_train.h5', (f) => {
      const g = f.create_group('spikes');
      g.create_dataset({ name: 'times', data: Float32Array.from([0.1]) });
      g.create_dataset({ name: 'units', data: Uint16Array.from([3]) });
      g.create_dataset({ name: 'offsets', data: Uint32Array.from([0, 1]) });
    });
    const noUnits = write('shd_test.h5', (f) => {
      const g = f.create_group('spikes');
      g.create_dataset({ name: 'times', data: Float32Array.from([0.1]) });
      g.create_dataset({ name: 'offsets', data: Uint32Array.from([0, 1]) });
      f.create_dataset({ name: 'labels', data: Uint16Array.from([1]) });
    });
    const oneLine = (file: string, what: string) => (e: unknown) =>
      e instanceof FormatError && e.message.includes(file) && e.message.includes(`'${what}' is missing`) && !e.message.includes('\n');
    await assert.rejects(readShdFile(noLabels), oneLine(noLabels, 'labels'));
    await assert.rejects(readShdFile(noUnits), oneLine(noUnits, 'spikes/units'));
    // Through the dataset (the reader runs in a child process): the same message comes back.
    assert.throws(() => loadDataset('shd', { dataDir: dir, frames: 2, cacheDir: null }), oneLine(noLabels, 'labels'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
