import test from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { holdOutValidation } from '../../src/data/validation.js';
import { configSchema } from '../../src/config/schema.js';
import { buildSession } from '../../src/config/session.js';
import { ConfigError } from '../../src/errors.js';

/** n samples of one value each: sample i is the number i, labelled by i mod 4 (sorted by class within blocks). */
function numbered(n: number, name = 'numbered'): SplitDataset {
  const make = (m: number, offset: number) =>
    makeDataset({ name, images: Float32Array.from({ length: m }, (_, i) => offset + i), labels: Uint8Array.from({ length: m }, (_, i) => Math.floor((4 * i) / m)), shape: [1, 1, 1], numClasses: 4 });
  return { train: make(n, 0), test: make(10, 1000) };
}

test('holdOutValidation: n samples leave training, disjoint and complete, the same draw every time, test untouched', () => {
  const d = numbered(200);
  const a = holdOutValidation(d, 50);
  assert.equal(a.validation!.length, 50);
  assert.equal(a.train.length, 150);
  assert.equal(a.test, d.test);
  const val = [...a.validation!.images], train = [...a.train.images];
  assert.deepEqual([...val, ...train].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i), 'every sample once');
  assert.deepEqual(val, [...val].sort((x, y) => x - y), 'validation in ascending order');
  assert.deepEqual(train, [...train].sort((x, y) => x - y), 'training keeps its order');
  // Labels travel with their samples.
  for (let k = 0; k < a.validation!.length; k++) assert.equal(a.validation!.labels[k], Math.floor((4 * a.validation!.images[k]!) / 200));
  // A random draw, not the tail: the file is sorted by class, and every class is represented.
  assert.equal(new Set(a.validation!.labels).size, 4);
  assert.deepEqual([...holdOutValidation(numbered(200), 50).validation!.images], val, 'deterministic');
  assert.equal(holdOutValidation(d, 0), d, 'n = 0: unchanged');
});

test('holdOutValidation: too many samples, a negative count or a second split are errors naming the key', () => {
  const d = numbered(20);
  assert.throws(() => holdOutValidation(d, 20), (e: unknown) => e instanceof ConfigError && /data\.validation: 20 validation samples would leave no training sample: 'numbered' has 20 training samples/.test((e as Error).message));
  assert.throws(() => holdOutValidation(d, -1), (e: unknown) => e instanceof ConfigError && /data\.validation: expected a non-negative integer/.test((e as Error).message));
  assert.throws(() => holdOutValidation(holdOutValidation(d, 5), 5), (e: unknown) => e instanceof ConfigError && /already comes with a validation split/.test((e as Error).message));
});

test('data.validation in a config: the session trains on the rest, and normalize applies to the validation split too', () => {
  const config = configSchema.parse({
    name: 'val',
    data: { dataset: 'numbered', validation: 30, normalize: { mean: [100], std: [2] } },
    encoder: { type: 'direct', steps: 2 },
    model: { layers: [{ type: 'linear', out: 4 }, { type: 'lif' }] },
  });
  assert.equal(configSchema.parse({ name: 'x', model: { layers: [{ type: 'lif' }] } }).data.validation, 0, 'default: none');
  const s = buildSession(config, { data: numbered(120), backend: 'ts' });
  assert.equal(s.data.train.length, 90);
  assert.equal(s.data.validation!.length, 30);
  const raw = holdOutValidation(numbered(120), 30).validation!;
  assert.deepEqual([...s.data.validation!.images], [...raw.images].map((v) => (v - 100) / 2));
  assert.throws(() => configSchema.parse({ name: 'x', data: { validation: -3 }, model: { layers: [{ type: 'lif' }] } }), /validation/);
});
