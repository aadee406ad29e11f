import test from 'node:test';
import assert from 'node:assert/strict';
import type { LifBackwardIO, LifConfig, LifForwardIO } from '../../../src/backend/kernels/neuron.js';
import { ResetMode } from '../../../src/backend/kernels/neuron.js';
import type { Backend } from '../../../src/backend/backend.js';
import { getBackendByName } from '../../../src/backend/registry.js';
import { Rng } from '../../../src/tensor/rng.js';
import { addon, assertSameBits, forEachIsa, native, randArray, skipReason, st } from './setup.js';
import { runLifBackward, runLifForward } from '../../../src/neurons/lif/scan.js';

/*
 * The native LIF scan against the TypeScript kernel for every reset mode,
 * delayed and same-step reset, input leak, detached or not, per-layer or
 * per-neuron β/θ, v_reset 0 (the snnTorch fast path) or not, every surrogate,
 * T = 1 and batch 1. Forward: spikes, decisions and membranes bit-identical.
 * Backward: the same double-precision operations, so results agree to float32
 * rounding (libm's exp may differ from V8's in the last bit of a double);
 * the tolerance is 2 float32 ulps of the larger magnitude involved.
 */
const ts = getBackendByName('ts');

const SURROGATES: [number, number, number][] = [
  [0, 25, 0], [1, 2, 0], [2, 5, 0], [3, 1, 0], [4, 1, 0], [5, 2, 0], [6, 1.5, 0], [7, 1, 0], [8, 1, 0.8], [9, 0, 0], [10, 1, 0],
];

/** A kernel configuration (LifConfig's settings and sizes) with its surrogate as [id, p0, p1]. */
type Case = Omit<LifConfig, 'recPerNeuron' | 'surrogate'> & { sg: [number, number, number] };

function makeIO(rng: Rng, c: Case, be: Backend, seedData: Float32Array[]): { cfg: LifConfig; io: LifBackwardIO } {
  const N = c.B * c.F, TN = c.T * N;
  const [x, v0, beta, thr, gS, gM] = seedData.map((a) => a.slice());
  void rng;
  const cfg: LifConfig = {
    T: c.T, B: c.B, F: c.F, resetMode: c.resetMode, delayedReset: c.delayedReset, correctedReset: c.correctedReset === true, detachReset: c.detachReset, inputLeak: c.inputLeak,
    vReset: c.vReset, fireAtThreshold: c.fireAtThreshold === true, betaPerNeuron: c.betaPerNeuron, thresholdPerNeuron: c.thresholdPerNeuron, recPerNeuron: false,
    surrogate: { id: c.sg[0], p0: c.sg[1], p1: c.sg[2], smooth: false },
  };
  const fwd: LifForwardIO = {
    x: st(x!), v0: st(v0!), s0: null, beta: st(beta!), threshold: st(thr!), recV: null, recW: null,
    spikes: be.alloc(TN), mask: new Uint8Array(TN), h: be.alloc(TN), v: c.delayedReset ? null : be.alloc(TN), rec: null,
  };
  const io: LifBackwardIO = {
    ...fwd, gSpikes: st(gS!), gMem: st(gM!), dx: be.alloc(TN), dv0: be.alloc(N), ds0: null,
    dBeta: be.alloc(c.betaPerNeuron ? c.F : 1), dThreshold: be.alloc(c.thresholdPerNeuron ? c.F : 1), dRecV: null, dRecW: null,
  };
  return { cfg, io };
}

function closeF32(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const tol = 2 * 2 ** -23 * Math.max(Math.abs(a), Math.abs(e)) + 1e-37;
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}[${i}]: native ${a}, ts ${e}`);
  }
}

// Inputs around the threshold so every branch (fire, reset, no fire) is taken.
function caseData(rng: Rng, c: Case): Float32Array[] {
  const N = c.B * c.F, TN = c.T * N;
  const data = [
    randArray(rng, TN, -0.3, 1.4),
    randArray(rng, N, -0.5, 1.5),
    randArray(rng, c.betaPerNeuron ? c.F : 1, 0.5, 0.99),
    randArray(rng, c.thresholdPerNeuron ? c.F : 1, 0.6, 1.3),
    randArray(rng, TN),
    randArray(rng, TN),
  ];
  // Every third neuron starts a hair above zero with x = θ at t = 0, so that
  // β·v + x (+ v_reset terms) exceeds θ in double but rounds to θ in float:
  // the spike decision must use the rounded membrane.
  const [x, v0, , thr] = data;
  for (let n = 0; n < N; n += 3) {
    v0![n] = 1e-9;
    x![n] = thr![c.thresholdPerNeuron ? n % c.F : 0]! - (c.inputLeak ? 0 : c.vReset);
  }
  return data;
}

/*
 * Ties: x, v0 and v_reset in eighths, β ∈ {½, ¾} and θ ∈ {½, 1}, so every
 * product and sum is exact in float32 and the charged membrane (and the
 * previous one, for R) lands exactly on θ at many elements: the one place the
 * two firing rules differ.
 */
function tieData(rng: Rng, c: Case): Float32Array[] {
  const N = c.B * c.F, TN = c.T * N;
  const eighths = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => Math.round(rng.uniform(lo, hi) * 8) / 8);
  const pick = (n: number, values: number[]): Float32Array => Float32Array.from({ length: n }, () => values[Math.floor(rng.uniform(0, values.length))]!);
  return [
    eighths(TN, -0.5, 1.5),
    eighths(N, -0.5, 1.5),
    pick(c.betaPerNeuron ? c.F : 1, [0.5, 0.75]),
    pick(c.thresholdPerNeuron ? c.F : 1, [0.5, 1]),
    randArray(rng, TN),
    randArray(rng, TN),
  ];
}

function compare(rng: Rng, c: Case, ties = false): void {
  const data = ties ? tieData(rng, c) : caseData(rng, c);
  const what = JSON.stringify(c);
  const a = makeIO(rng, c, native(), data), b = makeIO(rng, c, ts, data);
  runLifForward(native(), a.cfg, a.io);
  runLifForward(ts, b.cfg, b.io);
  assertSameBits(a.io.spikes.data, b.io.spikes.data, `spikes ${what}`);
  assert.deepEqual(a.io.mask, b.io.mask, `mask ${what}`);
  assertSameBits(a.io.h.data, b.io.h.data, `h ${what}`);
  if (a.io.v) assertSameBits(a.io.v.data, b.io.v!.data, `v ${what}`);
  runLifBackward(native(), a.cfg, a.io);
  runLifBackward(ts, b.cfg, b.io);
  closeF32(a.io.dx!.data, b.io.dx!.data, `dx ${what}`);
  closeF32(a.io.dv0!.data, b.io.dv0!.data, `dv0 ${what}`);
  closeF32(a.io.dBeta!.data, b.io.dBeta!.data, `dBeta ${what}`);
  closeF32(a.io.dThreshold!.data, b.io.dThreshold!.data, `dThreshold ${what}`);
}

test('LIF forward and backward match the TypeScript kernel for every reset configuration', { skip: skipReason }, () => {
  forEachIsa(() => everyConfiguration(new Rng(31)));
});

function everyConfiguration(rng: Rng): void {
  let n = 0;
  for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
    // Reset timing: delayed, textbook same-step, snnTorch same-step.
    for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
      for (const inputLeak of [false, true]) {
        for (const detachReset of [true, false]) {
          for (const perNeuron of [false, true]) {
            for (const vReset of [0, 0.2]) {
              compare(rng, { T: 6, B: 3, F: 5, resetMode, delayedReset, correctedReset, detachReset, inputLeak, vReset, betaPerNeuron: perNeuron, thresholdPerNeuron: !perNeuron || n % 2 === 0, sg: SURROGATES[n % SURROGATES.length]! });
              n++;
            }
          }
        }
      }
    }
  }
  assert.equal(n, 192);
}

test('LIF ties (h = θ exactly): both firing rules, every reset configuration, native equals the TypeScript kernel on every ISA', { skip: skipReason }, () => {
  forEachIsa(() => {
    const rng = new Rng(36);
    let n = 0;
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
        for (const fireAtThreshold of [false, true]) {
          for (const perNeuron of [false, true]) {
            // v_reset 0 with per-layer β/θ under the delayed reset is the snnTorch fast path.
            for (const vReset of [0, 0.25]) {
              compare(rng, {
                T: 6, B: 3, F: 9, resetMode, delayedReset, correctedReset, fireAtThreshold, detachReset: n % 2 === 0, inputLeak: n % 3 === 1, vReset,
                betaPerNeuron: perNeuron, thresholdPerNeuron: perNeuron, sg: SURROGATES[n % SURROGATES.length]!,
              }, true);
              n++;
            }
          }
        }
      }
    }
    assert.equal(n, 96);
  });
});

test('LIF ties: the tie data makes the two firing rules disagree (the comparison above is not vacuous)', { skip: skipReason }, () => {
  const c: Case = {
    T: 6, B: 3, F: 9, resetMode: ResetMode.zero, delayedReset: false, detachReset: false, inputLeak: false, vReset: 0,
    betaPerNeuron: false, thresholdPerNeuron: false, sg: SURROGATES[1]!,
  };
  const data = tieData(new Rng(37), c);
  const masks = [false, true].map((fireAtThreshold) => {
    const { cfg, io } = makeIO(new Rng(0), { ...c, fireAtThreshold }, native(), data);
    runLifForward(native(), cfg, io);
    return Array.from(io.mask);
  });
  const differ = masks[0]!.filter((m, i) => m !== masks[1]![i]).length;
  assert.ok(differ > 0, 'h = θ somewhere');
});

test('LIF: every surrogate, T = 1, batch 1 and a layer-sized scan', { skip: skipReason }, () => {
  forEachIsa(() => surrogatesAndShapes(new Rng(32)));
});

function surrogatesAndShapes(rng: Rng): void {
  const base = { resetMode: ResetMode.subtract, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false };
  for (const sg of SURROGATES) compare(rng, { ...base, T: 4, B: 2, F: 9, sg });
  compare(rng, { ...base, T: 1, B: 4, F: 3, sg: SURROGATES[0]! });
  compare(rng, { ...base, T: 5, B: 1, F: 1, sg: SURROGATES[1]! });
  compare(rng, { ...base, resetMode: ResetMode.zero, delayedReset: false, T: 25, B: 8, F: 100, sg: SURROGATES[0]! });
}

/** Every output of one native forward + backward run, with the ISA it ran on. */
function nativeRun(c: Case, data: Float32Array[]): Float32Array[] {
  const a = makeIO(new Rng(0), c, native(), data);
  runLifForward(native(), a.cfg, a.io);
  runLifBackward(native(), a.cfg, a.io);
  const io = a.io;
  return [io.spikes.data, new Float32Array(io.mask), io.h.data, io.v ? io.v.data : new Float32Array(0), io.dx!.data, io.dv0!.data, io.dBeta!.data, io.dThreshold!.data].map((d) => Float32Array.from(d as ArrayLike<number>));
}

test('LIF: the AVX2 and AVX-512 scans are bit-identical to the scalar one (vector bodies and tails)', { skip: skipReason }, () => {
  /*
   * Shapes where B·F and F are and are not multiples of 4 and 8 (tails), T = 1
   * and B = 1; every reset configuration and surrogate. Backward is held to
   * bit-identity as well: the vector lanes do the scalar operations in the
   * scalar order, and per-neuron β/θ gradients keep their summation order
   * (per-layer ones run the scalar path). Without the backward outputs'
   * β/θ gradients requested the vector path skips the sums entirely.
   * Half the cases fire at the threshold on data with ties.
   */
  const rng = new Rng(34);
  const shapes: [number, number, number][] = [[5, 3, 13], [3, 2, 16], [1, 4, 9], [4, 1, 7], [2, 5, 8], [3, 1, 1]];
  const names = ['spikes', 'mask', 'h', 'v', 'dx', 'dv0', 'dBeta', 'dThreshold'];
  let n = 0;
  for (const [T, B, F] of shapes) {
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
        for (const perNeuron of [false, true]) {
          // Every other case fires at h ≥ θ on tie data (eighths: h = θ exactly at many elements).
          const ties = n % 2 === 1;
          const c: Case = {
            T, B, F, resetMode, delayedReset, correctedReset, fireAtThreshold: ties, detachReset: n % 3 === 0, inputLeak: n % 4 === 1, vReset: n % 2 === 0 ? 0 : 0.25,
            betaPerNeuron: perNeuron, thresholdPerNeuron: perNeuron && n % 4 !== 2, sg: SURROGATES[n % SURROGATES.length]!,
          };
          n++;
          const data = ties ? tieData(rng, c) : caseData(rng, c);
          const runs: Float32Array[][] = [];
          forEachIsa(() => runs.push(nativeRun(c, data)));
          for (let r = 1; r < runs.length; r++)
            for (let k = 0; k < names.length; k++) assertSameBits(runs[r]![k]!, runs[0]![k]!, `${names[k]} isa #${r} ${JSON.stringify(c)}`);
        }
      }
    }
  }
});

test('LIF configurations the addon does not cover (smooth, recurrent) fall back to the TypeScript kernel', { skip: skipReason }, () => {
  const rng = new Rng(33);
  const [T, B, F] = [3, 2, 4], N = B * F, TN = T * N;
  const data = [randArray(rng, TN, -0.3, 1.4), randArray(rng, N), randArray(rng, 1, 0.8, 0.9), randArray(rng, 1, 0.9, 1.1), randArray(rng, F, -0.5, 0.5)];
  const run = (be: Backend): Float32Array => {
    const [x, v0, beta, thr, V] = data.map((a) => a.slice());
    const cfg: LifConfig = {
      T, B, F, resetMode: ResetMode.subtract, delayedReset: true, detachReset: true, inputLeak: false, vReset: 0,
      betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: true, surrogate: { id: 0, p0: 25, p1: 0, smooth: false },
    };
    const io: LifForwardIO = {
      x: st(x!), v0: st(v0!), s0: be.alloc(N), beta: st(beta!), threshold: st(thr!), recV: st(V!), recW: null,
      spikes: be.alloc(TN), mask: new Uint8Array(TN), h: be.alloc(TN), v: null, rec: null,
    };
    runLifForward(be, cfg, io);
    return io.h.data as Float32Array;
  };
  assertSameBits(run(native()), run(ts), 'recurrent h');
});

test('LIF: a large scan split over two threads (halves of the batch rows) gives the same bits as one thread', { skip: skipReason }, () => {
  // ≥ 2^20 elements and no parameter-gradient sums requested: the split path.
  // B = 129 gives uneven halves; per-neuron β/θ walks the rows one by one.
  const a = addon();
  const before = a.info().threads;
  const rng = new Rng(35);
  try {
    for (const [perNeuron, delayedReset] of [[false, true], [true, false]] as const) {
      const c: Case = {
        T: 8, B: 129, F: 1024, resetMode: ResetMode.subtract, delayedReset, detachReset: true, inputLeak: false, vReset: 0,
        betaPerNeuron: perNeuron, thresholdPerNeuron: perNeuron, sg: SURROGATES[0]!,
      };
      const data = caseData(rng, c);
      const outputs = [1, 2].map((threads) => {
        a.setThreads(threads);
        const { cfg, io } = makeIO(new Rng(0), c, native(), data);
        const bio = { ...io, dBeta: null, dThreshold: null };
        runLifForward(native(), cfg, bio);
        runLifBackward(native(), cfg, bio);
        return [bio.spikes.data, Float32Array.from(bio.mask), bio.h.data, bio.v ? bio.v.data : new Float32Array(0), bio.dx!.data, bio.dv0!.data];
      });
      ['spikes', 'mask', 'h', 'v', 'dx', 'dv0'].forEach((name, i) =>
        assertSameBits(outputs[1]![i] as Float32Array, outputs[0]![i] as Float32Array, `${name} perNeuron=${perNeuron} delayed=${delayedReset}`),
      );
    }
  } finally {
    a.setThreads(before);
  }
});
