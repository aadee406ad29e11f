import test from 'node:test';
import assert from 'node:assert/strict';
import { BackendError } from '../../../src/errors.js';
import { ArrayStorage } from '../../../src/backend/storage.js';
import { Rng } from '../../../src/tensor/rng.js';
import { addon, forEachIsa, native, randArray, skipReason, st } from './setup.js';

/**
 * Native GEMM against a float64 reference of the same product: every
 * transpose form, alpha/beta, offsets, shapes that are not multiples of the
 * register tiles (12×32, 6×16, 4×4) or cache blocks (k 256, m 144/96/64), on
 * every instruction set the CPU has. Float32 accumulation error is bounded by
 * about K·2⁻²⁴ times Σ|a·b|, so the tolerance scales with that sum.
 */
function checkGemm(rng: Rng, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number, what: string): void {
  const aOff = 3, bOff = 5, cOff = 7;
  const A = randArray(rng, aOff + M * K + 2), B = randArray(rng, bOff + K * N + 2), C = randArray(rng, cOff + M * N + 2);
  const C0 = C.slice();
  native().gemm(tA, tB, M, N, K, alpha, st(A), aOff, st(B), bOff, beta, st(C), cOff);
  const a = (i: number, k: number): number => A[aOff + (tA ? k * M + i : i * K + k)]!;
  const b = (k: number, j: number): number => B[bOff + (tB ? j * K + k : k * N + j)]!;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, mag = 0;
      for (let k = 0; k < K; k++) {
        s += a(i, k) * b(k, j);
        mag += Math.abs(a(i, k) * b(k, j));
      }
      const c0 = C0[cOff + i * N + j]!;
      const want = alpha * s + (beta === 0 ? 0 : beta * c0);
      const tol = 4e-7 * (K + 4) * (Math.abs(alpha) * mag + Math.abs(beta * c0)) + 1e-30;
      const got = C[cOff + i * N + j]!;
      if (!(Math.abs(got - want) <= tol)) assert.fail(`${what}: C[${i},${j}] = ${got}, expected ${want} (tol ${tol})`);
    }
  }
  // Nothing outside the C block is touched.
  for (let i = 0; i < cOff; i++) assert.equal(C[i], C0[i], `${what}: wrote before cOff`);
  for (let i = cOff + M * N; i < C.length; i++) assert.equal(C[i], C0[i], `${what}: wrote past the block`);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 37, 5],
  [13, 1, 300],
  [7, 9, 3],
  [41, 71, 257],
  [12, 32, 16],
  [2, 70, 513],
  // N past the 4096-column block: several blocks of B, each packed row by row, the last panel partial.
  [13, 4200, 9],
  // On AVX-512 these take the 8×48 tile (fewer padded rows than 12×32): M a multiple of 8, and not.
  [64, 96, 64],
  [150, 33, 20],
  // Few rows (≤ 4): B read in place without packing, dot products (NT) or row updates (NN).
  [1, 300, 200],
  [3, 130, 37],
  [4, 64, 16],
  [4, 97, 33],
  // Tiny C from a long reduction (NT: 4×4 dot-product blocks over L2-sized k-chunks, with a k tail).
  [5, 7, 4100],
  [16, 25, 5000],
];

test('gemm: NN/NT/TN/TT with alpha, beta and offsets match a float64 reference on every instruction set', { skip: skipReason }, () => {
  const rng = new Rng(11);
  forEachIsa((isa) => {
    for (const [M, N, K] of SHAPES) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const [alpha, beta] = [[1, 0], [0.5, 1], [-1.25, 0.75]][(M + N + K) % 3]!;
          checkGemm(rng, tA, tB, M, N, K, alpha!, beta!, `${isa} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K} α=${alpha} β=${beta}`);
        }
      }
    }
  });
});

test('gemm: beta = 0 ignores NaN in C; K = 0 and alpha = 0 only scale C', { skip: skipReason }, () => {
  const be = native();
  const rng = new Rng(12);
  const A = st(randArray(rng, 6)), B = st(randArray(rng, 6));
  const C = new ArrayStorage(new Float32Array([NaN, Infinity, NaN, 1]));
  be.gemm(false, false, 2, 2, 3, 1, A, 0, B, 0, 0, C, 0);
  for (const v of C.data) assert.ok(Number.isFinite(v), 'beta = 0 must overwrite C');
  const D = new ArrayStorage(new Float32Array([1, 2, 3, 4]));
  be.gemm(false, false, 2, 2, 0, 1, A, 0, B, 0, 0.5, D, 0);
  assert.deepEqual([...D.data], [0.5, 1, 1.5, 2]);
  be.gemm(false, false, 2, 2, 3, 0, A, 0, B, 0, 0, D, 0);
  assert.deepEqual([...D.data], [0, 0, 0, 0]);
});

test('gemm: the 2-thread split gives the same result as one thread', { skip: skipReason }, () => {
  const a = addon(), be = native();
  const rng = new Rng(13);
  const before = a.info().threads;
  try {
    for (const [tA, tB, M, N, K] of [[false, true, 203, 150, 140], [true, false, 90, 301, 160]] as const) {
      const A = st(randArray(rng, M * K)), B = st(randArray(rng, K * N));
      const C1 = new ArrayStorage(new Float32Array(M * N)), C2 = new ArrayStorage(new Float32Array(M * N));
      assert.equal(a.setThreads(1), 1);
      be.gemm(tA, tB, M, N, K, 1, A, 0, B, 0, 0, C1, 0);
      assert.equal(a.setThreads(2), 2);
      be.gemm(tA, tB, M, N, K, 1, A, 0, B, 0, 0, C2, 0);
      // Each half runs the same kernel over the same k order, so the split is exact.
      assert.deepEqual(C2.data, C1.data);
    }
  } finally {
    a.setThreads(before);
  }
});

test('native kernels reject Float64 storage and out-of-range shapes with a BackendError', { skip: skipReason }, () => {
  const be = native();
  const f64 = new ArrayStorage(new Float64Array(4)), f32 = new ArrayStorage(new Float32Array(4));
  assert.throws(() => be.gemm(false, false, 2, 2, 1, 1, f64, 0, f32, 0, 0, f32, 0), (e: unknown) => e instanceof BackendError && /A is a Float64Array.*float32/.test(e.message));
  assert.throws(() => be.axpy(1, f64, new ArrayStorage(new Float64Array(1000))), BackendError);
  assert.throws(() => be.gemm(false, false, 3, 2, 1, 1, f32, 0, f32, 0, 0, f32, 0), (e: unknown) => e instanceof BackendError && /C holds 4 elements, needs 6/.test(e.message));
  assert.throws(() => be.eventGemm(2, 2, 2, f32, f32, 0, new ArrayStorage(new Float32Array(3))), /Y holds 3 elements/);
});
