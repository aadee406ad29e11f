import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/rng.js';
import type { Backend } from '../../../src/backend/backend.js';
import type { Storage } from '../../../src/backend/storage.js';
import { ResetMode, SurrogateId, type LifBackwardIO, type LifConfig } from '../../../src/backend/kernels/neuron.js';
import { assertClose } from '../../helpers.js';
import { randomValues, ts, wasm } from './util.js';
import { runLifBackward, runLifForward } from '../../../src/neurons/lif/scan.js';

/*
 * The wasm LIF scans against the reference over the configuration space they
 * cover (non-recurrent, Heaviside): reset modes, delayed and both same-step resets,
 * per-layer and per-neuron β/θ, input leak, vReset, every surrogate, T = 1,
 * batch 1, F = 1, and B·F both even and odd (the SIMD backward does two
 * neurons per step and the odd last one in scalar code). Forward traces and
 * spikes must be identical (same f64 arithmetic, same f32 stores). The
 * backward does the reference's double operations in the same order too, so
 * its gradients are bit-identical for the algebraic surrogates; the exp-based
 * ones (2, 4, 6) may differ from JavaScript's Math.exp by an ulp and are
 * compared to float32 rounding. Recurrent and smooth configurations exercise
 * the TypeScript fallback. Both firing rules run on tie data too (eighths, where
 * the membrane lands exactly on θ).
 */

interface Case {
  cfg: LifConfig;
  recurrent: boolean;
  /** Which parameter gradients the call asks for (the op passes null for a parameter that is not learnable). */
  params: 'both' | 'beta' | 'none';
  /** Inputs and state in eighths, β ∈ {½, ¾}, θ ∈ {½, 1}: h = θ (and v = θ for R) at many elements. */
  ties?: boolean;
}

const EXP_SURROGATES: ReadonlySet<number> = new Set([SurrogateId.sigmoid, SurrogateId.piecewiseExponential, SurrogateId.erf]);

function cases(): Case[] {
  const out: Case[] = [];
  const sur = (id: number, smooth = false) => ({ id, p0: id === SurrogateId.triangle ? 1.5 : 2.5, p1: 0.7, smooth });
  let i = 0;
  for (const [T, B, F] of [[1, 1, 5], [6, 3, 7], [4, 1, 16], [5, 2, 9], [3, 4, 1], [2, 5, 1]] as const) {
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      for (const delayedReset of [true, false]) {
        if (!delayedReset && resetMode === ResetMode.zeroAfter) continue;
        i++;
        out.push({
          cfg: {
            T, B, F, resetMode, delayedReset, detachReset: i % 3 === 0, inputLeak: i % 4 === 1, vReset: i % 5 === 2 ? -0.2 : 0,
            betaPerNeuron: i % 2 === 0, thresholdPerNeuron: i % 3 === 1, recPerNeuron: false, surrogate: sur(i % 11),
          },
          recurrent: false,
          params: i % 7 === 3 ? 'none' : i % 7 === 5 ? 'beta' : 'both',
        });
      }
    }
  }
  // snnTorch's same-step form (correctedReset) over the same shapes and options.
  let j = 0;
  for (const [T, B, F] of [[1, 1, 5], [6, 3, 7], [4, 1, 16], [5, 2, 9], [3, 4, 1], [2, 5, 1]] as const) {
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      j++;
      out.push({
        cfg: {
          T, B, F, resetMode, delayedReset: false, correctedReset: true, detachReset: j % 3 === 0, inputLeak: j % 4 === 1, vReset: j % 5 === 2 ? -0.2 : 0,
          betaPerNeuron: j % 2 === 0, thresholdPerNeuron: j % 3 === 1, recPerNeuron: false, surrogate: sur(j % 11),
        },
        recurrent: false,
        params: j % 7 === 3 ? 'none' : j % 7 === 5 ? 'beta' : 'both',
      });
    }
  }
  // Delayed reset with per-layer β/θ (the SIMD backward) with every surrogate and reset mode, odd and even B·F.
  for (let id = 0; id <= 10; id++) {
    for (const [T, B, F] of [[7, 3, 11], [3, 2, 8], [1, 1, 1]] as const) {
      const resetMode = ([ResetMode.zero, ResetMode.subtract, ResetMode.zeroAfter, ResetMode.none] as const)[(id + B) % 4]!;
      out.push({
        cfg: {
          T, B, F, resetMode, delayedReset: true, detachReset: (id + F) % 2 === 0, inputLeak: id % 4 === 2, vReset: id % 5 === 1 ? -0.2 : 0,
          betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: sur(id),
        },
        recurrent: false,
        params: (id + T) % 3 === 0 ? 'none' : 'both',
      });
    }
  }
  // The benchmark's configuration (fast sigmoid, subtract, detached, no parameter gradients: the specialized loop).
  for (const [T, B, F] of [[5, 4, 10], [4, 3, 5]] as const) {
    out.push({
      cfg: { T, B, F, resetMode: ResetMode.subtract, delayedReset: true, detachReset: true, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: { id: SurrogateId.fastSigmoid, p0: 25, p1: 0, smooth: false } },
      recurrent: false,
      params: 'none',
    });
  }
  // Ties under both firing rules: every reset timing and mode, per-layer (SIMD) and per-neuron parameters, odd and even B·F.
  let k = 0;
  for (const fireAtThreshold of [false, true]) {
    for (const [T, B, F] of [[6, 3, 7], [5, 2, 8]] as const) {
      for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
        for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
          k++;
          out.push({
            cfg: {
              T, B, F, resetMode, delayedReset, correctedReset, fireAtThreshold, detachReset: k % 2 === 0, inputLeak: k % 3 === 1, vReset: k % 4 === 2 ? 0.25 : 0,
              betaPerNeuron: k % 5 === 1, thresholdPerNeuron: k % 5 === 1, recPerNeuron: false, surrogate: sur(k % 11),
            },
            recurrent: false,
            params: k % 7 === 3 ? 'none' : 'both',
            ties: true,
          });
        }
      }
    }
  }
  // Fallbacks: one-to-one recurrence and the smooth test forward.
  out.push({ cfg: { T: 4, B: 2, F: 5, resetMode: 1, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: true, surrogate: sur(0) }, recurrent: true, params: 'both' });
  out.push({ cfg: { T: 4, B: 2, F: 5, resetMode: 1, delayedReset: false, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: sur(1, true) }, recurrent: false, params: 'both' });
  return out;
}

function makeIO(b: Backend, c: Case, seed: number): LifBackwardIO {
  const { T, B, F } = c.cfg;
  const N = B * F, TN = T * N;
  const rng = new Rng(seed);
  const st = (n: number, lo: number, hi: number): Storage => b.fromArray(Array.from({ length: n }, () => rng.uniform(lo, hi)));
  const eighths = (n: number, lo: number, hi: number): Storage => b.fromArray(Array.from({ length: n }, () => Math.round(rng.uniform(lo, hi) * 8) / 8));
  const pick = (n: number, values: number[]): Storage => b.fromArray(Array.from({ length: n }, () => values[Math.floor(rng.uniform(0, values.length))]!));
  return {
    x: c.ties ? eighths(TN, -0.5, 1.5) : st(TN, -0.5, 1.5),
    v0: c.ties ? eighths(N, -0.5, 1.5) : st(N, -0.5, 1.5),
    s0: c.recurrent ? b.fromArray(randomValues(rng, N, 0.5)) : null,
    beta: c.ties ? pick(c.cfg.betaPerNeuron ? F : 1, [0.5, 0.75]) : st(c.cfg.betaPerNeuron ? F : 1, 0.5, 0.95),
    threshold: c.ties ? pick(c.cfg.thresholdPerNeuron ? F : 1, [0.5, 1]) : st(c.cfg.thresholdPerNeuron ? F : 1, 0.6, 1.2),
    recV: c.recurrent ? st(F, -0.5, 0.5) : null,
    recW: null,
    spikes: b.alloc(TN),
    mask: new Uint8Array(TN),
    h: b.alloc(TN),
    v: c.cfg.delayedReset ? null : b.alloc(TN),
    rec: null,
    gSpikes: st(TN, -1, 1),
    gMem: seed % 2 === 0 ? st(TN, -1, 1) : null,
    dx: b.alloc(TN),
    dv0: b.alloc(N),
    ds0: c.recurrent ? b.alloc(N) : null,
    dBeta: c.params !== 'none' ? b.alloc(c.cfg.betaPerNeuron ? F : 1) : null,
    dThreshold: c.params === 'both' ? b.alloc(c.cfg.thresholdPerNeuron ? F : 1) : null,
    dRecV: c.recurrent ? b.alloc(F) : null,
    dRecW: null,
  };
}

/** Bit-identical (Object.is per element, so −0 ≠ +0) or, for the exp-based surrogates, equal to float32 rounding. */
function assertGrad(exact: boolean, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, what: string): void {
  if (exact) assert.deepEqual(Array.from(actual), Array.from(expected), what);
  else assertClose(actual, expected, atol, 2e-6, what);
}

test('wasm LIF forward equals the reference; backward is bit-identical (algebraic surrogates) or agrees to float32 rounding', () => {
  let seed = 10;
  for (const c of cases()) {
    seed++;
    const what = JSON.stringify(c.cfg) + ` params=${c.params}`;
    const w = makeIO(wasm, c, seed), t = makeIO(ts, c, seed);
    runLifForward(wasm, c.cfg, w);
    runLifForward(ts, c.cfg, t);
    assert.deepEqual(Array.from(w.h.data), Array.from(t.h.data), `h ${what}`);
    assert.deepEqual(Array.from(w.spikes.data), Array.from(t.spikes.data), `spikes ${what}`);
    assert.deepEqual(Array.from(w.mask), Array.from(t.mask), `mask ${what}`);
    if (w.v && t.v) assert.deepEqual(Array.from(w.v.data), Array.from(t.v.data), `v ${what}`);
    runLifBackward(wasm, c.cfg, w);
    runLifBackward(ts, c.cfg, t);
    const exact = !c.recurrent && !c.cfg.surrogate.smooth && !EXP_SURROGATES.has(c.cfg.surrogate.id);
    const tol = 2e-6 * Math.sqrt(c.cfg.T * c.cfg.B * c.cfg.F);
    assertGrad(exact, w.dx!.data, t.dx!.data, 2e-6, `dx ${what}`);
    assertGrad(exact, w.dv0!.data, t.dv0!.data, 2e-6, `dv0 ${what}`);
    if (t.dBeta) assertGrad(exact, w.dBeta!.data, t.dBeta.data, tol, `dBeta ${what}`);
    if (t.dThreshold) assertGrad(exact, w.dThreshold!.data, t.dThreshold.data, tol, `dThreshold ${what}`);
    if (w.dRecV && t.dRecV) assertClose(w.dRecV.data, t.dRecV.data, 1e-6, 1e-6, `dRecV ${what}`);
  }
});

test('the SIMD backward (per-layer β/θ) equals the scalar kernel bit for bit, exp-based surrogates included', () => {
  // Per-neuron β/θ holding one value each routes the same problem to the scalar kernel.
  const asPerNeuron = (io: LifBackwardIO, F: number): LifBackwardIO => ({
    ...io,
    beta: wasm.fromArray(Array<number>(F).fill(io.beta.data[0]!)),
    threshold: wasm.fromArray(Array<number>(F).fill(io.threshold.data[0]!)),
    dx: wasm.alloc(io.dx!.length),
    dv0: wasm.alloc(io.dv0!.length),
    dBeta: wasm.alloc(F),
    dThreshold: wasm.alloc(F),
  });
  let seed = 500;
  for (const c of cases()) {
    const { cfg } = c;
    if (c.recurrent || cfg.surrogate.smooth || !cfg.delayedReset || cfg.betaPerNeuron || cfg.thresholdPerNeuron) continue;
    seed++;
    const what = JSON.stringify(cfg);
    const simd = makeIO(wasm, { ...c, params: 'both' }, seed);
    runLifForward(wasm, cfg, simd);
    const scalar = asPerNeuron(simd, cfg.F);
    runLifBackward(wasm, cfg, simd);
    runLifBackward(wasm, { ...cfg, betaPerNeuron: true, thresholdPerNeuron: true }, scalar);
    assert.deepEqual(Array.from(simd.dx!.data), Array.from(scalar.dx!.data), `dx ${what}`);
    assert.deepEqual(Array.from(simd.dv0!.data), Array.from(scalar.dv0!.data), `dv0 ${what}`);
  }
});

test('wasm LIF backward skips parameter gradients nobody asked for and still fills the requested one', () => {
  const c = cases().find((k) => k.params === 'beta' && k.cfg.delayedReset && !k.cfg.betaPerNeuron && !k.cfg.thresholdPerNeuron);
  assert.ok(c, 'a SIMD case that asks for dβ only');
  const w = makeIO(wasm, c, 77), t = makeIO(ts, c, 77);
  runLifForward(wasm, c.cfg, w);
  runLifForward(ts, c.cfg, t);
  runLifBackward(wasm, c.cfg, w);
  runLifBackward(ts, c.cfg, t);
  assert.equal(w.dThreshold, null);
  assertGrad(!EXP_SURROGATES.has(c.cfg.surrogate.id), w.dBeta!.data, t.dBeta!.data, 1e-5, 'dBeta');
});

test('wasm LIF tie data: the two firing rules disagree somewhere (the tie cases are not vacuous)', () => {
  const c = cases().find((k) => k.ties && k.cfg.fireAtThreshold && k.cfg.resetMode === ResetMode.zero && !k.cfg.delayedReset)!;
  const masks = [false, true].map((fireAtThreshold) => {
    const w = makeIO(wasm, c, 5);
    runLifForward(wasm, { ...c.cfg, fireAtThreshold }, w);
    return Array.from(w.mask);
  });
  assert.ok(masks[0]!.some((m, i) => m !== masks[1]![i]), 'h = θ somewhere');
});

test('wasm LIF spikes really fire in the test data (the comparison is not vacuous)', () => {
  const c = cases()[5]!;
  const w = makeIO(wasm, c, 3);
  runLifForward(wasm, c.cfg, w);
  const fired = w.mask.reduce((a, b) => a + b, 0);
  assert.ok(fired > 0 && fired < w.mask.length, `fired ${fired} of ${w.mask.length}`);
});
