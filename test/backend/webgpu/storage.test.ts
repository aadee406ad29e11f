// The webgpu backend's storage, pool, scopes and command batching: no
// synchronous view (a clear error naming `await tensor.read()`), released
// storage poisoned, buffers recycled through the pool, and many kernels
// batched into one submission.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BackendError } from '../../../src/errors.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { readBack, webgpuOrSkip } from './helpers.js';

test('webgpu storage has no synchronous view; Tensor.read() reads it back', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  assert.equal(be.syncRead, false);
  const x = new Tensor(be.fromArray([1.5, -2, 3]), [3], { backend: be });
  assert.throws(() => x.data, (e: unknown) => e instanceof BackendError && /no synchronous view/.test(e.message) && /await tensor\.read\(\)/.test(e.message));
  assert.throws(() => x.view([3, 1]).toArray(), BackendError);
  assert.throws(() => new Tensor(be.fromArray([4]), [1], { backend: be }).item(), BackendError);
  assert.deepEqual([...(await x.read())], [1.5, -2, 3]);
  const empty = be.alloc(0);
  assert.equal((await readBack(be, empty)).length, 0);
  // alloc zero-fills even a recycled buffer.
  const dirty = be.fromArray(new Float32Array(64).fill(7));
  be.beginScope();
  be.copy(dirty, 0, be.alloc(64), 0, 64);
  be.endScope([]);
  assert.ok((await readBack(be, be.alloc(64))).every((v) => v === 0));
});

test('scopes release unkept storages into the pool and poison them; kept ones survive', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const n = 1000;
  be.beginScope();
  const kept = be.fromArray(new Float32Array(n).fill(2));
  const dropped = be.alloc(n);
  be.fill(dropped, 5);
  be.endScope([kept]);
  assert.throws(() => be.fill(dropped, 1), (e: unknown) => e instanceof BackendError && /used after release: it was released at the end of a training\/evaluation step/.test(e.message));
  assert.ok((await readBack(be, kept)).every((v) => v === 2));
  // The released buffer comes back from the pool: no new buffer for the same size.
  const before = be.counters().pool.created;
  be.beginScope();
  const again = be.alloc(n);
  be.fill(again, 3);
  be.endScope([]);
  assert.equal(be.counters().pool.created, before, 'a released buffer of the same bucket is reused');
  // rotateScope: kept storages are released at the end of the next scope unless kept again.
  be.beginScope();
  const a = be.alloc(10);
  be.rotateScope([a]);
  const b = be.alloc(10);
  be.endScope([b]);
  assert.throws(() => be.fill(a, 0), BackendError);
  be.fill(b, 1);
  assert.equal(be.scopeDepth(), 0);
  assert.throws(() => be.endScope([]), (e: unknown) => e instanceof BackendError && /no scope is open/.test(e.message));
});

test('kernels are batched: fifty dispatches and a read are one submission', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const x = be.fromArray(new Float32Array(4096).fill(1));
  be.flush();
  const c0 = be.counters();
  for (let i = 0; i < 50; i++) be.axpy(1, x, x);
  const got = await readBack(be, x);
  const c1 = be.counters();
  assert.equal(c1.dispatches - c0.dispatches, 50);
  assert.equal(c1.submits - c0.submits, 1);
  assert.ok(got.every((v) => v === 2 ** 50), `x doubled fifty times (got ${got[0]})`);
});
