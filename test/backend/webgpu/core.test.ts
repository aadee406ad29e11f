// Every CoreKernels kernel of the webgpu backend against the TypeScript
// reference on random inputs. Tolerances are relative to 1 + |expected|:
//  - exact (0): fill, copy, transpose, add, sub, mul, addRowVector, sumRows (the
//    same IEEE float32 operations in the same order on both sides);
//  - 1e-6: affine, axpy (two roundings on the GPU or a fused
//    multiply-add, against one double-precision expression rounded once);
//  - 1e-5: gemm and the event kernels (float32 sums of K terms in another order;
//    K ≤ 300 here, values in [−1, 1]), reduceInto (a tree instead of a running sum).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createTsBackend } from '../../../src/backend/ts/backend.js';
import type { Storage } from '../../../src/backend/storage.js';
import { BackendError, ShapeError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertNear, randoms, readBack, spikes, webgpuOrSkip } from './helpers.js';

const ts = createTsBackend('float32');

test('gemm NN/NT/TN/TT with offsets, alpha and beta matches ts (1e-5)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(1);
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [64, 64, 16], [65, 130, 17], [100, 37, 300], [3, 200, 64]];
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
          const aOff = 3, bOff = 5, cOff = 2;
          const A = randoms(rng, aOff + M * K), B = randoms(rng, bOff + K * N), C = randoms(rng, cOff + M * N + 4);
          const want = ts.fromArray(C);
          ts.gemm(tA, tB, M, N, K, alpha, ts.fromArray(A), aOff, ts.fromArray(B), bOff, beta, want, cOff);
          const c = be.fromArray(C);
          be.gemm(tA, tB, M, N, K, alpha, be.fromArray(A), aOff, be.fromArray(B), bOff, beta, c, cOff);
          assertNear(await readBack(be, c), want.data, 1e-5, `gemm tA=${tA} tB=${tB} ${M}x${N}x${K} alpha=${alpha} beta=${beta}`);
        }
      }
    }
  }
});

test('gemm with beta = 0 ignores NaN already in C (recycled buffers)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const c = be.fromArray(new Float32Array(6).fill(NaN));
  be.gemm(false, false, 2, 3, 1, 1, be.fromArray([1, 2]), 0, be.fromArray([1, 2, 3]), 0, 0, c, 0);
  assert.deepEqual([...(await readBack(be, c))], [1, 2, 3, 2, 4, 6]);
});

test('eventGemm and eventGemmGradW match ts on spikes and on real values (1e-5)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(2);
  for (const [M, N, K, density] of [[16, 33, 70, 0.1], [40, 100, 20, 0.5], [5, 7, 300, 0.02]] as const) {
    for (const real of [false, true]) {
      const X = spikes(rng, M * K, density);
      if (real) for (let i = 0; i < X.length; i++) if (X[i] !== 0) X[i] = rng.uniform(-2, 2);
      const Wt = randoms(rng, K * N), Y = randoms(rng, M * N), dY = randoms(rng, M * N), dW = randoms(rng, N * K);
      for (const beta of [0, 0.5]) {
        const want = ts.fromArray(Y);
        ts.eventGemm(M, N, K, ts.fromArray(X), ts.fromArray(Wt), beta, want);
        const y = be.fromArray(Y);
        be.eventGemm(M, N, K, be.fromArray(X), be.fromArray(Wt), beta, y);
        assertNear(await readBack(be, y), want.data, 1e-5, `eventGemm ${M}x${N}x${K} beta=${beta} real=${real}`);
      }
      const wantW = ts.fromArray(dW);
      ts.eventGemmGradW(M, N, K, ts.fromArray(dY), ts.fromArray(X), wantW);
      const w = be.fromArray(dW);
      be.eventGemmGradW(M, N, K, be.fromArray(dY), be.fromArray(X), w);
      assertNear(await readBack(be, w), wantW.data, 1e-5, `eventGemmGradW ${M}x${N}x${K} real=${real}`);
    }
  }
});

test('transpose, fill, copy (overlapping too) are exact', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(3);
  for (const [M, N] of [[1, 1], [3, 70], [129, 65]] as const) {
    const A = randoms(rng, M * N);
    const want = ts.alloc(M * N);
    ts.transpose(M, N, ts.fromArray(A), want);
    const out = be.alloc(M * N);
    be.transpose(M, N, be.fromArray(A), out);
    assertNear(await readBack(be, out), want.data, 0, `transpose ${M}x${N}`);
  }
  const x = be.alloc(1000);
  be.fill(x, -3.5);
  assert.ok((await readBack(be, x)).every((v) => v === -3.5), 'fill');
  const src = randoms(rng, 300);
  const cases: [number, number, number][] = [[0, 0, 300], [10, 50, 100], [50, 10, 100], [0, 1, 299]];
  for (const [so, dOff, n] of cases) {
    for (const same of [false, true]) {
      const wantS = ts.fromArray(src), wantD = same ? wantS : ts.alloc(300);
      ts.copy(wantS, so, wantD, dOff, n);
      const s = be.fromArray(src), d = same ? s : be.alloc(300);
      be.copy(s, so, d, dOff, n);
      assertNear(await readBack(be, d), wantD.data, 0, `copy ${so}->${dOff} n=${n} same=${same}`);
    }
  }
});

test('add, sub, mul (exact), affine and axpy (1e-6), in place too', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(4);
  // 70,000 elements: more than one row of workgroups would hold at 256 per group for small sizes; and 300 small.
  for (const n of [1, 300, 70000]) {
    const a = randoms(rng, n, -10, 10), b = randoms(rng, n, -10, 10);
    for (const op of ['add', 'sub', 'mul'] as const) {
      const want = ts.alloc(n);
      ts[op](ts.fromArray(a), ts.fromArray(b), want);
      const out = be.alloc(n);
      be[op](be.fromArray(a), be.fromArray(b), out);
      assertNear(await readBack(be, out), want.data, 0, `${op} n=${n}`);
      // out aliasing the first input: WebGPU forbids that binding, the context copies.
      const ga = be.fromArray(a);
      be[op](ga, be.fromArray(b), ga);
      assertNear(await readBack(be, ga), want.data, 0, `${op} in place n=${n}`);
    }
    const wantAff = ts.alloc(n);
    ts.affine(ts.fromArray(a), 0.3, -1.25, wantAff);
    const aff = be.fromArray(a);
    be.affine(aff, 0.3, -1.25, aff);
    assertNear(await readBack(be, aff), wantAff.data, 1e-6, `affine in place n=${n}`);
    const wantY = ts.fromArray(b);
    ts.axpy(-0.7, ts.fromArray(a), wantY);
    const y = be.fromArray(b);
    be.axpy(-0.7, be.fromArray(a), y);
    assertNear(await readBack(be, y), wantY.data, 1e-6, `axpy n=${n}`);
    const wantSelf = ts.fromArray(a);
    ts.axpy(2, wantSelf, wantSelf);
    const self = be.fromArray(a);
    be.axpy(2, self, self);
    assertNear(await readBack(be, self), wantSelf.data, 1e-6, `axpy x = y n=${n}`);
  }
});

test('addRowVector and sumRows match ts exactly', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(5);
  for (const [M, N] of [[1, 1], [17, 300], [500, 3]] as const) {
    const Y = randoms(rng, M * N), b = randoms(rng, N);
    const want = ts.fromArray(Y);
    ts.addRowVector(M, N, want, ts.fromArray(b));
    const y = be.fromArray(Y);
    be.addRowVector(M, N, y, be.fromArray(b));
    assertNear(await readBack(be, y), want.data, 0, `addRowVector ${M}x${N}`);
    for (const beta of [0, 1, 0.5]) {
      const o = randoms(rng, N);
      const wantS = ts.fromArray(o);
      ts.sumRows(M, N, ts.fromArray(Y), beta, wantS);
      const s = be.fromArray(o);
      be.sumRows(M, N, be.fromArray(Y), beta, s);
      assertNear(await readBack(be, s), wantS.data, 0, `sumRows ${M}x${N} beta=${beta}`);
    }
  }
});

test('reduceInto writes sum, sum of squares and nonzero count on the device (1e-5; counts exact)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(6);
  for (const n of [0, 1, 255, 257, 100000]) {
    const x = randoms(rng, n);
    for (let i = 0; i < n; i += 3) x[i] = 0;
    const out = be.alloc(4);
    be.reduceInto('sum', be.fromArray(x), out, 0, 1);
    be.reduceInto('sumSquares', be.fromArray(x), out, 1, 0.5);
    be.reduceInto('countNonzero', be.fromArray(x), out, 3, 1);
    const got = await readBack(be, out);
    const tx = ts.fromArray(x);
    const want = [ts.sum(tx), 0.5 * ts.sumSquares(tx), 0, ts.countNonzero(tx)];
    assertNear(got, want, 1e-5, `reduceInto n=${n}`);
    assert.equal(got[3], want[3], `countNonzero n=${n}`);
    // The ts form of the same kernel (CPU backends go through their scalar kernels).
    const tOut = ts.alloc(2);
    ts.reduceInto('sumSquares', tx, tOut, 1, 2);
    assert.equal(tOut.data[1], Math.fround(2 * ts.sumSquares(tx)));
  }
});

test('the scalar kernels refuse with the device-side way out; shapes and foreign storage are checked', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const x = be.fromArray([1, 2, 3]);
  for (const k of ['sum', 'sumSquares', 'countNonzero'] as const) assert.throws(() => be[k](x), (e: unknown) => e instanceof BackendError && /reduceInto/.test(e.message));
  assert.throws(() => be.add(x, be.alloc(2), be.alloc(3)), (e: unknown) => e instanceof ShapeError && /webgpu add: b needs 3 elements/.test(e.message));
  const cpu: Storage = ts.fromArray([1, 2, 3]);
  assert.throws(() => be.add(x, cpu, be.alloc(3)), (e: unknown) => e instanceof BackendError && /b is not webgpu storage/.test(e.message));
  assert.throws(() => be.reduceInto('sum', x, be.alloc(1), 1, 1), ShapeError);
  // A kernel that returns a host number has no GPU form; its family's method refuses by name.
  assert.throws(() => be.crossEntropyRows(1, 3, x, Int32Array.from([0]), be.alloc(3)), (e: unknown) => e instanceof BackendError && /no training kernel 'crossEntropyRows'/.test(e.message));
});
