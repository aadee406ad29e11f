import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { ShapeError } from '../../src/errors.js';
import { accuracyFromCounts, accuracyFromScores, ceCountLoss, ceMembraneLoss, ceRateLoss, membraneScores, mseCountLoss, mseLoss, square, type MembraneReduction } from '../../src/ops/loss.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const ts64 = getBackendByName('ts64');

/** −log softmax(row)[y], written independently of the kernels. */
function ceRow(row: number[], y: number): number {
  const z = row.reduce((s, v) => s + Math.exp(v), 0);
  return Math.log(z) - row[y]!;
}

function rand(rng: Rng, shape: number[], lo = -2, hi = 2, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => rng.uniform(lo, hi)), shape, { requiresGrad });
}

test('hand-computed values: ce count / rate / mse count on a 2-step example', () => {
  withBackend(ts64, () => {
    // spikes [T=2, B=1, C=2]: step 0 = [1, 0], step 1 = [1, 1]; counts = [2, 1].
    const spk = tensor([1, 0, 1, 1], [2, 1, 2]);
    const y = Int32Array.from([0]);
    assert.ok(Math.abs(ceCountLoss(spk, y).item() - Math.log(1 + Math.exp(-1))) < 1e-14);
    assert.ok(Math.abs(ceRateLoss(spk, y).item() - (Math.log(1 + Math.exp(-1)) + Math.log(2)) / 2) < 1e-14);
    // T = 4: targets trunc(4·0.8) = 3 and trunc(4·0.3) = 1 (snnTorch's int()); counts [2, 3].
    const spk4 = tensor([1, 1, 1, 1, 0, 1, 0, 0], [4, 1, 2]);
    assert.ok(Math.abs(mseCountLoss(spk4, y, { correctRate: 0.8, incorrectRate: 0.3 }).item() - ((2 - 3) ** 2 + (3 - 1) ** 2) / 2 / 4) < 1e-14);
  });
});

test('losses equal independent reference formulas on random [T, B, C] inputs', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const [T, B, C] = [5, 3, 4];
    const x = rand(rng, [T, B, C], -2, 2, false);
    const y = Int32Array.from([2, 0, 3]);
    const v = (t: number, b: number, c: number): number => x.data[(t * B + b) * C + c]!;
    const row = (t: number, b: number): number[] => Array.from({ length: C }, (_, c) => v(t, b, c));
    const counts = (b: number): number[] => Array.from({ length: C }, (_, c) => Array.from({ length: T }, (_, t) => v(t, b, c)).reduce((s, a) => s + a, 0));
    let rate = 0, count = 0, last = 0, max = 0, softmaxSum = 0;
    const softmax = (r: number[]): number[] => {
      const m = Math.max(...r);
      const e = r.map((a) => Math.exp(a - m));
      const z = e.reduce((s2, a) => s2 + a, 0);
      return e.map((a) => a / z);
    };
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) rate += ceRow(row(t, b), y[b]!) / (T * B);
      count += ceRow(counts(b), y[b]!) / B;
      last += ceRow(row(T - 1, b), y[b]!) / B;
      max += ceRow(Array.from({ length: C }, (_, c) => Math.max(...Array.from({ length: T }, (_, t) => v(t, b, c)))), y[b]!) / B;
      // The DCLS reference's 'sum' loss: CrossEntropyLoss(Σ_t softmax(v_t)).
      const m = Array.from({ length: C }, () => 0);
      for (let t = 0; t < T; t++) softmax(row(t, b)).forEach((p, c) => (m[c]! += p));
      softmaxSum += ceRow(m, y[b]!) / B;
    }
    assert.ok(Math.abs(ceMembraneLoss(x, y, 'softmax_sum').item() - softmaxSum) < 1e-12);
    assert.ok(Math.abs(ceRateLoss(x, y).item() - rate) < 1e-12);
    assert.ok(Math.abs(ceMembraneLoss(x, y).item() - rate) < 1e-12);
    assert.ok(Math.abs(ceCountLoss(x, y).item() - count) < 1e-12);
    assert.ok(Math.abs(ceMembraneLoss(x, y, 'last').item() - last) < 1e-12);
    assert.ok(Math.abs(ceMembraneLoss(x, y, 'max').item() - max) < 1e-12);
    let mse = 0;
    for (let b = 0; b < B; b++) counts(b).forEach((cnt, c) => (mse += (cnt - (c === y[b] ? T : 0)) ** 2));
    assert.ok(Math.abs(mseCountLoss(x, y).item() - mse / (B * C) / T) < 1e-12);
  });
});

test('gradcheck: every loss, mseLoss and square on ts64', () => {
  withBackend(ts64, () => {
    const rng = new Rng(6);
    const y = Int32Array.from([1, 0, 2]);
    const x = rand(rng, [4, 3, 3]);
    const cases: [string, (i: Tensor[]) => Tensor][] = [
      ['ceCountLoss', ([a]) => ceCountLoss(a!, y)],
      ['ceRateLoss', ([a]) => ceRateLoss(a!, y)],
      ['mseCountLoss', ([a]) => mseCountLoss(a!, y, { correctRate: 0.75, incorrectRate: 0.25 })],
      ['ceMembraneLoss mean', ([a]) => ceMembraneLoss(a!, y)],
      ['ceMembraneLoss last', ([a]) => ceMembraneLoss(a!, y, 'last')],
      ['ceMembraneLoss max', ([a]) => ceMembraneLoss(a!, y, 'max')],
      ['ceMembraneLoss softmax_sum', ([a]) => ceMembraneLoss(a!, y, 'softmax_sum')],
      ['square', ([a]) => square(a!)],
    ];
    for (const [name, fn] of cases) {
      const r = gradcheck(fn, [x]);
      assert.ok(r.ok, `${name}: ${r.worst}`);
    }
    const a = rand(rng, [2, 5]), b = rand(rng, [2, 5]);
    const r = gradcheck(([p, q]) => mseLoss(p!, q!), [a, b]);
    assert.ok(r.ok, `mseLoss: ${r.worst}`);
  });
});

test('ceMembraneLoss max sends the gradient to the earliest step reaching the maximum', () => {
  withBackend(ts64, () => {
    // One sample, two classes, T = 3; class 0 peaks twice (steps 0 and 2), class 1 once (step 1).
    const m = tensor([2, 0, 1, 5, 2, 1], [3, 1, 2], { requiresGrad: true });
    backward(ceMembraneLoss(m, Int32Array.from([0]), 'max'));
    const g = m.grad!.data;
    assert.notEqual(g[0], 0);
    assert.equal(g[4], 0);
    assert.notEqual(g[3], 0);
    assert.equal(g[1], 0);
    assert.equal(g[5], 0);
  });
});

test('accuracyFromCounts: argmax of counts, ties to the lowest class index', () => {
  withBackend(ts64, () => {
    // B = 3, C = 3, T = 2. Sample 0: counts [1, 2, 0] → 1. Sample 1: [1, 1, 1] tie → 0. Sample 2: silent → 0.
    const spk = tensor([0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0], [2, 3, 3]);
    assert.equal(accuracyFromCounts(spk, Int32Array.from([1, 0, 0])), 1);
    assert.equal(accuracyFromCounts(spk, Int32Array.from([1, 1, 2])), 1 / 3);
  });
});

test('losses reject bad shapes and targets with messages naming the problem', () => {
  withBackend(ts64, () => {
    const x = tensor([0, 0, 0, 0], [1, 2, 2]);
    assert.throws(() => ceRateLoss(x, Int32Array.from([0])), (e: Error) => e instanceof ShapeError && /1 targets for a batch of 2/.test(e.message));
    assert.throws(() => ceCountLoss(x, Int32Array.from([0, 2])), (e: Error) => e instanceof ShapeError && /target 2 of sample 1/.test(e.message));
    assert.throws(() => mseCountLoss(tensor([0, 0], [2, 1]), Int32Array.from([0])), /\[T, B, C\]/);
    assert.throws(() => mseLoss(tensor([1, 2]), tensor([1, 2, 3])), ShapeError);
  });
});

test('membrane readouts decide accuracy by the reduction their loss uses', () => {
  withBackend(ts64, () => {
    // T = 2, B = 2, C = 2, both targets class 1. Sample 0: class 0 = [3, −5], class 1 = [0, 0]: class 1 wins
    // the mean, the last step and Σ softmax (0.96 vs 1.04), class 0 the max. Sample 1: class 0 = [2, 2],
    // class 1 = [0, 3.5]: class 1 wins the last step and the max, class 0 the mean and Σ softmax (1.06 vs 0.94).
    const m = tensor([3, 0, 2, 0, -5, 0, 2, 3.5], [2, 2, 2]);
    const y = Int32Array.from([1, 1]);
    const acc = (r: MembraneReduction): number => accuracyFromScores(membraneScores(m, r), 2, 2, y);
    assert.equal(acc('mean'), 0.5);
    assert.equal(acc('last'), 1);
    assert.equal(acc('max'), 0.5);
    assert.equal(acc('softmax_sum'), 0.5);
    assert.deepEqual([...membraneScores(m, 'max')], [3, 0, 2, 3.5]);
  });
});
