import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../../src/backend/registry.js';
import type { Backend } from '../../../src/backend/backend.js';
import type { PoolMode, WindowGeometry } from '../../../src/backend/kernels/conv.js';
import type { Storage } from '../../../src/backend/storage.js';
import { tsConvKernels } from '../../../src/backend/ts/conv.js';
import { backward } from '../../../src/autograd/tape.js';
import { ShapeError } from '../../../src/errors.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Sequential } from '../../../src/nn/containers.js';
import { Conv2d } from '../../../src/nn/conv.js';
import { Dropout } from '../../../src/nn/dropout.js';
import { Flatten } from '../../../src/nn/flatten.js';
import { Linear } from '../../../src/nn/linear.js';
import { BatchNorm2d } from '../../../src/nn/norm.js';
import { AvgPool2d, MaxPool2d } from '../../../src/nn/pool.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Adam } from '../../../src/train/optim/index.js';
import { pair, randomValues, ts, wasm } from './util.js';

/*
 * Every conv-family kernel of the wasm backend against the TypeScript
 * reference on the same inputs. They round in the same places, so results
 * must be identical: compared with deepStrictEqual on the float values (which
 * tells −0 from 0; any NaN equals any NaN).
 */

function same(w: Storage, t: Storage, what: string): void {
  assert.deepStrictEqual(Array.from(w.data), Array.from(t.data), what);
}

/** [H, W, kh, kw, sh, sw, ph, pw, dh, dw, trailing pad h, trailing pad w] → geometry (null when no output fits). */
type GeoSpec = readonly [number, number, number, number, number, number, number, number, number, number, number, number];

function geometry([H, W, kh, kw, sh, sw, ph, pw, dh, dw, th, tw]: GeoSpec): WindowGeometry | null {
  const Ho = Math.floor((H + ph + th - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pw + tw - dw * (kw - 1) - 1) / sw) + 1;
  return Ho > 0 && Wo > 0 ? { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } : null;
}

const show = (g: WindowGeometry): string =>
  `H${g.H}W${g.W} k${g.kh}x${g.kw} s${g.sh},${g.sw} p${g.ph},${g.pw} d${g.dh},${g.dw} → ${g.Ho}x${g.Wo}`;

const WINDOWS: GeoSpec[] = [
  [5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1],
  [6, 9, 3, 2, 2, 3, 1, 0, 1, 2, 1, 0],
  [1, 17, 1, 5, 1, 2, 0, 2, 1, 3, 0, 2], // 1-D
  [1, 10, 1, 4, 1, 1, 0, 1, 1, 1, 0, 2], // 1-D, asymmetric 'same'
  [4, 4, 5, 5, 1, 1, 2, 2, 1, 1, 2, 2], // window larger than the input
  [3, 5, 2, 3, 2, 1, 0, 3, 2, 1, 0, 3],
  [7, 6, 3, 3, 3, 2, 2, 1, 2, 2, 2, 1],
  [1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1],
  [8, 8, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0],
  [9, 12, 4, 4, 1, 1, 1, 2, 1, 1, 2, 1], // even kernel, asymmetric padding
  [3, 3, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2], // some windows entirely in the padding
  [28, 28, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0],
  [24, 24, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0], // the usual 2×2 pooling
  [6, 23, 2, 3, 2, 2, 0, 1, 1, 2, 0, 1], // wide rows with stride and dilation (four-window max pooling)
  [5, 19, 3, 2, 1, 3, 1, 0, 2, 1, 1, 2],
];

test('wasm im2col / col2im match the reference: strides, padding, dilation, 1-D, group ranges, offsets, accumulation', () => {
  const rng = new Rng(21);
  const C = 5;
  for (const spec of WINDOWS) {
    const g = geometry(spec);
    if (!g) continue;
    const plane = g.H * g.W, P = g.Ho * g.Wo;
    for (const [c0, cg] of [[0, C], [2, 3], [4, 1]] as const) {
      for (const n of [1, 3]) {
        const xOff = rng.int(4);
        const what = `${show(g)} c0=${c0} cg=${cg} n=${n} off=${xOff}`;
        const x = pair(randomValues(rng, xOff + n * C * plane + 2));
        const cols = pair(randomValues(rng, cg * g.kh * g.kw * n * P + 3));
        wasm.im2col(g, C, c0, cg, n, x.w, xOff, cols.w);
        ts.im2col(g, C, c0, cg, n, x.t, xOff, cols.t);
        same(cols.w, cols.t, `im2col ${what}`);
        const back = pair(randomValues(rng, cg * g.kh * g.kw * n * P));
        // dx starts non-zero: col2im accumulates, so the order of additions per cell matters.
        wasm.col2im(g, C, c0, cg, n, back.w, x.w, xOff);
        ts.col2im(g, C, c0, cg, n, back.t, x.t, xOff);
        same(x.w, x.t, `col2im ${what}`);
      }
    }
  }
});

test('wasm swapAxes01 matches the reference (inner sizes around the v128 width, offsets)', () => {
  const rng = new Rng(22);
  for (const [A, B, inner] of [[1, 1, 1], [3, 5, 1], [4, 2, 3], [2, 7, 4], [5, 3, 5], [6, 4, 17], [16, 9, 64]] as const) {
    const so = rng.int(3), dOff = rng.int(3);
    const src = pair(randomValues(rng, so + A * B * inner)), dst = pair(randomValues(rng, dOff + A * B * inner + 1));
    wasm.swapAxes01(A, B, inner, src.w, so, dst.w, dOff);
    ts.swapAxes01(A, B, inner, src.t, so, dst.t, dOff);
    same(dst.w, dst.t, `swapAxes01 ${A}x${B}x${inner}`);
  }
});

const BLOCKS: readonly (readonly [number, number, number])[] = [[1, 1, 1], [1, 3, 7], [2, 4, 4], [3, 5, 9], [4, 2, 33], [1, 6, 1], [5, 3, 100], [0, 3, 4]];

test('wasm per-channel kernels match the reference: bias, sums, moments, centered dot, affine maps, broadcast multiply', () => {
  const rng = new Rng(23);
  for (const [N, C, P] of BLOCKS) {
    const what = `N${N} C${C} P${P}`;
    const n = N * C * P;
    const yOff = rng.int(3);
    const y = pair(randomValues(rng, yOff + n + 1)), bias = pair(randomValues(rng, C));
    wasm.addChannelBias(N, C, P, y.w, yOff, bias.w);
    ts.addChannelBias(N, C, P, y.t, yOff, bias.t);
    same(y.w, y.t, `addChannelBias ${what}`);

    // An offset far from zero makes the f64 accumulation and the two-pass variance visible in the last bits.
    const x = pair(randomValues(rng, n).map((v) => 1000 + 3 * v));
    const sums = pair(randomValues(rng, C));
    wasm.channelSums(N, C, P, x.w, sums.w);
    ts.channelSums(N, C, P, x.t, sums.t);
    same(sums.w, sums.t, `channelSums ${what}`);

    const mean = pair(randomValues(rng, C)), variance = pair(randomValues(rng, C));
    wasm.channelMoments(N, C, P, x.w, mean.w, variance.w);
    ts.channelMoments(N, C, P, x.t, mean.t, variance.t);
    same(mean.w, mean.t, `channelMoments mean ${what}`);
    same(variance.w, variance.t, `channelMoments variance ${what}`);

    const dy = pair(randomValues(rng, n)), sDy = pair(randomValues(rng, C)), sDyXc = pair(randomValues(rng, C));
    wasm.channelCenteredDot(N, C, P, dy.w, x.w, mean.w, sDy.w, sDyXc.w);
    ts.channelCenteredDot(N, C, P, dy.t, x.t, mean.t, sDy.t, sDyXc.t);
    same(sDy.w, sDy.t, `channelCenteredDot sumDy ${what}`);
    same(sDyXc.w, sDyXc.t, `channelCenteredDot sumDyXc ${what}`);

    const a = pair(randomValues(rng, C)), b = pair(randomValues(rng, C)), k = pair(randomValues(rng, C));
    const u = pair(randomValues(rng, n)), out = pair(randomValues(rng, n));
    wasm.channelAffine(N, C, P, u.w, a.w, b.w, out.w);
    ts.channelAffine(N, C, P, u.t, a.t, b.t, out.t);
    same(out.w, out.t, `channelAffine ${what}`);
    wasm.channelAffine(N, C, P, out.w, b.w, a.w, out.w); // in place
    ts.channelAffine(N, C, P, out.t, b.t, a.t, out.t);
    same(out.w, out.t, `channelAffine in place ${what}`);
    wasm.channelAffine2(N, C, P, u.w, dy.w, a.w, b.w, k.w, out.w);
    ts.channelAffine2(N, C, P, u.t, dy.t, a.t, b.t, k.t, out.t);
    same(out.w, out.t, `channelAffine2 ${what}`);

    const mask = pair(randomValues(rng, C * P, 0.6).map((v) => v / 0.6));
    wasm.mulBroadcast(N, C * P, u.w, mask.w, out.w);
    ts.mulBroadcast(N, C * P, u.t, mask.t, out.t);
    same(out.w, out.t, `mulBroadcast ${what}`);
  }
});

/** Inputs for pooling: few distinct values (ties), optionally with NaNs. */
function poolInput(rng: Rng, n: number, nans: boolean): number[] {
  return Array.from({ length: n }, () => (nans && rng.uniform(0, 1) < 0.08 ? NaN : rng.int(4) * 0.5 - 0.75));
}

test('wasm pool2d / pool2dBackward match the reference: max with ties and NaN, avg with and without countIncludePad, sum', () => {
  const rng = new Rng(24);
  for (const spec of WINDOWS) {
    const g = geometry(spec);
    if (!g) continue;
    const plane = g.H * g.W, outs = g.Ho * g.Wo;
    for (const planes of [1, 3]) {
      for (const [mode, cip, nans] of [['max', false, false], ['max', false, true], ['avg', false, false], ['avg', true, false], ['sum', false, true]] as const) {
        const what = `${mode}${cip ? ' countIncludePad' : ''}${nans ? ' NaN' : ''} ${show(g)} planes=${planes}`;
        const x = pair(poolInput(rng, planes * plane, nans));
        const y = pair(randomValues(rng, planes * outs));
        const arg = mode === 'max' ? pair(randomValues(rng, planes * outs)) : null;
        wasm.pool2d(mode, g, planes, cip, x.w, y.w, arg ? arg.w : null);
        ts.pool2d(mode, g, planes, cip, x.t, y.t, arg ? arg.t : null);
        same(y.w, y.t, `pool2d ${what}`);
        if (arg) same(arg.w, arg.t, `pool2d argmax ${what}`);
        const dy = pair(randomValues(rng, planes * outs)), dx = pair(randomValues(rng, planes * plane + 2));
        wasm.pool2dBackward(mode, g, planes, cip, dy.w, arg ? arg.w : null, dx.w);
        ts.pool2dBackward(mode, g, planes, cip, dy.t, arg ? arg.t : null, dx.t);
        same(dx.w, dx.t, `pool2dBackward ${what}`);
      }
    }
  }
});

test('wasm conv kernels fall back to the reference for storages of another backend, and refuse sizes that overrun a storage', () => {
  const g = geometry([4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1])!;
  const rng = new Rng(25);
  const xv = randomValues(rng, 2 * 16);
  const foreign = ts.fromArray(xv), cw = wasm.alloc(2 * 9 * 16), ct = ts.alloc(2 * 9 * 16);
  wasm.im2col(g, 2, 0, 2, 1, foreign, 0, cw);
  ts.im2col(g, 2, 0, 2, 1, ts.fromArray(xv), 0, ct);
  same(cw, ct, 'im2col from a ts storage into a wasm one');
  assert.throws(() => wasm.im2col(g, 2, 0, 2, 1, wasm.fromArray(xv), 1, cw), /im2col: x needs 33 elements/);
  assert.throws(() => wasm.col2im(g, 2, 0, 2, 1, wasm.alloc(9 * 16), wasm.alloc(32), 0), ShapeError);
  assert.throws(() => wasm.pool2d('max', g, 2, false, wasm.alloc(32), wasm.alloc(32), wasm.alloc(31)), /pool2d: argmax needs 32/);
  assert.throws(() => wasm.swapAxes01(2, 3, 4, wasm.alloc(24), 1, wasm.alloc(24), 0), ShapeError);
  assert.throws(() => wasm.channelAffine2(2, 3, 4, wasm.alloc(24), wasm.alloc(24), wasm.alloc(3), wasm.alloc(3), wasm.alloc(2), wasm.alloc(24)), /channelAffine2: k needs 3/);
  assert.throws(() => wasm.mulBroadcast(3, 4, wasm.alloc(12), wasm.alloc(4), wasm.alloc(11)), ShapeError);
});

/*
 * A small conv SNN (conv → BN → LIF → max pool → strided, dilated conv → LIF →
 * avg pool → dropout → linear → LIF) trained for a few Adam steps. Against the
 * wasm backend with the TypeScript conv kernels swapped back in, every loss
 * and spike count must be identical (only the conv kernels differ); against
 * the ts backend, losses agree to 1e-5 as in training.test.ts (GEMM sums
 * differ in the last bits).
 */

const T = 4, B = 3, STEPS = 4;

function convRun(b: Backend): { losses: number[]; spikes: number[] } {
  return withBackend(b, () => {
    const rng = new Rng(31);
    const model = new Sequential([
      new Conv2d(2, 6, 3, rng, { padding: 1 }),
      new BatchNorm2d(6),
      new LIF([6, 9, 9], { beta: 0.85, threshold: 0.5 }),
      new MaxPool2d(2, { stride: 2, padding: 1 }),
      new Conv2d(6, 8, 3, rng, { stride: 2, dilation: 2, padding: 2, groups: 2 }),
      new LIF([8, 3, 3], { beta: 0.85, threshold: 0.3 }),
      new AvgPool2d(2, { stride: 1 }),
      new Dropout(0.25, new Rng(5)),
      new Flatten(),
      new Linear(32, 4, rng),
      new LIF(4, { beta: 0.85, threshold: 0.05 }),
    ]);
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const data = new Rng(32);
    const losses: number[] = [], spikes: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const x = tensor(Array.from({ length: T * B * 2 * 9 * 9 }, () => data.uniform(0, 2)), [T, B, 2, 9, 9]);
      const y = Int32Array.from({ length: B }, () => data.int(4));
      model.resetState();
      const out = model.forward(x);
      const loss = ceRateLoss(out, y);
      losses.push(loss.item());
      spikes.push(b.sum(out.storage));
      opt.zeroGrad();
      backward(loss);
      opt.step();
    }
    return { losses, spikes };
  });
}

test('a conv SNN training run on wasm: identical to wasm with the TypeScript conv kernels, within 1e-5 of ts', () => {
  const w = convRun(wasm);
  const mixed = convRun({ ...wasm, ...tsConvKernels });
  assert.deepStrictEqual(w.losses, mixed.losses, 'losses with wasm vs TypeScript conv kernels');
  assert.deepStrictEqual(w.spikes, mixed.spikes, 'spike counts with wasm vs TypeScript conv kernels');
  const r = convRun(ts);
  assert.deepStrictEqual(w.spikes, r.spikes, 'spike counts per step against ts');
  for (let i = 0; i < STEPS; i++) assert.ok(Math.abs(w.losses[i]! - r.losses[i]!) <= 1e-5 * Math.abs(r.losses[i]!), `step ${i}: wasm ${w.losses[i]} vs ts ${r.losses[i]}`);
  assert.ok(r.spikes.some((c) => c > 0), 'the network spikes');
  assert.ok(new Set(r.losses).size > 2, 'the loss moves during training');
});
