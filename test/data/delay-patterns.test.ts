import test from 'node:test';
import assert from 'node:assert/strict';
import { delayPatternOrders, makeDelayPatterns, DELAY_PATTERNS_DEFAULTS } from '../../src/data/delay-patterns.js';
import { datasetRegistry } from '../../src/data/registry.js';
import '../../src/data/load-node.js';
import { ConfigError } from '../../src/errors.js';

const spec = { ...DELAY_PATTERNS_DEFAULTS, steps: 30, noise: 0, trainSize: 40, testSize: 20 };

test('delay-patterns: every class fires every channel once; classes differ only in the order', () => {
  const { train, test: te } = makeDelayPatterns(spec);
  assert.deepEqual(train.shape, [30, 8]);
  assert.equal(train.numClasses, 4);
  assert.equal(te.length, 20);
  const orders = delayPatternOrders(spec);
  assert.equal(new Set(orders.map((o) => o.join())).size, 4, 'distinct orders');
  for (let s = 0; s < train.length; s++) {
    const x = train.images.subarray(s * 240, (s + 1) * 240);
    const c = train.labels[s]!;
    const times: number[] = [];
    for (let ch = 0; ch < 8; ch++) {
      const t = [];
      for (let k = 0; k < 30; k++) if (x[k * 8 + ch]) t.push(k);
      assert.equal(t.length, 1, `sample ${s} channel ${ch} fires once`);
      times.push(t[0]!);
    }
    // Relative times follow the class's order with the spacing.
    const start = Math.min(...times);
    assert.deepEqual(times.map((t) => (t - start) / spec.spacing), orders[c]);
  }
});

test('delay-patterns: time-collapsed counts carry no class information', () => {
  const { train } = makeDelayPatterns({ ...spec, noise: 0.02, trainSize: 400 });
  const mean = Array.from({ length: 4 }, () => new Float64Array(8));
  const n = new Float64Array(4);
  for (let s = 0; s < train.length; s++) {
    const c = train.labels[s]!;
    n[c]!++;
    for (let k = 0; k < 30; k++) for (let ch = 0; ch < 8; ch++) mean[c]![ch]! += train.images[s * 240 + k * 8 + ch]!;
  }
  // Each channel: one pattern spike plus ~0.6 noise spikes, in every class alike.
  for (let c = 0; c < 4; c++) for (let ch = 0; ch < 8; ch++) assert.ok(Math.abs(mean[c]![ch]! / n[c]! - 1.6) < 0.25, `class ${c} channel ${ch}: ${mean[c]![ch]! / n[c]!}`);
});

test('delay-patterns: deterministic for a seed, registered with its options, clear errors', () => {
  const a = makeDelayPatterns(spec), b = makeDelayPatterns(spec);
  assert.deepEqual(a.train.images, b.train.images);
  assert.notDeepEqual(makeDelayPatterns({ ...spec, seed: 1 }).train.images, a.train.images);
  const entry = datasetRegistry.get('delay-patterns');
  assert.equal(entry.temporal, true);
  const d = entry.load({ frames: 20, options: { classes: 3, channels: 5, train_size: 30, test_size: 9 }, trainLimit: 12 });
  assert.deepEqual(d.train.shape, [20, 5]);
  assert.equal(d.train.length, 12);
  assert.equal(d.test.numClasses, 3);
  assert.throws(() => makeDelayPatterns({ ...spec, steps: 10 }), (e: unknown) => e instanceof ConfigError && /spans 14 steps/.test((e as Error).message));
  assert.throws(() => entry.load({ frames: 20, options: { chanels: 5 } }), (e: unknown) => e instanceof ConfigError && /chanels/.test((e as Error).message));
  assert.throws(() => makeDelayPatterns({ ...spec, classes: 30, channels: 3 }), ConfigError);
});
