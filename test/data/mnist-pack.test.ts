import test from 'node:test';
import assert from 'node:assert/strict';
import { packDigits, unpackDigits } from '../../src/data/mnist-pack.js';
import { FormatError } from '../../src/errors.js';

const split = (n: number, seed: number) => ({
  images: Float32Array.from({ length: n * 4 }, (_, i) => ((i * 37 + seed) % 256) / 255),
  labels: Uint8Array.from({ length: n }, (_, i) => (i + seed) % 3),
});

test('mnist-pack: bytes per pixel and label; decodes to the same digits (k/255 values exactly)', () => {
  const train = split(5, 1), test = split(2, 7);
  const bytes = packDigits(train, test, { height: 2, width: 2, classes: 3 });
  assert.equal(bytes.length, 24 + 7 * 5);
  const ds = unpackDigits(bytes, 'tiny');
  assert.equal(ds.train.length, 5);
  assert.equal(ds.test.length, 2);
  assert.deepEqual(ds.train.shape, [1, 2, 2]);
  assert.equal(ds.train.numClasses, 3);
  assert.deepEqual(Array.from(ds.train.labels), Array.from(train.labels));
  assert.deepEqual(Array.from(ds.test.images), Array.from(test.images));
  // Values between two levels round to the nearer one; out of [0, 1] they clamp.
  const off = packDigits({ images: Float32Array.of(0.21, 0.89, 1.5, -1), labels: Uint8Array.of(0) }, { images: new Float32Array(0), labels: new Uint8Array(0) }, { height: 2, width: 2, classes: 1 });
  assert.deepEqual(Array.from(off.subarray(24, 28)), [54, 227, 255, 0]);
});

test('mnist-pack: refuses other bytes, truncated files and labels out of range', () => {
  const good = packDigits(split(2, 0), split(1, 0), { height: 2, width: 2, classes: 3 });
  assert.throws(() => unpackDigits(new Uint8Array(30)), FormatError);
  assert.throws(() => unpackDigits(good.subarray(0, good.length - 1)), /header announces/);
  const bad = good.slice();
  bad[24 + 8] = 9; // first train label
  assert.throws(() => unpackDigits(bad), /label 9 out of range/);
  assert.throws(() => packDigits(split(2, 0), { images: new Float32Array(3), labels: new Uint8Array(1) }, { height: 2, width: 2, classes: 3 }), /test has 3 pixel values/);
});
