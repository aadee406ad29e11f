import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import type { Backend } from '../../src/backend/backend.js';
import type { Storage } from '../../src/backend/storage.js';
import { ResetMode, SurrogateId, type LifBackwardIO, type LifConfig } from '../../src/backend/kernels/neuron.js';
import { assertClose } from '../helpers.js';
import { randomValues, ts, wasm } from './util.js';

/*
 * The wasm LIF scans against the reference over the configuration space they
 * cover (non-recurrent, Heaviside): reset modes, delayed and same-step reset,
 * per-layer and per-neuron β/θ, input leak, vReset, every surrogate, T = 1 and
 * batch 1. Forward traces and spikes must be identical (same f64 arithmetic,
 * same f32 stores); backward gradients agree to float32 rounding of the
 * carries (both carry in f64; transcendental surrogates may differ by an ulp).
 * Recurrent and smooth configurations exercise the TypeScript fallback.
 */

interface Case {
  cfg: LifConfig;
  recurrent: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  const sur = (id: number, smooth = false) => ({ id, p0: id === SurrogateId.triangle ? 1.5 : 2.5, p1: 0.7, smooth });
  let i = 0;
  for (const [T, B, F] of [[1, 1, 5], [6, 3, 7], [4, 1, 16], [5, 2, 9]] as const) {
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
        });
      }
    }
  }
  // The common snnTorch Leaky configuration (the SIMD path) with every surrogate.
  for (let id = 0; id <= 10; id++) {
    out.push({
      cfg: { T: 7, B: 3, F: 11, resetMode: id % 3 === 0 ? ResetMode.zero : ResetMode.subtract, delayedReset: true, detachReset: id % 2 === 0, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: sur(id) },
      recurrent: false,
    });
  }
  // Fallbacks: one-to-one recurrence and the smooth test forward.
  out.push({ cfg: { T: 4, B: 2, F: 5, resetMode: 1, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: true, surrogate: sur(0) }, recurrent: true });
  out.push({ cfg: { T: 4, B: 2, F: 5, resetMode: 1, delayedReset: false, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: sur(1, true) }, recurrent: false });
  return out;
}

function makeIO(b: Backend, c: Case, seed: number): LifBackwardIO {
  const { T, B, F } = c.cfg;
  const N = B * F, TN = T * N;
  const rng = new Rng(seed);
  const st = (n: number, lo: number, hi: number): Storage => b.fromArray(Array.from({ length: n }, () => rng.uniform(lo, hi)));
  return {
    x: st(TN, -0.5, 1.5),
    v0: st(N, -0.5, 1.5),
    s0: c.recurrent ? b.fromArray(randomValues(rng, N, 0.5)) : null,
    beta: st(c.cfg.betaPerNeuron ? F : 1, 0.5, 0.95),
    threshold: st(c.cfg.thresholdPerNeuron ? F : 1, 0.6, 1.2),
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
    dBeta: b.alloc(c.cfg.betaPerNeuron ? F : 1),
    dThreshold: b.alloc(c.cfg.thresholdPerNeuron ? F : 1),
    dRecV: c.recurrent ? b.alloc(F) : null,
    dRecW: null,
  };
}

test('wasm LIF forward equals the reference and backward agrees to float32 rounding', () => {
  let seed = 10;
  for (const c of cases()) {
    seed++;
    const what = JSON.stringify(c.cfg);
    const w = makeIO(wasm, c, seed), t = makeIO(ts, c, seed);
    wasm.lifForward(c.cfg, w);
    ts.lifForward(c.cfg, t);
    assert.deepEqual(Array.from(w.h.data), Array.from(t.h.data), `h ${what}`);
    assert.deepEqual(Array.from(w.spikes.data), Array.from(t.spikes.data), `spikes ${what}`);
    assert.deepEqual(Array.from(w.mask), Array.from(t.mask), `mask ${what}`);
    if (w.v && t.v) assert.deepEqual(Array.from(w.v.data), Array.from(t.v.data), `v ${what}`);
    wasm.lifBackward(c.cfg, w);
    ts.lifBackward(c.cfg, t);
    const tol = (n: number) => 2e-6 * Math.sqrt(n);
    assertClose(w.dx!.data, t.dx!.data, 2e-6, 2e-6, `dx ${what}`);
    assertClose(w.dv0!.data, t.dv0!.data, 2e-6, 2e-6, `dv0 ${what}`);
    assertClose(w.dBeta!.data, t.dBeta!.data, tol(c.cfg.T * c.cfg.B * c.cfg.F), 2e-6, `dBeta ${what}`);
    assertClose(w.dThreshold!.data, t.dThreshold!.data, tol(c.cfg.T * c.cfg.B * c.cfg.F), 2e-6, `dThreshold ${what}`);
    if (w.dRecV && t.dRecV) assertClose(w.dRecV.data, t.dRecV.data, 1e-6, 1e-6, `dRecV ${what}`);
  }
});

test('wasm LIF spikes really fire in the test data (the comparison is not vacuous)', () => {
  const c = cases()[5]!;
  const w = makeIO(wasm, c, 3);
  wasm.lifForward(c.cfg, w);
  const fired = w.mask.reduce((a, b) => a + b, 0);
  assert.ok(fired > 0 && fired < w.mask.length, `fired ${fired} of ${w.mask.length}`);
});
