import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { ones, tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { applyTimeSharedMask, dropout, dropoutMask } from '../../src/ops/dropout.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { randomArray } from './naive.js';

const ts64 = getBackendByName('ts64');

test('dropout samples one mask [B, ...] and applies it to every time step, with 1/(1-p) scaling', () => {
  withBackend(ts64, () => {
    const T = 5, B = 3, F = 40;
    const rng = new Rng(51);
    const x = tensor(randomArray(T * B * F, () => rng.uniform(0.5, 1.5)), [T, B, F]);
    const p = 0.4;
    const y = dropout(x, p, new Rng(7), true);
    const xd = x.data, yd = y.data;
    let dropped = 0;
    for (let i = 0; i < B * F; i++) {
      const kept = yd[i] !== 0;
      if (!kept) dropped++;
      for (let t = 0; t < T; t++) {
        const j = t * B * F + i;
        if (kept) assert.ok(Math.abs(yd[j]! - xd[j]! / (1 - p)) < 1e-12, `step ${t} unit ${i} scaled`);
        else assert.equal(yd[j], 0, `unit ${i} dropped at step 0 but not at step ${t}`);
      }
    }
    // 120 units at p = 0.4: the dropped count lies far inside (15, 80) unless sampling is broken.
    assert.ok(dropped > 15 && dropped < 80, `dropped ${dropped} of ${B * F}`);
  });
});

test('dropout is the identity in eval and for p = 0; same seed gives the same mask, another seed a different one', () => {
  withBackend(ts64, () => {
    const x = ones([2, 4, 25]);
    assert.equal(dropout(x, 0.5, new Rng(1), false), x);
    assert.equal(dropout(x, 0, new Rng(1), true), x);
    const a = dropout(x, 0.5, new Rng(9), true).toArray();
    const b = dropout(x, 0.5, new Rng(9), true).toArray();
    const c = dropout(x, 0.5, new Rng(10), true).toArray();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(dropout(x, 1, new Rng(1), true).toArray().every((v) => v === 0));
    assert.throws(() => dropout(x, 1.5, new Rng(1), true), ConfigError);
    assert.throws(() => dropout(ones([3]), 0.5, new Rng(1), true), ShapeError);
  });
});

test('dropout gradient (fixed mask) matches finite differences', () => {
  withBackend(ts64, () => {
    const rng = new Rng(52);
    const mask = dropoutMask([2, 3], 0.5, new Rng(3), ts64);
    const x = tensor(randomArray(4 * 2 * 3, () => rng.uniform(-1, 1)), [4, 2, 3], { requiresGrad: true });
    const r = gradcheck(([a]) => applyTimeSharedMask(a!, mask), [x]);
    assert.ok(r.ok, r.worst);
    assert.throws(() => applyTimeSharedMask(x, dropoutMask([3, 2], 0.5, new Rng(3), ts64)), /mask \[3, 2\] does not match input \[4, 2, 3\]/);
  });
});

test('Dropout layer: one mask per sequence, kept across calls that continue it (chunks, single steps) until resetState', async () => {
  const { Dropout } = await import('../../src/nn/dropout.js');
  withBackend(ts64, () => {
    const d = new Dropout(0.5, new Rng(11));
    const x = ones([3, 2, 40]);
    const whole = d.forward(x).toArray();
    // The same sequence in pieces, from the same generator state, is thinned by the same mask.
    const e = new Dropout(0.5, new Rng(11));
    const pieces = [e.forward(ones([1, 2, 40])), e.forward(ones([2, 2, 40]))].flatMap((t) => t.toArray());
    assert.deepEqual(pieces, whole);
    // A new sequence draws a new mask.
    e.resetState();
    assert.notDeepEqual(e.forward(ones([1, 2, 40])).toArray(), whole.slice(0, 80));
    // The mask survives step scopes with the layer's state; eval mode and p = 0 are the identity.
    assert.equal(e.persistentTensors().length, 1);
    e.eval();
    assert.equal(e.forward(x), x);
    // Another batch size draws a mask of its own.
    e.train();
    assert.equal(e.forward(ones([1, 3, 40])).shape[1], 3);
  });
});
