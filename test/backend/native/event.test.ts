import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName } from '../../../src/backend/registry.js';
import { Rng } from '../../../src/tensor/rng.js';
import { addon, assertSameBits, forEachIsa, native, randArray, skipReason, spikeArray, st } from './setup.js';

/*
 * The event-driven kernels add weight rows in the reference's order, so their
 * results must be bit-identical to the TypeScript backend's, for binary and
 * non-binary inputs, every beta case, batch 1 and all-zero input.
 */
const ts = getBackendByName('ts');

const CASES: { M: number; N: number; K: number; density: number; nonBinary: number; beta: number }[] = [
  { M: 1, N: 1, K: 1, density: 1, nonBinary: 0, beta: 0 },
  { M: 1, N: 130, K: 50, density: 0.2, nonBinary: 0, beta: 0 },
  { M: 9, N: 1000, K: 61, density: 0.1, nonBinary: 0, beta: 1 },
  { M: 17, N: 77, K: 300, density: 0.3, nonBinary: 0.2, beta: 0.5 },
  { M: 5, N: 129, K: 40, density: 0, nonBinary: 0, beta: 0.25 },
  { M: 33, N: 257, K: 19, density: 0.05, nonBinary: 0, beta: 0 },
  { M: 4, N: 64, K: 8, density: 0.6, nonBinary: 1, beta: 1 },
  // Several L2 column blocks of eventGemm (K = 300 gives 256-column blocks) with a partial last one.
  { M: 12, N: 600, K: 300, density: 0.15, nonBinary: 0, beta: 0 },
  // Several row blocks of eventGemmGradW (N = 2000 gives 65-row blocks); K = 37 leaves SIMD tails in the row lists.
  { M: 150, N: 2000, K: 37, density: 0.1, nonBinary: 0.05, beta: 1 },
];

test('eventGemm is bit-identical to the TypeScript kernel', { skip: skipReason }, () => {
  const rng = new Rng(21);
  forEachIsa((isa) => {
    for (const c of CASES) {
      const X = spikeArray(rng, c.M * c.K, c.density, c.nonBinary), Wt = randArray(rng, c.K * c.N), Y0 = randArray(rng, c.M * c.N);
      const y1 = Y0.slice(), y2 = Y0.slice();
      native().eventGemm(c.M, c.N, c.K, st(X), st(Wt), c.beta, st(y1));
      ts.eventGemm(c.M, c.N, c.K, st(X), st(Wt), c.beta, st(y2));
      assertSameBits(y1, y2, `${isa} eventGemm ${JSON.stringify(c)}`);
    }
  });
});

test('eventGemmGradW is bit-identical to the TypeScript kernel and accumulates into dW', { skip: skipReason }, () => {
  const rng = new Rng(22);
  forEachIsa((isa) => {
    for (const c of CASES) {
      const X = spikeArray(rng, c.M * c.K, c.density, c.nonBinary), dY = randArray(rng, c.M * c.N), W0 = randArray(rng, c.N * c.K);
      const w1 = W0.slice(), w2 = W0.slice();
      native().eventGemmGradW(c.M, c.N, c.K, st(dY), st(X), st(w1));
      ts.eventGemmGradW(c.M, c.N, c.K, st(dY), st(X), st(w2));
      assertSameBits(w1, w2, `${isa} eventGemmGradW ${JSON.stringify(c)}`);
    }
  });
});

test('all-zero spike input: eventGemm gives beta·Y and the weight gradient is unchanged', { skip: skipReason }, () => {
  const rng = new Rng(23);
  const [M, N, K] = [6, 45, 30];
  const X = new Float32Array(M * K), Y = randArray(rng, M * N), W = randArray(rng, N * K);
  const Y0 = Y.slice(), W0 = W.slice();
  native().eventGemm(M, N, K, st(X), st(randArray(rng, K * N)), 0.5, st(Y));
  for (let i = 0; i < Y.length; i++) assert.equal(Y[i], Math.fround(Y0[i]! * 0.5));
  native().eventGemmGradW(M, N, K, st(randArray(rng, M * N)), st(X), st(W));
  assert.deepEqual(W, W0);
});

test('NaN inputs count as nonzero and -0 as zero, as in the TypeScript kernel', { skip: skipReason }, () => {
  const rng = new Rng(24);
  const [M, N, K] = [7, 300, 45];
  forEachIsa((isa) => {
    const X = spikeArray(rng, M * K, 0.2);
    X[3] = NaN;
    X[K + 17] = -0;
    X[2 * K + 40] = -0;
    X[5 * K + 44] = NaN;
    const Wt = randArray(rng, K * N), Y0 = randArray(rng, M * N), dY = randArray(rng, M * N), W0 = randArray(rng, N * K);
    const y1 = Y0.slice(), y2 = Y0.slice(), w1 = W0.slice(), w2 = W0.slice();
    native().eventGemm(M, N, K, st(X), st(Wt), 1, st(y1));
    ts.eventGemm(M, N, K, st(X), st(Wt), 1, st(y2));
    assertSameBits(y1, y2, `${isa} eventGemm with NaN/-0`);
    assert.ok(Number.isNaN(y1[0]) && !Number.isNaN(y1[N + 5]), `${isa}: NaN reaches row 0 only`);
    native().eventGemmGradW(M, N, K, st(dY), st(X), st(w1));
    ts.eventGemmGradW(M, N, K, st(dY), st(X), st(w2));
    assertSameBits(w1, w2, `${isa} eventGemmGradW with NaN/-0`);
  });
});

test('two threads: the split event kernels stay bit-identical (rows of Y, columns of dW)', { skip: skipReason }, () => {
  const rng = new Rng(25);
  const a = addon();
  const before = a.info().threads;
  try {
    assert.equal(a.setThreads(2), 2);
    // Large enough (≥ 2e6 additions) to take the parallel path; odd sizes give uneven halves.
    for (const c of [
      { M: 301, N: 517, K: 203, density: 0.2, nonBinary: 0, beta: 0 },
      { M: 96, N: 1000, K: 150, density: 0.3, nonBinary: 0.1, beta: 0.5 },
    ]) {
      const X = spikeArray(rng, c.M * c.K, c.density, c.nonBinary), Wt = randArray(rng, c.K * c.N), Y0 = randArray(rng, c.M * c.N);
      const y1 = Y0.slice(), y2 = Y0.slice();
      native().eventGemm(c.M, c.N, c.K, st(X), st(Wt), c.beta, st(y1));
      ts.eventGemm(c.M, c.N, c.K, st(X), st(Wt), c.beta, st(y2));
      assertSameBits(y1, y2, `2 threads eventGemm ${JSON.stringify(c)}`);
      const dY = randArray(rng, c.M * c.N), W0 = randArray(rng, c.N * c.K);
      const w1 = W0.slice(), w2 = W0.slice();
      native().eventGemmGradW(c.M, c.N, c.K, st(dY), st(X), st(w1));
      ts.eventGemmGradW(c.M, c.N, c.K, st(dY), st(X), st(w2));
      assertSameBits(w1, w2, `2 threads eventGemmGradW ${JSON.stringify(c)}`);
    }
  } finally {
    a.setThreads(before);
  }
});
