import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { makeDataset, subset, take, type Dataset } from '../../src/data/dataset.js';
import { DataLoader, batchTensor, type Batch } from '../../src/data/loader.js';
import { Rng } from '../../src/tensor/rng.js';

/** N samples of 3 features; sample i holds [i, i+0.25, i+0.5] so content reveals the index. */
function toy(n: number): Dataset {
  const images = new Float32Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images.set([i, i + 0.25, i + 0.5], i * 3);
    labels[i] = i % 4;
  }
  return makeDataset({ name: 'toy', images, labels, shape: [3], numClasses: 4 });
}

function epochIndices(l: DataLoader): number[][] {
  const out: number[][] = [];
  for (const b of l.batches()) out.push([...b.indices]);
  return out;
}

function checkBatch(ds: Dataset, b: Batch): void {
  assert.equal(b.x.length, b.size * 3);
  for (let k = 0; k < b.size; k++) {
    const i = b.indices[k]!;
    assert.deepEqual([...b.x.subarray(k * 3, k * 3 + 3)], [i, i + 0.25, i + 0.5]);
    assert.equal(b.labels[k], ds.labels[i]);
  }
}

test('every sample once per epoch; batch sizes; contents match the indices', () => {
  const ds = toy(10);
  const l = new DataLoader(ds, { batchSize: 3, seed: 5 });
  assert.equal(l.numBatches, 4);
  for (let e = 0; e < 3; e++) {
    assert.equal(l.epoch, e);
    const sizes: number[] = [];
    const all: number[] = [];
    for (const b of l) {
      checkBatch(ds, b);
      sizes.push(b.size);
      all.push(...b.indices);
    }
    assert.deepEqual(sizes, [3, 3, 3, 1]);
    assert.deepEqual([...all].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  assert.equal(l.epoch, 3);
});

test('dropLast drops the short batch; shuffle=false keeps dataset order', () => {
  const ds = toy(10);
  const l = new DataLoader(ds, { batchSize: 4, seed: 1, dropLast: true });
  assert.equal(l.numBatches, 2);
  const idx = epochIndices(l);
  assert.deepEqual(idx.map((b) => b.length), [4, 4]);
  assert.equal(new Set(idx.flat()).size, 8);
  const plain = new DataLoader(ds, { batchSize: 4, shuffle: false });
  assert.deepEqual(epochIndices(plain), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
});

test('shuffling is seeded: same seed same orders, other seed or epoch differs', () => {
  const ds = toy(50);
  const a = new DataLoader(ds, { batchSize: 7, seed: 42 });
  const b = new DataLoader(ds, { batchSize: 7, seed: 42 });
  const c = new DataLoader(ds, { batchSize: 7, seed: 43 });
  const e0 = epochIndices(a);
  assert.deepEqual(epochIndices(b), e0);
  assert.notDeepEqual(epochIndices(c), e0);
  assert.notDeepEqual(epochIndices(a), e0, 'a new order every epoch');
  // a forked Rng works the same way
  const d = new DataLoader(ds, { batchSize: 7, rng: new Rng(9).fork() });
  const e = new DataLoader(ds, { batchSize: 7, rng: new Rng(9).fork() });
  assert.deepEqual(epochIndices(d), epochIndices(e));
});

test('getState/setState resumes bit-exactly mid-epoch, across JSON', () => {
  const ds = toy(23);
  const ref = new DataLoader(ds, { batchSize: 5, seed: 7 });
  epochIndices(ref); // epoch 0
  ref.nextBatch();
  ref.nextBatch(); // 10 samples into epoch 1
  const saved = JSON.parse(JSON.stringify(ref.getState()));
  assert.equal(saved.epoch, 1);
  assert.equal(saved.position, 10);
  const rest: number[][] = [];
  for (let e = 0; e < 3; e++) rest.push(...epochIndices(ref));
  // a loader with another seed takes the saved state and continues identically
  const resumed = new DataLoader(ds, { batchSize: 5, seed: 999 });
  resumed.setState(saved);
  assert.equal(resumed.epoch, 1);
  const again: number[][] = [];
  for (let e = 0; e < 3; e++) again.push(...epochIndices(resumed));
  assert.deepEqual(again, rest);
  assert.throws(() => new DataLoader(toy(22), { batchSize: 5 }).setState(saved), ConfigError);
  assert.throws(() => new DataLoader(ds, { batchSize: 4 }).setState(saved), ConfigError);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), ConfigError);
});

test('buffers: reused by default, fresh with reuseBuffers=false; batchTensor shapes', () => {
  const ds = toy(6);
  const l = new DataLoader(ds, { batchSize: 4, shuffle: false });
  const b1 = l.nextBatch()!;
  const first = [...b1.x];
  const b2 = l.nextBatch()!;
  assert.equal(b2.size, 2);
  assert.equal(b1.x.buffer, b2.x.buffer, 'same memory reused');
  assert.notDeepEqual([...b1.x.subarray(0, 3)], first.slice(0, 3));
  const f = new DataLoader(ds, { batchSize: 4, shuffle: false, reuseBuffers: false });
  const c1 = f.nextBatch()!;
  f.nextBatch();
  assert.deepEqual([...c1.x], first);
  const t = batchTensor(c1, ds.shape);
  assert.deepEqual([...t.shape], [4, 3]);
  assert.deepEqual([...t.data], first);
});

test('subset and take copy the chosen samples in order', () => {
  const ds = toy(5);
  const s = subset(ds, [4, 1, 1]);
  assert.equal(s.length, 3);
  assert.deepEqual([...s.images], [4, 4.25, 4.5, 1, 1.25, 1.5, 1, 1.25, 1.5]);
  assert.deepEqual([...s.labels], [0, 1, 1]);
  assert.equal(take(ds, 2).length, 2);
  assert.throws(() => subset(ds, [5]));
  assert.throws(() => makeDataset({ name: 'bad', images: new Float32Array(5), labels: new Uint8Array(2), shape: [3], numClasses: 2 }));
});
