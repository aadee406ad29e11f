import test from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FormatError, NotFoundError } from '../../src/errors.js';
import { CIFAR10_LAYOUT, encodeCifarRecords } from '../../src/data/cifar.js';
import { loadCifar10, loadCifar100 } from '../../src/data/cifar-node.js';
import { loadDataset } from '../../src/data/load-node.js';
import type { Dataset } from '../../src/data/dataset.js';
import { label10, labels100, pixelByte, RECORDS_PER_FILE, writeCifar10, writeCifar100 } from './cifar-files.js';

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-cifar-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const N = RECORDS_PER_FILE;
const c10 = writeCifar10(join(tmp, 'c10'));
const c100 = writeCifar100(join(tmp, 'c100'));

/** Sample `i` of `ds` holds record `record` of generated file `file`, value by value: pixel (c, y, x) at c·1024 + y·32 + x. */
function assertSample(ds: Dataset, i: number, file: number, record: number): void {
  const px = ds.images.subarray(i * 3072, (i + 1) * 3072);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const want = Math.fround(pixelByte(file, record, c, y, x) / 255);
        if (px[c * 1024 + y * 32 + x] !== want) assert.fail(`sample ${i} (file ${file}, record ${record}) pixel c${c} y${y} x${x}: got ${px[c * 1024 + y * 32 + x]}, want ${want}`);
      }
}

function errorWith(cls: new (...a: never[]) => Error, ...parts: string[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    for (const p of parts) assert.ok(e.message.includes(p), `message names '${p}': ${e.message}`);
    return true;
  };
}

test('cifar10: pixel planes R, G, B in [3, 32, 32], labels and file order exact', () => {
  const { train, test: te } = loadCifar10(c10);
  assert.deepEqual(train.shape, [3, 32, 32]);
  assert.equal(train.length, 5 * N);
  assert.equal(te.length, N);
  assert.equal(train.numClasses, 10);
  assert.equal(train.name, 'cifar10');
  for (let f = 0; f < 5; f++) for (let r = 0; r < N; r++) assert.equal(train.labels[f * N + r], label10(f, r), `train label ${f * N + r}`);
  for (let r = 0; r < N; r++) assert.equal(te.labels[r], label10(5, r));
  for (const [i, f, r] of [[0, 0, 0], [N - 1, 0, N - 1], [N, 1, 0], [3 * N + 7, 3, 7], [5 * N - 1, 4, N - 1]] as const) assertSample(train, i, f, r);
  assertSample(te, 3, 5, 3);
});

test('cifar10: one hand-built record: the first 1024 bytes are red, then green, then blue, row by row', () => {
  const px = new Uint8Array(3072);
  px[0 * 1024 + 1 * 32 + 2] = 255; // red at row 1, column 2
  px[1 * 1024 + 31 * 32 + 0] = 51; // green at row 31, column 0
  px[2 * 1024 + 0 * 32 + 31] = 102; // blue at row 0, column 31
  const dir = join(tmp, 'one');
  mkdirSync(dir, { recursive: true });
  for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    writeFileSync(join(dir, f), encodeCifarRecords(CIFAR10_LAYOUT, [[9]], px));
  }
  const { train } = loadCifar10(dir);
  const img = train.images.subarray(0, 3072);
  const lit = [...img.keys()].filter((k) => img[k] !== 0);
  assert.deepEqual(lit, [34, 1024 + 992, 2048 + 31]);
  assert.equal(img[34], 1);
  assert.equal(img[1024 + 992], Math.fround(0.2));
  assert.equal(img[2048 + 31], Math.fround(0.4));
  assert.equal(train.labels[0], 9);
});

test('cifar10: the files may sit in cifar-10-batches-bin/ under the directory; limits read only the first records, across files', () => {
  const parent = join(tmp, 'parent');
  writeCifar10(join(parent, 'cifar-10-batches-bin'));
  const { train, test: te } = loadCifar10(parent, { trainLimit: N + 5, testLimit: 3 });
  assert.equal(train.length, N + 5);
  assert.equal(te.length, 3);
  assertSample(train, N + 4, 1, 4);
  assert.equal(train.labels[N + 4], label10(1, 4));
  // The registry entry passes the limits and the directory through.
  const viaRegistry = loadDataset('cifar10', { dataDir: parent, trainLimit: 7, testLimit: null });
  assert.equal(viaRegistry.train.length, 7);
  assert.equal(viaRegistry.test.length, N);
  assert.deepEqual(viaRegistry.train.images, train.images.subarray(0, 7 * 3072));
});

test('cifar100: fine labels (100 classes) by default, coarse (20) on request; both label bytes checked', () => {
  const fine = loadCifar100(c100);
  assert.equal(fine.train.numClasses, 100);
  assert.equal(fine.train.name, 'cifar100');
  assert.equal(fine.train.length, N);
  for (let r = 0; r < N; r++) {
    assert.equal(fine.train.labels[r], labels100(0, r)[1]);
    assert.equal(fine.test.labels[r], labels100(1, r)[1]);
  }
  assertSample(fine.train, 5, 0, 5);
  assertSample(fine.test, N - 1, 1, N - 1);
  const coarse = loadDataset('cifar100', { dataDir: c100, options: { labels: 'coarse' } });
  assert.equal(coarse.train.numClasses, 20);
  assert.equal(coarse.train.name, 'cifar100-coarse');
  for (let r = 0; r < N; r++) assert.equal(coarse.train.labels[r], labels100(0, r)[0]);
  assert.deepEqual(coarse.train.images, fine.train.images);
  const parent = join(tmp, 'p100');
  writeCifar100(join(parent, 'cifar-100-binary'), 4);
  assert.equal(loadCifar100(parent).test.length, 4);
  assert.throws(() => loadDataset('cifar100', { dataDir: c100, options: { labels: 'medium' } }), errorWith(ConfigError, "'labels'", "'fine'", "'coarse'"));
  assert.throws(() => loadDataset('cifar100', { dataDir: c100, options: { label: 'fine' } }), errorWith(ConfigError, "'label'", 'labels'));
});

test('cifar: missing directory, missing files and no directory name what was expected and where it looked', () => {
  const nowhere = join(tmp, 'nowhere');
  assert.throws(() => loadCifar10(nowhere), errorWith(NotFoundError, nowhere, 'does not exist', 'data_batch_1.bin', 'test_batch.bin', 'cifar-10-batches-bin'));
  assert.throws(() => loadCifar10(undefined), errorWith(ConfigError, 'data.dir', '--data-dir', 'data_batch_5.bin'));
  assert.throws(() => loadDataset('cifar100', {}), errorWith(ConfigError, 'data.dir', 'train.bin', 'test.bin'));
  const partial = join(tmp, 'partial');
  writeCifar10(partial, 2);
  rmSync(join(partial, 'data_batch_3.bin'));
  rmSync(join(partial, 'test_batch.bin'));
  assert.throws(() => loadCifar10(partial), errorWith(NotFoundError, `missing data_batch_3.bin, test_batch.bin in ${partial}`, join(partial, 'cifar-10-batches-bin')));
  // Files in the archive's folder: what is missing is reported there.
  const nested = join(tmp, 'nested');
  writeCifar100(join(nested, 'cifar-100-binary'), 2);
  rmSync(join(nested, 'cifar-100-binary', 'test.bin'));
  assert.throws(() => loadCifar100(nested), errorWith(NotFoundError, `missing test.bin in ${join(nested, 'cifar-100-binary')}`, 'cifar-100-binary.tar.gz'));
  assert.throws(() => loadCifar100(c10), errorWith(NotFoundError, 'missing train.bin, test.bin'));
});

test('cifar: a size that is not a whole number of records, or a label out of range, names the file and the record', () => {
  const cut = writeCifar10(join(tmp, 'cut'), 3);
  truncateSync(join(cut, 'data_batch_4.bin'), 3 * 3073 - 100);
  // Reported even when the limit would not reach that file.
  assert.throws(() => loadCifar10(cut, { trainLimit: 2 }), errorWith(FormatError, join(cut, 'data_batch_4.bin'), 'not a whole number of 3073-byte records', 'record 2 at byte offset 6146'));
  const extra = writeCifar100(join(tmp, 'extra'), 2);
  appendFileSync(join(extra, 'test.bin'), new Uint8Array(5));
  assert.throws(() => loadCifar100(extra), errorWith(FormatError, join(extra, 'test.bin'), '3074-byte records', 'record 2'));
  const empty = writeCifar10(join(tmp, 'empty'), 2);
  writeFileSync(join(empty, 'test_batch.bin'), new Uint8Array(0));
  assert.throws(() => loadCifar10(empty), errorWith(FormatError, join(empty, 'test_batch.bin'), 'empty'));

  const bad = writeCifar10(join(tmp, 'badlabel'), 3);
  const p = join(bad, 'data_batch_2.bin');
  const bytes = readFileSync(p);
  bytes[2 * 3073] = 10;
  writeFileSync(p, bytes);
  assert.throws(() => loadCifar10(bad), errorWith(FormatError, p, 'record 2 (byte offset 6146)', 'label 10 is outside [0, 10)'));
  const bad100 = writeCifar100(join(tmp, 'badfine'), 3);
  const q = join(bad100, 'train.bin');
  const b100 = readFileSync(q);
  b100[1 * 3074 + 1] = 100; // fine label of record 1
  writeFileSync(q, b100);
  // Checked whichever label byte is the class.
  assert.throws(() => loadCifar100(bad100, { labels: 'coarse' }), errorWith(FormatError, q, 'record 1 (byte offset 3075)', 'fine label 100 is outside [0, 100)'));
  b100[1 * 3074 + 1] = 5;
  b100[2 * 3074] = 20;
  writeFileSync(q, b100);
  assert.throws(() => loadCifar100(bad100), errorWith(FormatError, q, 'record 2 (byte offset 6148)', 'coarse label 20 is outside [0, 20)'));
});
