import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { SGD } from '../../src/train/optim/index.js';
import { cosineAnnealing, linearWarmup, LrScheduler, stepDecay } from '../../src/train/schedulers.js';
import { clipGradNorm, clipGradValue } from '../../src/train/clip.js';
import { assertClose } from '../helpers.js';

const ts64 = getBackendByName('ts64');

function lrs(s: LrScheduler, n: number, per: 'epoch' | 'iteration'): number[] {
  const out = [s.lr];
  for (let i = 1; i < n; i++) {
    if (per === 'epoch') s.onEpoch();
    else s.onIteration();
    out.push(s.lr);
  }
  return out;
}

function opt(lr: number): SGD {
  return new SGD([tensor([0], [1], { backend: ts64, requiresGrad: true })], { lr });
}

test('step decay and cosine annealing follow the PyTorch closed forms', () => {
  assertClose(lrs(new LrScheduler(opt(1), stepDecay(2, 0.5)), 6, 'epoch'), [1, 1, 0.5, 0.5, 0.25, 0.25], 1e-15);
  const cos = lrs(new LrScheduler(opt(1), cosineAnnealing(4, 0.2), 'iteration'), 6, 'iteration');
  const want = [0, 1, 2, 3, 4, 5].map((t) => 0.2 + 0.8 * (1 + Math.cos((Math.PI * t) / 4)) / 2);
  assertClose(cos, want, 1e-15);
  assert.ok(Math.abs(cos[4]! - 0.2) < 1e-15);
});

test('linear warmup ramps from startFactor·lr, then hands over to the inner schedule with its own count', () => {
  const s = new LrScheduler(opt(0.1), linearWarmup(4, stepDecay(1, 0.5), 0.2), 'iteration');
  assertClose(lrs(s, 7, 'iteration'), [0.02, 0.04, 0.06, 0.08, 0.1, 0.05, 0.025], 1e-15);
});

test('a scheduler only counts its own interval and restores from its state', () => {
  const o = opt(1);
  const s = new LrScheduler(o, stepDecay(1, 0.5), 'epoch');
  s.onIteration();
  assert.equal(o.lr, 1);
  s.onEpoch();
  s.onEpoch();
  assert.equal(o.lr, 0.25);
  const o2 = opt(1);
  const s2 = new LrScheduler(o2, stepDecay(1, 0.5), 'epoch');
  s2.loadStateDict(s.stateDict());
  assert.equal(o2.lr, 0.25);
  s2.onEpoch();
  assert.equal(o2.lr, 0.125);
  assert.throws(() => new LrScheduler(opt(1), cosineAnnealing(3)).loadStateDict(s.stateDict()), FormatError);
  assert.throws(() => stepDecay(0), ConfigError);
});

test('clipGradNorm scales to the max norm and returns the norm before clipping; clipGradValue clamps', () => {
  withBackend(ts64, () => {
    const a = tensor([0, 0], [2], { requiresGrad: true });
    const b = tensor([0], [1], { requiresGrad: true });
    const none = tensor([0], [1], { requiresGrad: true });
    a.grad = tensor([3, 0], [2]);
    b.grad = tensor([4], [1]);
    const norm = clipGradNorm([a, b, none], 1);
    assert.equal(norm, 5);
    const k = 1 / (5 + 1e-6);
    assertClose(a.grad.data, [3 * k, 0], 1e-15);
    assertClose(b.grad.data, [4 * k], 1e-15);
    // Below the limit nothing changes.
    assert.ok(Math.abs(clipGradNorm([a, b], 10) - 5 * k) < 1e-15);
    assertClose(b.grad.data, [4 * k], 1e-15);
    a.grad = tensor([-3, 0.5], [2]);
    clipGradValue([a], 1);
    assert.deepEqual(Array.from(a.grad.data), [-1, 0.5]);
    b.grad = tensor([NaN], [1]);
    assert.ok(Number.isNaN(clipGradNorm([a, b], 1)));
  });
});
