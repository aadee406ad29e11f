import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/rng.js';
import { ShapeError } from '../../../src/errors.js';
import { assertClose } from '../../helpers.js';
import { pair, randomValues, ts, wasm } from './util.js';

/*
 * Every core kernel the wasm backend overrides, against the TypeScript
 * reference on the same inputs. GEMM accumulates in f32 on wasm and in f64 in
 * the reference, hence a tolerance relative to √K; the other kernels are
 * expected to match bit for bit (they round in the same places).
 */

test('wasm gemm matches the reference for NN/NT/TN/TT, odd sizes, offsets, alpha and beta', () => {
  const rng = new Rng(1);
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 7, 3], [5, 1, 9], [3, 9, 1], [13, 17, 11], [4, 8, 256], [7, 33, 300], [37, 300, 5], [66, 70, 513], [2, 3, 0]];
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25], [0, 0.5]] as const) {
          const aOff = rng.int(3), bOff = rng.int(3), cOff = rng.int(3);
          const A = pair(randomValues(rng, aOff + M * K)), B = pair(randomValues(rng, bOff + K * N)), C = pair(randomValues(rng, cOff + M * N + 2));
          wasm.gemm(tA, tB, M, N, K, alpha, A.w, aOff, B.w, bOff, beta, C.w, cOff);
          ts.gemm(tA, tB, M, N, K, alpha, A.t, aOff, B.t, bOff, beta, C.t, cOff);
          assertClose(C.w.data, C.t.data, 2e-6 * Math.sqrt(K + 1) * 2, 1e-6, `gemm tA=${tA} tB=${tB} ${M}x${N}x${K} α=${alpha} β=${beta}`);
        }
      }
    }
  }
});

test('wasm gemm refuses sizes that overrun a storage instead of writing into a neighbour', () => {
  const A = wasm.alloc(6), B = wasm.alloc(6), C = wasm.alloc(3);
  assert.throws(() => wasm.gemm(false, false, 2, 2, 3, 1, A, 0, B, 0, 0, C, 0), ShapeError);
  assert.throws(() => wasm.gemm(false, false, 2, 3, 3, 1, A, 1, B, 0, 0, wasm.alloc(6), 0), /gemm: A needs 7 elements/);
});

test('wasm eventGemm / eventGemmGradW match the reference (spikes, real values, empty input, batch 1)', () => {
  const rng = new Rng(2);
  const cases: [number, number, number, number][] = [[1, 5, 7, 0.3], [9, 13, 31, 0.1], [16, 33, 64, 0.02], [7, 10, 19, 0], [4, 9, 6, 1], [3, 1, 5, 0.5]];
  for (const [M, N, K, d] of cases) {
    for (const real of [false, true]) {
      const xv = randomValues(rng, M * K, d).map((v) => (real && v !== 0 ? rng.uniform(-2, 2) : v));
      const X = pair(xv), Wt = pair(randomValues(rng, K * N)), Y = pair(randomValues(rng, M * N));
      for (const beta of [0, 1, 0.5]) {
        wasm.eventGemm(M, N, K, X.w, Wt.w, beta, Y.w);
        ts.eventGemm(M, N, K, X.t, Wt.t, beta, Y.t);
        // Binary spikes: same additions in the same order → identical; real values differ by one f32 rounding per product.
        assertClose(Y.w.data, Y.t.data, real ? 1e-6 * K : 0, 0, `eventGemm ${M}x${N}x${K} density ${d} real=${real} β=${beta}`);
      }
      const dY = pair(randomValues(rng, M * N)), dW = pair(randomValues(rng, N * K));
      wasm.eventGemmGradW(M, N, K, dY.w, X.w, dW.w);
      ts.eventGemmGradW(M, N, K, dY.t, X.t, dW.t);
      assertClose(dW.w.data, dW.t.data, real ? 1e-6 * M : 0, 0, `eventGemmGradW ${M}x${N}x${K} density ${d} real=${real}`);
    }
  }
});

test('wasm elementwise kernels and reductions match the reference bit for bit', () => {
  const rng = new Rng(3);
  for (const n of [0, 1, 3, 4, 5, 17, 1000]) {
    const a = pair(randomValues(rng, n)), b = pair(randomValues(rng, n));
    for (const op of ['add', 'sub', 'mul'] as const) {
      const o = pair(new Array<number>(n).fill(7));
      wasm[op](a.w, b.w, o.w);
      ts[op](a.t, b.t, o.t);
      assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `${op} n=${n}`);
    }
    const o = pair(randomValues(rng, n));
    wasm.affine(a.w, 0.3, -1 / 3, o.w);
    ts.affine(a.t, 0.3, -1 / 3, o.t);
    assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `affine n=${n}`);
    wasm.affine(o.w, 1.7, 0.1, o.w); // in place
    ts.affine(o.t, 1.7, 0.1, o.t);
    assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `affine in place n=${n}`);
    wasm.axpy(-0.7, a.w, o.w);
    ts.axpy(-0.7, a.t, o.t);
    assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `axpy n=${n}`);
    wasm.fill(o.w, 2.5);
    ts.fill(o.t, 2.5);
    assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `fill n=${n}`);
    const sp = pair(randomValues(rng, n, 0.3));
    assert.equal(wasm.countNonzero(sp.w), ts.countNonzero(sp.t), `countNonzero n=${n}`);
    assert.ok(Math.abs(wasm.sum(a.w) - ts.sum(a.t)) <= 1e-12 * (n + 1), `sum n=${n}`);
    assert.ok(Math.abs(wasm.sumSquares(a.w) - ts.sumSquares(a.t)) <= 1e-12 * (n + 1), `sumSquares n=${n}`);
    const c = pair(randomValues(rng, n).map((v) => v * 3));
    wasm.clamp(c.w, -1, 0.5);
    ts.clamp(c.t, -1, 0.5);
    assert.deepEqual(Array.from(c.w.data), Array.from(c.t.data), `clamp n=${n}`);
  }
  const src = pair(randomValues(rng, 50)), dst = pair(randomValues(rng, 60));
  wasm.copy(src.w, 7, dst.w, 11, 33);
  ts.copy(src.t, 7, dst.t, 11, 33);
  assert.deepEqual(Array.from(dst.w.data), Array.from(dst.t.data), 'copy with offsets');
  for (const [M, N] of [[1, 1], [3, 5], [8, 12], [5, 1001]]) {
    const Y = pair(randomValues(rng, M * N)), v = pair(randomValues(rng, N));
    wasm.addRowVector(M, N, Y.w, v.w);
    ts.addRowVector(M, N, Y.t, v.t);
    assert.deepEqual(Array.from(Y.w.data), Array.from(Y.t.data), `addRowVector ${M}x${N}`);
    for (const beta of [0, 1, 0.5]) {
      const o = pair(randomValues(rng, N));
      wasm.sumRows(M, N, Y.w, beta, o.w);
      ts.sumRows(M, N, Y.t, beta, o.t);
      assert.deepEqual(Array.from(o.w.data), Array.from(o.t.data), `sumRows ${M}x${N} β=${beta}`);
    }
  }
});

test('wasm kernels fall back to the reference for storage of another backend', () => {
  const rng = new Rng(4);
  const a = pair(randomValues(rng, 12)), b = pair(randomValues(rng, 12));
  const out = ts.alloc(12);
  wasm.add(a.t, b.w, out); // mixed: reference kernel over the views
  const ref = ts.alloc(12);
  ts.add(a.t, b.t, ref);
  assert.deepEqual(Array.from(out.data), Array.from(ref.data));
});

test('wasm transpose equals the reference bit for bit (edges, vectors, tile multiples, beyond one cache block)', () => {
  const rng = new Rng(5);
  // 4×4 SIMD tiles inside 32×32 blocks: shapes hit full tiles, ragged tile edges, single rows/columns and partial blocks.
  const shapes: [number, number][] = [[1, 1], [1, 9], [9, 1], [3, 5], [4, 4], [8, 12], [7, 13], [32, 32], [33, 31], [64, 96], [65, 70], [100, 37], [125, 98]];
  for (const [M, N] of shapes) {
    const A = pair(randomValues(rng, M * N));
    const out = { w: wasm.alloc(M * N), t: ts.alloc(M * N) };
    wasm.transpose(M, N, A.w, out.w);
    ts.transpose(M, N, A.t, out.t);
    assert.deepEqual(Array.from(out.w.data), Array.from(out.t.data), `transpose ${M}x${N}`);
    // Independent of the reference: out[j, i] = A[i, j].
    for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, N >> 1]] as const) assert.equal(out.w.data[j * M + i], A.w.data[i * N + j], `out[${j},${i}] ${M}x${N}`);
  }
});

test('wasm transpose checks sizes and falls back for storage of another backend', () => {
  const rng = new Rng(6);
  assert.throws(() => wasm.transpose(3, 4, wasm.alloc(11), wasm.alloc(12)), /transpose: A needs 12 elements/);
  assert.throws(() => wasm.transpose(3, 4, wasm.alloc(12), wasm.alloc(11)), /transpose: out needs 12 elements/);
  const A = pair(randomValues(rng, 35));
  const mixed = ts.alloc(35), ref = ts.alloc(35);
  wasm.transpose(5, 7, A.w, mixed);
  ts.transpose(5, 7, A.t, ref);
  assert.deepEqual(Array.from(mixed.data), Array.from(ref.data));
  const back = wasm.alloc(35);
  wasm.transpose(5, 7, A.t, back);
  assert.deepEqual(Array.from(back.data), Array.from(ref.data));
});
