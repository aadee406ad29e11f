import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError, FormatError, NotFoundError } from '../../src/errors.js';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';
import { FASHION_MNIST_SYSTEM_DIR, loadIdxDataset, locateFashionMnist, readIdxFile } from '../../src/data/idx-node.js';
import { loadDataset } from '../../src/data/load-node.js';

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-idx-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

// 3 images of 2×2 ubyte pixels and their labels, written byte by byte.
const PIXELS = [0, 255, 51, 102, 1, 2, 3, 4, 250, 0, 128, 64];
const LABELS = [7, 0, 3];
const imagesBytes = (): Uint8Array => Uint8Array.from([0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, ...PIXELS]);
const labelsBytes = (): Uint8Array => Uint8Array.from([0, 0, 0x08, 1, 0, 0, 0, 3, ...LABELS]);

function write(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function expectFormatError(fn: () => unknown, file: string, offset: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    assert.ok(e.message.includes(`offset ${offset}`), `message names offset ${offset}: ${e.message}`);
    return true;
  });
}

test('IDX ubyte images and labels read back, plain and gzipped', () => {
  for (const gz of [false, true]) {
    const pack = (b: Uint8Array) => (gz ? new Uint8Array(gzipSync(b)) : b);
    const img = readIdxFile(write(tmp, `img${gz}`, pack(imagesBytes())));
    assert.equal(img.dtype, 'uint8');
    assert.deepEqual(img.dims, [3, 2, 2]);
    assert.deepEqual([...img.data], PIXELS);
    const lab = readIdxFile(write(tmp, `lab${gz}`, pack(labelsBytes())));
    assert.deepEqual(lab.dims, [3]);
    assert.deepEqual([...lab.data], LABELS);
  }
});

test('loadIdxDataset: four files (mixed .gz and plain), scaling to [0,1], shape [1,H,W]', () => {
  const dir = join(tmp, 'ds');
  write(dir, 'train-images-idx3-ubyte.gz', new Uint8Array(gzipSync(imagesBytes())));
  write(dir, 'train-labels-idx1-ubyte', labelsBytes());
  write(dir, 't10k-images-idx3-ubyte', imagesBytes());
  write(dir, 't10k-labels-idx1-ubyte.gz', new Uint8Array(gzipSync(labelsBytes())));
  const { train, test: te } = loadIdxDataset(dir, 'toy');
  for (const ds of [train, te]) {
    assert.equal(ds.name, 'toy');
    assert.equal(ds.length, 3);
    assert.deepEqual([...ds.shape], [1, 2, 2]);
    assert.equal(ds.numClasses, 8);
    assert.deepEqual([...ds.labels], LABELS);
    assert.deepEqual([...ds.images], PIXELS.map((p) => Math.fround(p / 255)));
  }
  assert.equal(loadDataset('idx', { dataDir: dir }).train.length, 3);
  assert.equal(loadDataset('mnist', { dataDir: dir }).train.numClasses, 10, 'mnist from a directory has 10 classes');
});

test('corrupt IDX files give FormatError naming file and byte offset', () => {
  const bad = (name: string, bytes: Uint8Array) => write(join(tmp, 'bad'), name, bytes);
  let b = imagesBytes(); b[0] = 1;
  let p = bad('magic0', b);
  expectFormatError(() => readIdxFile(p), p, 0);
  b = imagesBytes(); b[1] = 8;
  p = bad('magic1', b);
  expectFormatError(() => readIdxFile(p), p, 1);
  b = imagesBytes(); b[2] = 0x07;
  p = bad('dtype', b);
  expectFormatError(() => readIdxFile(p), p, 2);
  b = imagesBytes().subarray(0, 14); // header cut inside the third dimension
  p = bad('header', b);
  expectFormatError(() => readIdxFile(p), p, 14);
  b = imagesBytes().subarray(0, imagesBytes().length - 1); // one pixel missing
  p = bad('data', b);
  expectFormatError(() => readIdxFile(p), p, b.length);
  p = bad('data.gz', new Uint8Array(gzipSync(b))); // the offset refers to the decompressed bytes
  expectFormatError(() => readIdxFile(p), p, b.length);
  const extra = Uint8Array.from([...imagesBytes(), 9]);
  p = bad('trailing', extra);
  expectFormatError(() => readIdxFile(p), p, imagesBytes().length);
  // labels that do not match the image count
  const dir = join(tmp, 'mismatch');
  write(dir, 'train-images-idx3-ubyte', imagesBytes());
  const lp = write(dir, 'train-labels-idx1-ubyte', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]));
  write(dir, 't10k-images-idx3-ubyte', imagesBytes());
  write(dir, 't10k-labels-idx1-ubyte', labelsBytes());
  expectFormatError(() => loadIdxDataset(dir, 'x'), lp, 4);
  // a broken gzip stream
  const gz = new Uint8Array(gzipSync(imagesBytes())).subarray(0, 12);
  p = bad('broken.gz', gz);
  assert.throws(() => readIdxFile(p), (e: unknown) => e instanceof FormatError && e.message.includes(p));
  // gzip without a decompressor (browser path)
  assert.throws(() => parseIdx(new Uint8Array(gzipSync(imagesBytes())), 'mem.gz'), (e: unknown) => e instanceof FormatError && e.message.includes('mem.gz'));
});

test('encodeIdx/parseIdx round trip for every element type', () => {
  const cases = [
    { dtype: 'int8' as const, data: Int8Array.from([-128, 0, 127, -1]) },
    { dtype: 'int16' as const, data: Int16Array.from([-32768, 1, 300, 32767]) },
    { dtype: 'int32' as const, data: Int32Array.from([-2147483648, 5, 70000, 2147483647]) },
    { dtype: 'float32' as const, data: Float32Array.from([0.5, -1.25, 3e-5, 1e20]) },
    { dtype: 'float64' as const, data: Float64Array.from([Math.PI, -0, 1e-300, 2]) },
    { dtype: 'uint8' as const, data: Uint8Array.from([0, 1, 254, 255]) },
  ];
  for (const c of cases) {
    const bytes = encodeIdx({ dtype: c.dtype, dims: [2, 2], data: c.data });
    const back = parseIdx(bytes, c.dtype);
    assert.equal(back.dtype, c.dtype);
    assert.deepEqual(back.dims, [2, 2]);
    assert.deepEqual([...back.data], [...c.data]);
  }
  // big-endian on disk: int16 300 = 0x01 0x2c
  const b = encodeIdx({ dtype: 'int16', dims: [1], data: Int16Array.from([300]) });
  assert.deepEqual([...b], [0, 0, 0x0b, 1, 0, 0, 0, 1, 0x01, 0x2c]);
});

test('missing files: NotFoundError listing expected names and the directory', () => {
  const dir = join(tmp, 'partial');
  write(dir, 'train-images-idx3-ubyte', imagesBytes());
  assert.throws(() => loadIdxDataset(dir, 'x'), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    for (const s of [dir, 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) assert.ok(e.message.includes(s), e.message);
    return true;
  });
  assert.throws(() => loadIdxDataset(join(tmp, 'nope'), 'x'), NotFoundError);
  assert.throws(() => locateFashionMnist(join(tmp, 'nope')), (e: unknown) => e instanceof NotFoundError && e.message.includes('nope') && e.message.includes('fashion-mnist'));
  assert.throws(() => loadDataset('idx'), ConfigError);
  assert.throws(() => loadDataset('cifar'), (e: unknown) => e instanceof ConfigError && e.message.includes('cifar'));
});

test('Fashion-MNIST: located in the Debian package directory or a clear NotFoundError', () => {
  if (!existsSync(FASHION_MNIST_SYSTEM_DIR)) {
    assert.throws(() => locateFashionMnist(), (e: unknown) => e instanceof NotFoundError && e.message.includes('apt-get install dataset-fashion-mnist'));
    return;
  }
  assert.equal(locateFashionMnist(), FASHION_MNIST_SYSTEM_DIR);
  const { train, test: te } = loadDataset('fashion-mnist');
  assert.equal(train.length, 60000);
  assert.equal(te.length, 10000);
  assert.deepEqual([...train.shape], [1, 28, 28]);
  assert.equal(train.numClasses, 10);
  assert.equal(train.name, 'fashion-mnist');
});
