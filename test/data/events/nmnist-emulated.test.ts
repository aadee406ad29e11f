import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ShapeError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { take, type SplitDataset } from '../../../src/data/dataset.js';
import { loadEmbeddedMnist } from '../../../src/data/mnist-embedded-node.js';
import { emulateEvents } from '../../../src/data/events/emulator.js';
import { emulatedNmnistSpec, emulateNmnistRecording, makeEmulatedNmnistSplit, recordingSeed } from '../../../src/data/events/nmnist-emulated.js';
import { loadEmulatedNmnist } from '../../../src/data/events/nmnist-cache-node.js';
import { loadDataset } from '../../../src/data/load-node.js';
import { tensor } from '../../../src/tensor/create.js';
import { createEncoder } from '../../../src/encoding/factory.js';

const P = 34 * 34;

/** The first few embedded digits of each split: enough to exercise everything in well under a second. */
function smallSource(nTrain = 6, nTest = 3): SplitDataset {
  const m = loadEmbeddedMnist();
  return { train: take(m.train, nTrain), test: take(m.test, nTest) };
}

test('emulated events come out time-sorted for short and long frame intervals (radix passes)', () => {
  const rng = new Rng(5);
  const W = 9, H = 7, T = 6;
  const frames = new Float32Array(T * W * H);
  for (let i = 0; i < frames.length; i++) frames[i] = rng.random();
  for (const step of [1000, 300_000, 0.5e9]) {
    const times = Array.from({ length: T }, (_, k) => k * step);
    const s = emulateEvents({ frames, width: W, height: H, times }, new Rng(2), { thresholdSigma: 0.05 });
    assert.ok(s.t.length > 100);
    for (let i = 1; i < s.t.length; i++) assert.ok(s.t[i]! >= s.t[i - 1]!, `interval ${step}: event ${i} out of order`);
    // The time scale does not change which crossings happen, only when.
    const ref = emulateEvents({ frames, width: W, height: H, times: times.map((t) => t / step) }, new Rng(2), { thresholdSigma: 0.05 });
    assert.equal(s.t.length, ref.t.length);
  }
});

test('nmnist-emulated samples: [T, 2, 34, 34] counts, both polarities, deterministic per dataset seed, prefix-stable', () => {
  const src = smallSource();
  const spec = emulatedNmnistSpec(5);
  const a = makeEmulatedNmnistSplit(src.train, 4, spec, 'train');
  const b = makeEmulatedNmnistSplit(src.train, 4, spec, 'train');
  assert.deepEqual(a.shape, [5, 2, 34, 34]);
  assert.equal(a.length, 4);
  assert.deepEqual(Array.from(a.labels), Array.from(src.train.labels.subarray(0, 4)));
  assert.deepEqual(a.images, b.images, 'same seed, same samples');
  for (let i = 0; i < a.length; i++) {
    let on = 0, off = 0;
    const base = i * a.features;
    for (let t = 0; t < 5; t++) {
      for (let j = 0; j < P; j++) {
        off += a.images[base + t * 2 * P + j]!;
        on += a.images[base + t * 2 * P + P + j]!;
      }
    }
    assert.ok(on > 500 && off > 500, `sample ${i}: ON ${on}, OFF ${off}`);
    assert.ok(Math.abs(on - off) / (on + off) < 0.2, `sample ${i}: ON/OFF balance ${on}/${off}`);
    // Counts are integers; every bin has events (the digit moves throughout).
    for (let t = 0; t < 5; t++) {
      let n = 0;
      for (let j = 0; j < 2 * P; j++) n += a.images[base + t * 2 * P + j]!;
      assert.ok(n > 0, `sample ${i} bin ${t} is empty`);
    }
  }
  assert.ok(a.images.every((v) => Number.isInteger(v) && v >= 0));
  // Sample i depends only on (seed, split, i): a shorter prefix gives the same first samples.
  const c = makeEmulatedNmnistSplit(src.train, 2, spec, 'train');
  assert.deepEqual(c.images, a.images.subarray(0, 2 * a.features));
  // Another dataset seed or split gives other recordings of the same digit.
  const other = makeEmulatedNmnistSplit(src.train, 1, emulatedNmnistSpec(5, { seed: 1 }), 'train');
  assert.notDeepEqual(other.images, a.images.subarray(0, a.features));
  assert.notEqual(recordingSeed(0, 'train', 0), recordingSeed(0, 'test', 0));
  // The recording itself: a 34×34 sensor over three 100 ms saccades.
  const rec = emulateNmnistRecording(src.train.images.subarray(0, 784), spec, 'train', 0);
  assert.equal(rec.width, 34);
  assert.ok(rec.t[rec.t.length - 1]! <= 300_000 && rec.t[rec.t.length - 1]! > 250_000);
  assert.equal(a.images.subarray(0, a.features).reduce((s, v) => s + v, 0), rec.t.length, 'every event lands in one bin');
  assert.throws(() => emulatedNmnistSpec(0), ConfigError);
  assert.throws(() => emulatedNmnistSpec(4, { framesPerSaccade: 0 }), ConfigError);
  assert.throws(() => makeEmulatedNmnistSplit({ ...src.train, features: 10 }, 1, spec, 'train'), ShapeError);
});

test('the disk cache returns identical samples, is keyed on every parameter and ignores corrupt entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-nmnist-'));
  try {
    const src = smallSource();
    const spec = emulatedNmnistSpec(4);
    const first = loadEmulatedNmnist(src, spec, { cacheDir: dir });
    assert.deepEqual([first.stats.generated, first.stats.fromCache], [9, 0]);
    assert.deepEqual([first.data.train.length, first.data.test.length], [6, 3]);
    const direct = makeEmulatedNmnistSplit(src.train, 6, spec, 'train');
    assert.deepEqual(first.data.train.images, direct.images, 'cached path = in-memory generation');
    const again = loadEmulatedNmnist(src, spec, { cacheDir: dir });
    assert.deepEqual([again.stats.generated, again.stats.fromCache], [0, 9]);
    assert.deepEqual(again.data.train.images, first.data.train.images);
    assert.deepEqual(again.data.test.images, first.data.test.images);
    assert.deepEqual(Array.from(again.data.test.labels), Array.from(src.test.labels));
    // Another parameter (bins, emulator threshold) or other source digits: no reuse.
    assert.equal(loadEmulatedNmnist(src, emulatedNmnistSpec(3), { cacheDir: dir }).stats.fromCache, 0);
    assert.equal(loadEmulatedNmnist(src, emulatedNmnistSpec(4, { emulator: { thresholdOn: 0.25 } }), { cacheDir: dir }).stats.fromCache, 0);
    const changed = { train: take(src.train, 6), test: take(src.test, 3) };
    changed.train.images[100] = 0.5;
    const ch = loadEmulatedNmnist(changed, spec, { cacheDir: dir });
    assert.deepEqual([ch.stats.generated, ch.stats.fromCache], [6, 3], 'train block source changed; test block reused');
    // A limit inside a cached block is served from it; corrupt files are regenerated.
    const lim = loadEmulatedNmnist(src, spec, { cacheDir: dir, trainLimit: 6, testLimit: 3 });
    assert.equal(lim.stats.fromCache, 9);
    const sub = join(dir, 'nmnist-emulated');
    for (const f of readdirSync(sub)) writeFileSync(join(sub, f), 'garbage');
    const fixed = loadEmulatedNmnist(src, spec, { cacheDir: dir });
    assert.deepEqual([fixed.stats.generated, fixed.stats.fromCache], [9, 0]);
    assert.deepEqual(fixed.data.train.images, first.data.train.images);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadDataset('nmnist-emulated') applies limits by generating only those samples", () => {
  const d = loadDataset('nmnist-emulated', { frames: 3, trainLimit: 3, testLimit: 2, cacheDir: null });
  assert.deepEqual([d.train.length, d.test.length, d.train.numClasses], [3, 2, 10]);
  assert.deepEqual(d.train.shape, [3, 2, 34, 34]);
  const m = loadEmbeddedMnist();
  assert.deepEqual(Array.from(d.train.labels), Array.from(m.train.labels.subarray(0, 3)));
  assert.throws(() => loadDataset('nmnist-emulated', { cacheDir: null }), ConfigError);
});

test("the 'frames' encoder moves time to the front: [B, T, ...] → [T, B, ...], optional binarize", () => {
  const B = 2, T = 3, F = 4;
  const x = tensor(Float32Array.from({ length: B * T * F }, (_, i) => i % 5), [B, T, 2, 2]);
  const enc = createEncoder({ type: 'frames' }, T);
  assert.deepEqual([enc.outputSteps, enc.stochastic, enc.binary], [T, false, false]);
  const y = enc.encode(x, new Rng(0));
  assert.deepEqual(y.shape, [T, B, 2, 2]);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) assert.equal(y.data[(t * B + b) * F + f], x.data[(b * T + t) * F + f]);
    }
  }
  const bin = createEncoder({ type: 'frames', binarize: true }, T);
  assert.ok(bin.binary);
  const z = bin.encode(x, new Rng(0));
  for (let i = 0; i < z.data.length; i++) assert.equal(z.data[i], y.data[i]! > 0 ? 1 : 0);
  assert.throws(() => createEncoder({ type: 'frames' }, 4).encode(x, new Rng(0)), ShapeError);
  assert.throws(() => createEncoder({ type: 'frames', gain: 2 }, T), ConfigError);
});
