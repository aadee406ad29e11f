import test from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createWasmBackend } from '../../../src/backend/wasm/backend.js';
import { WasmStorage } from '../../../src/backend/wasm/storage.js';
import { sizeClass } from '../../../src/backend/wasm/heap.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertClose } from '../../helpers.js';
import { randomValues, ts } from './util.js';

test('size classes: 16-byte multiples up to 1 KiB, then at most 25 % waste', () => {
  assert.equal(sizeClass(1), 16);
  assert.equal(sizeClass(17), 32);
  assert.equal(sizeClass(1024), 1024);
  for (let b = 1; b < 1e7; b = Math.ceil(b * 1.37)) {
    const c = sizeClass(b);
    assert.ok(c >= b && c % 16 === 0 && (c <= 1024 || c <= b * 1.25 + 16), `class ${c} for ${b}`);
    assert.equal(sizeClass(c), c, 'a class is its own class');
  }
});

test('memory growth in the middle of a sequence of ops keeps storages and results right', () => {
  const b = createWasmBackend();
  const rng = new Rng(1);
  const M = 9, N = 13, K = 21;
  const av = randomValues(rng, M * K), bv = randomValues(rng, K * N);
  const A = b.fromArray(av), B = b.fromArray(bv), C = b.alloc(M * N);
  const view = A.data;
  b.gemm(false, false, M, N, K, 1, A, 0, B, 0, 0, C, 0);
  const before = b.heapStats();
  // Larger than the initial memory: forces growth, which detaches every old view.
  const big = b.alloc(before.capacity / 4 + 1000);
  const after = b.heapStats();
  assert.ok(after.grows > before.grows && after.capacity > before.capacity, 'memory grew');
  assert.equal(view.byteLength, 0, 'the old view was detached by growth');
  assert.deepEqual(Array.from(A.data), Array.from(Float32Array.from(av)), 'values survive growth (fresh view)');
  assert.equal(big.data[big.length - 1], 0, 'new storage is zeroed up to its end');
  const C2 = b.alloc(M * N);
  b.gemm(false, false, M, N, K, 1, A, 0, B, 0, 0, C2, 0);
  assert.deepEqual(Array.from(C2.data), Array.from(C.data), 'same result after growth');
  const Ct = ts.alloc(M * N);
  ts.gemm(false, false, M, N, K, 1, ts.fromArray(av), 0, ts.fromArray(bv), 0, 0, Ct, 0);
  assertClose(C2.data, Ct.data, 1e-5, 1e-5, 'gemm vs reference');
});

test('disposed storage is reused for the next allocation of its class, zeroed', () => {
  const b = createWasmBackend();
  const s = b.fromArray([1, 2, 3, 4, 5]) as WasmStorage;
  const ptr = s.ptr;
  const inUse = b.heapStats().inUse;
  s.dispose();
  assert.equal(b.heapStats().inUse, inUse - 32);
  const t = b.alloc(6) as WasmStorage; // same 32-byte class
  assert.equal(t.ptr, ptr);
  assert.deepEqual(Array.from(t.data), [0, 0, 0, 0, 0, 0]);
});

test('garbage-collected storage returns to the free lists and is reused', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const b = createWasmBackend();
  const ptrs = new Set<number>();
  (() => {
    for (let i = 0; i < 50; i++) ptrs.add((b.alloc(1000) as WasmStorage).ptr);
  })();
  let freed = 0;
  for (let tries = 0; tries < 20 && freed < 50 * 4000; tries++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    freed = b.heapStats().free;
  }
  assert.ok(freed >= 4000, `finalizers returned ${freed} bytes`);
  const again = b.alloc(1000) as WasmStorage;
  assert.ok(ptrs.has(again.ptr), 'a collected block was handed out again');
});
