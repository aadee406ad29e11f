// The webgpu fused LIF scan against the TypeScript reference kernel
// (src/neurons/lif/kernel.ts) over the configurations it covers
// (non-recurrent, Heaviside): every reset mode under the delayed reset and
// both same-step forms, per-layer and per-neuron β/θ, input leak, vReset,
// every surrogate, both firing rules (on tie data in eighths too, where the
// membrane lands exactly on θ), T = 1, B = 1, F = 1 and more than one
// workgroup of neurons. Tolerances, relative to 1 + |expected|:
//  - spikes: identical; h and v: 1e-5 (float32 steps on the GPU, one double
//    expression rounded once on the CPU; exact on the tie data);
//  - dx, dv0: 1e-4; dβ, dθ (sums over T·B): 1e-4 · √(T·B) (float32 carries
//    against the reference's float64, the GPU's float32 exp in the surrogate).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createTsBackend } from '../../../src/backend/ts/backend.js';
import type { Backend } from '../../../src/backend/backend.js';
import type { Storage } from '../../../src/backend/storage.js';
import { ResetMode, SurrogateId, type LifBackwardIO, type LifConfig } from '../../../src/backend/kernels/neuron.js';
import { runLifBackward, runLifForward } from '../../../src/neurons/lif/scan.js';
import { BackendError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertNear, readBack, webgpuOrSkip } from './helpers.js';

const ts = createTsBackend('float32');

interface Case {
  cfg: LifConfig;
  params: 'both' | 'beta' | 'none';
  ties?: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  const sur = (id: number) => ({ id, p0: id === SurrogateId.triangle ? 1.5 : 2.5, p1: 0.7, smooth: false });
  let i = 0;
  const shapes = [[1, 1, 5], [6, 3, 7], [4, 1, 16], [3, 4, 1], [5, 3, 200]] as const;
  for (const [T, B, F] of shapes) {
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
        if (!delayedReset && !correctedReset && resetMode === ResetMode.zeroAfter) continue;
        i++;
        out.push({
          cfg: {
            T, B, F, resetMode, delayedReset, correctedReset, detachReset: i % 3 === 0, inputLeak: i % 4 === 1, vReset: i % 5 === 2 ? -0.2 : 0,
            fireAtThreshold: i % 6 === 4, betaPerNeuron: i % 2 === 0, thresholdPerNeuron: i % 3 === 1, recPerNeuron: false, surrogate: sur(i % 11),
          },
          params: i % 7 === 3 ? 'none' : i % 7 === 5 ? 'beta' : 'both',
        });
      }
    }
  }
  let k = 0;
  for (const fireAtThreshold of [false, true]) {
    for (const resetMode of [ResetMode.none, ResetMode.subtract, ResetMode.zero, ResetMode.zeroAfter]) {
      for (const [delayedReset, correctedReset] of [[true, false], [false, false], [false, true]] as const) {
        k++;
        out.push({
          cfg: {
            T: 6, B: 3, F: 7, resetMode, delayedReset, correctedReset, fireAtThreshold, detachReset: k % 2 === 0, inputLeak: false, vReset: k % 4 === 2 ? 0.25 : 0,
            betaPerNeuron: k % 5 === 1, thresholdPerNeuron: k % 5 === 1, recPerNeuron: false, surrogate: sur(k % 11),
          },
          params: k % 7 === 3 ? 'none' : 'both',
          ties: true,
        });
      }
    }
  }
  // The benchmark's configuration, with more neurons than one row of workgroups.
  out.push({
    cfg: { T: 4, B: 16, F: 1100, resetMode: ResetMode.subtract, delayedReset: true, detachReset: true, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: sur(SurrogateId.fastSigmoid) },
    params: 'none',
  });
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
    s0: null,
    beta: c.ties ? pick(c.cfg.betaPerNeuron ? F : 1, [0.5, 0.75]) : st(c.cfg.betaPerNeuron ? F : 1, 0.5, 0.95),
    threshold: c.ties ? pick(c.cfg.thresholdPerNeuron ? F : 1, [0.5, 1]) : st(c.cfg.thresholdPerNeuron ? F : 1, 0.6, 1.2),
    recV: null,
    recW: null,
    spikes: b.alloc(TN),
    mask: new Uint8Array(TN),
    h: b.alloc(TN),
    // As the op passes it: a separate post-reset trace only for a same-step reset that changes the membrane (sameStepTrace).
    v: !c.cfg.delayedReset && c.cfg.resetMode !== ResetMode.none ? b.alloc(TN) : null,
    rec: null,
    gSpikes: seed % 3 === 1 ? null : st(TN, -1, 1),
    gMem: seed % 2 === 0 ? st(TN, -1, 1) : null,
    dx: seed % 5 === 4 ? null : b.alloc(TN),
    dv0: b.alloc(N),
    ds0: null,
    dBeta: c.params !== 'none' ? b.alloc(c.cfg.betaPerNeuron ? F : 1) : null,
    dThreshold: c.params === 'both' ? b.alloc(c.cfg.thresholdPerNeuron ? F : 1) : null,
    dRecV: null,
    dRecW: null,
  };
}

test('webgpu LIF forward and backward match the reference (spikes identical, traces 1e-5, gradients 1e-4)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  let seed = 10;
  for (const c of cases()) {
    seed++;
    const what = JSON.stringify(c.cfg) + ` params=${c.params} seed=${seed}`;
    const g = makeIO(be, c, seed), r = makeIO(ts, c, seed);
    runLifForward(be, c.cfg, g);
    runLifForward(ts, c.cfg, r);
    assert.deepEqual([...(await readBack(be, g.spikes))], [...r.spikes.data], `spikes ${what}`);
    assertNear(await readBack(be, g.h), r.h.data, c.ties ? 0 : 1e-5, `h ${what}`);
    if (g.v && r.v) assertNear(await readBack(be, g.v), r.v.data, c.ties ? 0 : 1e-5, `v ${what}`);
    runLifBackward(be, c.cfg, g);
    runLifBackward(ts, c.cfg, r);
    const sumTol = 1e-4 * Math.sqrt(c.cfg.T * c.cfg.B);
    if (r.dx) assertNear(await readBack(be, g.dx!), r.dx.data, 1e-4, `dx ${what}`);
    assertNear(await readBack(be, g.dv0!), r.dv0!.data, 1e-4, `dv0 ${what}`);
    if (r.dBeta) assertNear(await readBack(be, g.dBeta!), r.dBeta.data, sumTol, `dBeta ${what}`);
    if (r.dThreshold) assertNear(await readBack(be, g.dThreshold!), r.dThreshold.data, sumTol, `dThreshold ${what}`);
  }
});

test('webgpu LIF refuses what it has no kernel for, naming it', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const cfg: LifConfig = {
    T: 2, B: 1, F: 3, resetMode: ResetMode.subtract, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0,
    betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: { id: 0, p0: 25, p1: 0, smooth: false },
  };
  const io = makeIO(be, { cfg, params: 'both' }, 1);
  assert.throws(() => runLifForward(be, cfg, { ...io, recV: be.fromArray([0.5]), s0: be.alloc(3) }), (e: unknown) => e instanceof BackendError && /recurrent LIF/.test(e.message));
  assert.throws(() => runLifForward(be, { ...cfg, surrogate: { ...cfg.surrogate, smooth: true } }, io), (e: unknown) => e instanceof BackendError && /smooth test forward/.test(e.message));
  assert.throws(() => runLifBackward(be, { ...cfg, surrogate: { ...cfg.surrogate, id: 99 } }, io), (e: unknown) => e instanceof BackendError && /unknown surrogate id 99/.test(e.message));
});
