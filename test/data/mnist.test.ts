import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EMBEDDED_MNIST_SIZES, embeddedMnistPlan, embeddedTestCount, loadEmbeddedMnist } from '../../src/data/mnist-embedded-node.js';
import { classCounts } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/load-node.js';

function rawDigits(): number[][] {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const out: number[][] = [];
  for (let c = 0; c < 10; c++) out.push((JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[] }).data);
  return out;
}

test('embedded MNIST: sizes, shape, value range, cached', () => {
  const { train, test: te } = loadEmbeddedMnist();
  assert.equal(train.length, EMBEDDED_MNIST_SIZES.train);
  assert.equal(te.length, EMBEDDED_MNIST_SIZES.test);
  assert.equal(train.length + te.length, 10000);
  assert.deepEqual([...train.shape], [1, 28, 28]);
  assert.equal(train.numClasses, 10);
  assert.equal(train.name, 'mnist');
  let lo = Infinity, hi = -Infinity;
  for (const v of train.images) { if (v < lo) lo = v; if (v > hi) hi = v; }
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.9, `range [${lo}, ${hi}]`);
  assert.equal(loadEmbeddedMnist(), loadEmbeddedMnist(), 'parsed once per process');
  assert.equal(loadDataset('mnist').train, train);
});

test('embedded MNIST split: fixed stratified rule, disjoint, complete, content from the right digits', () => {
  const raw = rawDigits();
  const counts = raw.map((d) => d.length / 784);
  const plan = embeddedMnistPlan(counts);
  assert.deepEqual(embeddedMnistPlan(counts), plan, 'no randomness');
  const seen = new Set<string>();
  for (const [c, i] of [...plan.train, ...plan.test]) {
    const k = `${c}:${i}`;
    assert.ok(!seen.has(k), `sample ${k} appears twice`);
    seen.add(k);
  }
  assert.equal(seen.size, 10000, 'every digit used once');
  const { train, test: te } = loadEmbeddedMnist();
  const trainCounts = classCounts(train), testCounts = classCounts(te);
  for (let c = 0; c < 10; c++) {
    assert.equal(testCounts[c], embeddedTestCount(counts[c]!), `class ${c} test count`);
    assert.equal(testCounts[c], Math.floor(counts[c]! * 0.15));
    assert.equal(trainCounts[c]! + testCounts[c]!, counts[c]);
    // the test part is the tail of each class file
    for (const [cc, i] of plan.test) if (cc === c) assert.ok(i >= counts[c]! - testCounts[c]!);
  }
  // stratified prefixes: the first 100 test samples hold 10 of each class
  const first = new Int32Array(10);
  for (let k = 0; k < 100; k++) first[te.labels[k]!]!++;
  assert.deepEqual([...first], new Array(10).fill(10));
  // images come from the planned digit, pixel for pixel
  for (const [ds, order] of [[train, plan.train], [te, plan.test]] as const) {
    for (let k = 0; k < order.length; k += 97) {
      const [c, i] = order[k]!;
      assert.equal(ds.labels[k], c);
      for (let p = 0; p < 784; p += 13) assert.equal(ds.images[k * 784 + p], Math.fround(raw[c]![i * 784 + p]!));
    }
  }
});
