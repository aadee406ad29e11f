import test from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../../../src/backend/wasm/backend.js';
import { sizeClass } from '../../../src/backend/wasm/heap.js';
import type { WasmStorage } from '../../../src/backend/wasm/storage.js';
import { BackendError } from '../../../src/errors.js';
import { tensor } from '../../../src/tensor/create.js';
import { runInStepScope } from '../../../src/train/trainer.js';

/*
 * Step scopes on the wasm backend: what is released, what is kept, and that a
 * released storage refuses every access instead of aliasing a reused block.
 */

const POISON = /used after release: it was released at the end of a training\/evaluation step .*persistentTensors\(\)/;

test('nested scopes: an inner scope hands its kept storages to the outer one, which releases them unless kept again', () => {
  const b = createWasmBackend();
  const outside = b.fromArray([1, 2, 3]);
  const base = b.heapStats().inUse;
  b.beginScope();
  const a = b.alloc(100) as WasmStorage, k = b.alloc(100) as WasmStorage;
  b.beginScope();
  assert.equal(b.scopeDepth(), 2);
  const c = b.alloc(200) as WasmStorage, d = b.fromArray(new Array(200).fill(7)) as WasmStorage;
  b.endScope([d, outside]);
  assert.ok(c.released && !d.released, 'inner end releases c, keeps d');
  assert.equal(b.heapStats().inUse, base + 2 * sizeClass(400) + sizeClass(800));
  assert.throws(() => c.data, (e: unknown) => e instanceof BackendError && POISON.test(e.message));
  assert.throws(() => c.ptr, BackendError);
  assert.equal(d.data[199], 7);
  b.endScope(new Set([k]));
  assert.ok(a.released && d.released && !k.released, 'outer end releases a and the handed-over d, keeps k');
  assert.equal(b.heapStats().inUse, base + sizeClass(400), 'only k is left of the scoped storages');
  assert.deepEqual(Array.from(outside.data), [1, 2, 3], 'storage allocated outside any scope is untouched');
  assert.equal(b.scopeDepth(), 0);
});

test('a released storage makes kernels throw instead of touching its (reused) block', () => {
  const b = createWasmBackend();
  b.beginScope();
  const x = b.fromArray([1, 2, 3, 4]);
  b.endScope([]);
  const reused = b.fromArray([9, 9, 9, 9]) as WasmStorage; // same class: gets x's block
  const out = b.alloc(4);
  assert.throws(() => b.add(x, x, out), (e: unknown) => e instanceof BackendError && POISON.test(e.message));
  assert.throws(() => b.sum(x), BackendError);
  assert.throws(() => b.copy(x, 0, out, 0, 4), BackendError);
  assert.deepEqual(Array.from(reused.data), [9, 9, 9, 9], 'the new owner of the block was not written');
});

test('endScope without an open scope is refused; releasing twice (dispose, then scope end) frees once', () => {
  const b = createWasmBackend();
  assert.throws(() => b.endScope([]), /no scope is open/);
  const base = b.heapStats().inUse;
  b.beginScope();
  const s = b.alloc(50) as WasmStorage;
  s.dispose();
  assert.equal(b.heapStats().inUse, base);
  b.endScope([]);
  assert.equal(b.heapStats().inUse, base, 'the disposed block is not freed a second time');
  assert.equal(b.heapStats().free, sizeClass(200), 'one block in the free lists, not two');
  assert.throws(() => s.data, /disposed/);
});

test('runInStepScope releases on success and on exceptions, keeping what keep() lists', () => {
  const b = createWasmBackend();
  const base = b.heapStats().inUse;
  let kept = tensor([0], [1], { backend: b });
  const temps: WasmStorage[] = [];
  const r = runInStepScope([b], () => [kept], () => {
    kept = tensor([5, 6], [2], { backend: b });
    temps.push(b.alloc(1000) as WasmStorage);
    return 42;
  });
  assert.equal(r, 42);
  assert.deepEqual(Array.from(kept.data), [5, 6]);
  assert.ok(temps[0]!.released);
  assert.throws(
    () =>
      runInStepScope([b], () => [kept], () => {
        temps.push(b.alloc(1000) as WasmStorage);
        throw new RangeError('boom');
      }),
    RangeError,
  );
  assert.ok(temps[1]!.released, 'released although the step threw');
  assert.equal(b.scopeDepth(), 0, 'scopes stay balanced after an exception');
  assert.equal(b.heapStats().inUse, base + sizeClass(4) + sizeClass(8), 'only the two tensors created outside/kept remain');
});

test('steady-state steps reuse the blocks released by the previous step: the heap stops growing', () => {
  const b = createWasmBackend();
  const w = b.fromArray(new Array(64 * 64).fill(0.01));
  const tops: number[] = [];
  for (let step = 0; step < 20; step++) {
    runInStepScope([b], () => [], () => {
      const x = b.alloc(32 * 64), y = b.alloc(32 * 64);
      b.fill(x, 1);
      b.gemm(false, true, 32, 64, 64, 1, x, 0, w, 0, 0, y, 0);
      for (let i = 0; i < 10; i++) b.affine(y, 0.5, 0, b.alloc(32 * 64));
    });
    const s = b.heapStats();
    tops.push(s.inUse + s.free); // bytes carved from the bump pointer so far
  }
  assert.ok(tops.every((t) => t === tops[0]), `carved bytes per step: ${tops.join(', ')}`);
  assert.equal(b.heapStats().grows, 0);
});
