import test from 'node:test';
import assert from 'node:assert/strict';
import { ArrayPool } from '../../src/backend/native/pool.js';
import { BackendError } from '../../src/errors.js';
import { backward } from '../../src/autograd/tape.js';
import { Linear } from '../../src/nn/linear.js';
import { tensor } from '../../src/tensor/create.js';
import { mul, sum } from '../../src/ops/elementwise.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { withBackend } from '../../src/backend/registry.js';
import { SGD } from '../../src/train/optim/sgd.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { native, skipReason } from './setup.js';

/*
 * The native backend's array recycling: a step scope's temporaries go back to
 * a free list and are handed out again zero-filled; kept storages survive; a
 * released storage throws when touched; outside any scope nothing is pooled.
 */

test('ArrayPool reuses released arrays, zero-filled, and keeps what it is told to', () => {
  const pool = new ArrayPool();
  pool.beginScope();
  const a = pool.alloc(100);
  const kept = pool.alloc(100);
  a.data.fill(7);
  kept.data.fill(3);
  const firstArray = a.data;
  pool.endScope([kept]);
  assert.equal(kept.data[99], 3, 'kept storage untouched');
  assert.throws(() => a.data, (e: unknown) => e instanceof BackendError && /used after release/.test((e as Error).message));
  assert.equal(a.length, 100, 'length stays readable for messages');
  assert.equal(pool.stats().pooledBytes, 400);

  pool.beginScope();
  const b = pool.alloc(100);
  assert.equal(b.data, firstArray, 'the released array is handed out again');
  assert.ok(b.data.every((v) => v === 0), 'zero-filled on reuse');
  const c = pool.alloc(50);
  pool.endScope([]);
  assert.deepEqual(pool.stats(), { reused: 1, fresh: 3, pooledBytes: 600 });
  assert.throws(() => c.data, BackendError);
});

test('ArrayPool: nested scopes hand kept storages outwards; no scope means no pooling; the byte cap holds', () => {
  const pool = new ArrayPool(1000);
  pool.beginScope();
  pool.beginScope();
  const inner = pool.alloc(10);
  pool.endScope([inner]);
  assert.equal(inner.data.length, 10, 'kept by the inner scope');
  pool.endScope([]);
  assert.throws(() => inner.data, BackendError, 'released by the outer scope');

  const loose = pool.alloc(10);
  loose.data[0] = 1;
  assert.equal(pool.stats().fresh, 1, 'unscoped allocations are not counted as pooled');

  pool.beginScope();
  pool.alloc(200); // 800 bytes
  pool.alloc(100); // 400 bytes: over the 1000-byte cap, left to the GC
  pool.endScope([]);
  assert.equal(pool.stats().pooledBytes, 840);
  assert.throws(() => pool.endScope([]), /no scope is open/);
});

test('native backend: a training step in a scope recycles its temporaries and the parameters survive', { skip: skipReason }, () => {
  const be = native();
  withBackend(be, () => {
    const rng = new Rng(5);
    const layer = new Linear(6, 4, rng);
    const opt = new SGD(layer.parameters(), { lr: 0.02 });
    const x = tensor(Array.from({ length: 18 }, (_, i) => (i % 3) - 1), [3, 6], { backend: be });
    const losses: number[] = [];
    let firstOut: Tensor | null = null;
    for (let step = 0; step < 3; step++) {
      runInStepScope([be], () => [...layer.allPersistentTensors(), x], () => {
        const y = layer.forward(x);
        firstOut ??= y;
        const loss = sum(mul(y, y));
        losses.push(loss.item());
        opt.zeroGrad();
        backward(loss);
        opt.step();
        opt.zeroGrad();
      });
    }
    assert.ok(losses[2]! < losses[0]!, `loss decreases: ${losses.join(', ')}`);
    assert.ok(layer.weight.data.every(Number.isFinite), 'weights readable after the scopes');
    assert.throws(() => firstOut!.data, BackendError, "a step's output is released with the step");
  });
});
