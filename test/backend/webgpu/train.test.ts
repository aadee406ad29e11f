// Optimizer updates and clamp on webgpu against the ts reference over several
// steps (every option: momentum, dampening, Nesterov, weight decay, AdamW,
// AMSGrad). Tolerance 1e-5 relative to 1 + |expected| on parameters and
// buffers: float32 steps on the GPU against double expressions rounded once
// per store, and sqrt/divide rounding, compounding over five steps.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createTsBackend } from '../../../src/backend/ts/backend.js';
import type { AdamHyper, SgdHyper } from '../../../src/backend/kernels/train.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertNear, randoms, readBack, webgpuOrSkip } from './helpers.js';

const ts = createTsBackend('float32');
const STEPS = 5;

test('sgdStep matches ts over five steps with every option (1e-5)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(7);
  const n = 1000;
  const hypers: [SgdHyper, boolean][] = [
    [{ lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, false],
    [{ lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 1e-2 }, true],
    [{ lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 }, true],
  ];
  for (const [h, withBuf] of hypers) {
    const p0 = randoms(rng, n);
    const pg = be.fromArray(p0), pt = ts.fromArray(p0);
    const bg = withBuf ? be.alloc(n) : null, bt = withBuf ? ts.alloc(n) : null;
    for (let s = 0; s < STEPS; s++) {
      const g = randoms(rng, n);
      be.sgdStep(pg, be.fromArray(g), bg, s === 0, h);
      ts.sgdStep(pt, ts.fromArray(g), bt, s === 0, h);
    }
    assertNear(await readBack(be, pg), pt.data, 1e-5, `sgd param ${JSON.stringify(h)}`);
    if (bg && bt) assertNear(await readBack(be, bg), bt.data, 1e-5, `sgd momentum ${JSON.stringify(h)}`);
  }
});

test('adamStep matches ts over five steps: Adam, L2 decay, AdamW, AMSGrad (1e-5)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(8);
  const n = 777;
  const hypers: [AdamHyper, boolean][] = [
    [{ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }, false],
    [{ lr: 2e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false }, false],
    [{ lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, decoupled: true }, false],
    [{ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }, true],
  ];
  for (const [h, ams] of hypers) {
    const p0 = randoms(rng, n);
    const pg = be.fromArray(p0), pt = ts.fromArray(p0);
    const [mg, vg, xg] = [be.alloc(n), be.alloc(n), ams ? be.alloc(n) : null];
    const [mt, vt, xt] = [ts.alloc(n), ts.alloc(n), ams ? ts.alloc(n) : null];
    for (let s = 1; s <= STEPS; s++) {
      const g = randoms(rng, n, -1 / s, 1 / s);
      be.adamStep(pg, be.fromArray(g), mg, vg, xg, s, h);
      ts.adamStep(pt, ts.fromArray(g), mt, vt, xt, s, h);
    }
    const what = `${JSON.stringify(h)} amsgrad=${ams}`;
    assertNear(await readBack(be, pg), pt.data, 1e-5, `adam param ${what}`);
    assertNear(await readBack(be, mg), mt.data, 1e-5, `adam m ${what}`);
    assertNear(await readBack(be, vg), vt.data, 1e-5, `adam v ${what}`);
    if (xg && xt) assertNear(await readBack(be, xg), xt.data, 1e-5, `adam vMax ${what}`);
  }
});

test('clamp matches ts exactly, NaN kept', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const v = [-3, -0.5, 0, 0.25, 2, NaN, Infinity, -Infinity];
  const g = be.fromArray(v), r = ts.fromArray(v);
  be.clamp(g, -1, 1);
  ts.clamp(r, -1, 1);
  assert.deepEqual([...(await readBack(be, g))], [...r.data]);
});

test('the device-side cross-entropy forms match ts (loss and probabilities 1e-5, gradient 1e-6)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(9);
  for (const [R, C, B] of [[1, 1, 1], [12, 10, 4], [300, 7, 300]] as const) {
    const logits = randoms(rng, R * C, -8, 8);
    const targets = Int32Array.from({ length: B }, () => rng.int(C));
    const gLoss = [rng.uniform(0.5, 2)];
    const pg = be.alloc(R * C), pt = ts.alloc(R * C);
    const og = be.alloc(3), ot = ts.alloc(3);
    be.crossEntropyRowsInto(R, C, be.fromArray(logits), targets, pg, B, og, 2);
    ts.crossEntropyRowsInto(R, C, ts.fromArray(logits), targets, pt, B, ot, 2);
    const what = `R=${R} C=${C} B=${B}`;
    assertNear(await readBack(be, og), ot.data, 1e-5, `loss ${what}`);
    assertNear(await readBack(be, pg), pt.data, 1e-5, `probabilities ${what}`);
    const dg = be.alloc(R * C), dt = ts.alloc(R * C);
    be.crossEntropyRowsBackwardFrom(R, C, pg, targets, be.fromArray(gLoss), B, dg);
    ts.crossEntropyRowsBackwardFrom(R, C, pt, targets, ts.fromArray(gLoss), B, dt);
    assertNear(await readBack(be, dg), dt.data, 1e-6, `gradient ${what}`);
  }
  assert.throws(() => be.crossEntropyRowsInto(1, 3, be.alloc(3), Int32Array.from([3]), be.alloc(3), 1, be.alloc(1), 0), /target 3 at 0 is not a class index in \[0, 3\)/);
});

test('countCorrectInto counts as predictFromScores decides (first maximum on ties, silent rows predict class 0), exactly, on webgpu and ts', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(9);
  const [R, C] = [300, 10];
  // Spike counts: small integers, so ties are common; every tenth row silent.
  const scores = new Float32Array(R * C);
  for (let i = 0; i < scores.length; i++) scores[i] = Math.floor(rng.random() * 4);
  for (let r = 0; r < R; r += 10) scores.fill(0, r * C, (r + 1) * C);
  const targets = Int32Array.from({ length: R }, () => Math.floor(rng.random() * C));
  let expected = 0;
  for (let r = 0; r < R; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[r * C + c]! > scores[r * C + best]!) best = c;
    if (best === targets[r]) expected++;
  }
  assert.ok(expected > 0 && expected < R);
  const want = ts.alloc(3);
  ts.countCorrectInto(R, C, ts.fromArray(scores), targets, want, 2);
  assert.equal(want.data[2], expected, 'ts');
  const got = be.alloc(3);
  be.countCorrectInto(R, C, be.fromArray(scores), targets, got, 2);
  assert.deepEqual([...(await readBack(be, got))], [0, 0, expected], 'webgpu (the other slots untouched)');
  assert.throws(() => be.countCorrectInto(R, C, be.fromArray(scores), targets.subarray(1), got, 0), /299 targets for 300 rows/);
});
