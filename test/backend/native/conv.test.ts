import test from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/backend/backend.js';
import type { PoolMode, WindowGeometry } from '../../../src/backend/kernels/conv.js';
import { packGeometry } from '../../../src/backend/native/conv.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { backward } from '../../../src/autograd/tape.js';
import { buildModel, type LayerConfig } from '../../../src/nn/builder.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Adam } from '../../../src/train/optim/index.js';
import { addon, assertSameBits, forEachIsa, native, randArray, skipReason, spikeArray, st } from './setup.js';

/*
 * Every native conv-family kernel against the TypeScript reference, bit for
 * bit, on awkward geometries; then argument checking; then a small conv SNN
 * trained on both backends.
 */

const ts = getBackendByName('ts');

/** Runs fn on both backends with its own copies of the inputs and compares every array it returns. */
function sameOnBoth(what: string, fn: (be: Backend) => Float32Array[]): void {
  const got = fn(native());
  const want = fn(ts);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assertSameBits(g, want[i]!, `${what} [${i}]`));
}

/** A geometry with PyTorch's output size; `extra` adds trailing padding (asymmetric 'same'). */
function geometry(H: number, W: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], extra: [number, number] = [0, 0]): WindowGeometry {
  const out = (n: number, i: 0 | 1): number => Math.floor((n + 2 * p[i] + extra[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1;
  const g = { H, W, kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], Ho: out(H, 0), Wo: out(W, 1) };
  assert.ok(g.Ho >= 1 && g.Wo >= 1, `bad test geometry ${JSON.stringify(g)}`);
  return g;
}

const fmt = (g: WindowGeometry): string =>
  `${g.H}x${g.W} k${g.kh}x${g.kw} s${g.sh},${g.sw} p${g.ph},${g.pw} d${g.dh},${g.dw} -> ${g.Ho}x${g.Wo}`;

/** Hand-picked corners: 1-D, kernel larger than the input, strides past the kernel, dilation, odd sizes. */
const FIXED: WindowGeometry[] = [
  geometry(28, 28, [5, 5], [1, 1], [0, 0], [1, 1]),
  geometry(1, 17, [1, 3], [1, 1], [0, 1], [1, 1]),
  geometry(1, 13, [1, 4], [1, 3], [0, 2], [1, 2]),
  geometry(3, 2, [5, 5], [1, 1], [2, 2], [1, 1]),
  geometry(2, 3, [7, 5], [2, 1], [3, 2], [1, 1]),
  geometry(7, 9, [3, 3], [4, 5], [1, 1], [1, 1]),
  geometry(9, 11, [3, 2], [2, 3], [2, 1], [2, 3]),
  geometry(5, 5, [3, 3], [1, 1], [1, 1], [1, 1], [1, 0]),
  geometry(1, 1, [1, 1], [1, 1], [0, 0], [1, 1]),
  geometry(6, 4, [4, 4], [1, 1], [0, 0], [1, 1]),
];

function randomGeometry(rng: Rng): WindowGeometry {
  for (;;) {
    const H = 1 + rng.int(12), W = 1 + rng.int(12);
    const k: [number, number] = [1 + rng.int(5), 1 + rng.int(5)];
    const s: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const d: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
    const p: [number, number] = [rng.int(k[0]), rng.int(k[1])];
    const extra: [number, number] = [rng.int(2), rng.int(2)];
    const out = (n: number, i: 0 | 1): number => Math.floor((n + 2 * p[i] + extra[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1;
    if (out(H, 0) >= 1 && out(W, 1) >= 1) return geometry(H, W, k, s, p, d, extra);
  }
}

function geometries(rng: Rng, random: number): WindowGeometry[] {
  return [...FIXED, ...Array.from({ length: random }, () => randomGeometry(rng))];
}

test('im2col and col2im are bit-identical to the TypeScript kernels (groups, offsets, padding, dilation)', { skip: skipReason }, () => {
  const rng = new Rng(101);
  for (const g of geometries(rng, 40)) {
    const C = 1 + rng.int(5);
    const cg = 1 + rng.int(C);
    const c0 = rng.int(C - cg + 1);
    const n = 1 + rng.int(3);
    const off = rng.int(2) * (1 + rng.int(50));
    const img = C * g.H * g.W;
    const x = randArray(rng, off + n * img + rng.int(7), -2, 2);
    const colsLen = cg * g.kh * g.kw * n * g.Ho * g.Wo;
    const where = `${fmt(g)} C=${C} c0=${c0} cg=${cg} n=${n} off=${off}`;
    // Garbage in cols first: im2col must overwrite every entry (zeros included) and nothing past the block.
    const colsInit = randArray(rng, colsLen + 5, -9, 9);
    sameOnBoth(`im2col ${where}`, (be) => {
      const cols = colsInit.slice();
      be.im2col(g, C, c0, cg, n, st(x), off, st(cols));
      return [cols];
    });
    // col2im adds into a dx that already holds values (overlapping windows when stride < kernel).
    const cols = randArray(rng, colsLen, -1, 1);
    const dxInit = randArray(rng, x.length, -3, 3);
    sameOnBoth(`col2im ${where}`, (be) => {
      const dx = dxInit.slice();
      be.col2im(g, C, c0, cg, n, st(cols), st(dx), off);
      return [dx];
    });
  }
});

test('col2im takes both visiting orders and the 1×1 path bit-identically (planes past 256 KiB per channel, 1×1 windows)', { skip: skipReason }, () => {
  // The native kernel visits image by image when one channel's n planes exceed
  // 2^16 floats and channel by channel below; the small cases above only reach the latter.
  const rng = new Rng(103);
  const cases: [WindowGeometry, number, number][] = [
    [geometry(64, 64, [3, 3], [1, 1], [1, 1], [1, 1]), 2, 17],
    [geometry(70, 50, [3, 2], [2, 1], [1, 0], [1, 2]), 3, 20],
    [geometry(7, 7, [1, 1], [1, 1], [0, 0], [1, 1]), 9, 40],
    [geometry(1, 49, [1, 1], [1, 1], [0, 0], [1, 1]), 4, 33],
    [geometry(7, 7, [3, 3], [1, 1], [1, 1], [1, 1]), 5, 30],
  ];
  for (const [g, C, n] of cases) {
    const cg = C > 2 ? C - 1 : C, c0 = C - cg;
    const colsLen = cg * g.kh * g.kw * n * g.Ho * g.Wo;
    const cols = randArray(rng, colsLen, -1, 1);
    const dxInit = randArray(rng, n * C * g.H * g.W, -3, 3);
    sameOnBoth(`col2im ${fmt(g)} C=${C} c0=${c0} cg=${cg} n=${n}`, (be) => {
      const dx = dxInit.slice();
      be.col2im(g, C, c0, cg, n, st(cols), st(dx), 0);
      return [dx];
    });
  }
});

test('col2im accumulates into dx instead of overwriting it', { skip: skipReason }, () => {
  // A 1×1 kernel maps every column to exactly one cell: dx must end as dx0 + cols (float rounded).
  const g = geometry(3, 4, [1, 1], [1, 1], [0, 0], [1, 1]);
  const rng = new Rng(102);
  const n = 2, C = 3;
  const cols = randArray(rng, C * n * 12);
  const dx = randArray(rng, n * C * 12, 5, 6);
  const expected = new Float32Array(dx.length);
  for (let s = 0; s < n; s++) for (let c = 0; c < C; c++) for (let p = 0; p < 12; p++) expected[(s * C + c) * 12 + p] = dx[(s * C + c) * 12 + p]! + cols[c * n * 12 + s * 12 + p]!;
  native().col2im(g, C, 0, C, n, st(cols), st(dx), 0);
  assertSameBits(dx, expected, 'col2im accumulation');
});

test('swapAxes01 and the per-channel kernels are bit-identical to the TypeScript kernels', { skip: skipReason }, () => {
  const rng = new Rng(103);
  // Sizes on both sides of the TypeScript fallback, row counts that are not a multiple of the chain width, P = 1.
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 3, 5], [2, 3, 7], [5, 7, 1], [3, 16, 64], [7, 5, 576], [32, 9, 33], [1, 1, 1000], [5, 13, 49], [2, 9, 8]];
  for (const [N, C, P] of shapes) {
    const n = N * C * P;
    const where = `N=${N} C=${C} P=${P}`;
    // A large common offset makes the two-pass variance and the centered products sensitive to rounding.
    const x = randArray(rng, n, 999, 1001), dy = randArray(rng, n, -1, 1);
    const a = randArray(rng, C, -2, 2), b = randArray(rng, C, -2, 2), k = randArray(rng, C, -2, 2);
    const off = 1 + rng.int(9);
    sameOnBoth(`swapAxes01 ${where}`, (be) => {
      const dst = randArray(new Rng(1), off + n + 3);
      be.swapAxes01(N, C, P, st(x), 0, st(dst), off);
      const src = new Float32Array(off + n);
      src.set(x, off);
      const dst2 = new Float32Array(n);
      be.swapAxes01(C, N, P, st(src), off, st(dst2), 0);
      return [dst, dst2];
    });
    sameOnBoth(`addChannelBias ${where}`, (be) => {
      const y = randArray(new Rng(2), off + n + 2);
      be.addChannelBias(N, C, P, st(y), off, st(a));
      return [y];
    });
    sameOnBoth(`channelSums ${where}`, (be) => {
      const out = randArray(new Rng(3), C);
      be.channelSums(N, C, P, st(x), st(out));
      return [out];
    });
    sameOnBoth(`channelMoments ${where}`, (be) => {
      const mean = new Float32Array(C), variance = new Float32Array(C);
      be.channelMoments(N, C, P, st(x), st(mean), st(variance));
      return [mean, variance];
    });
    sameOnBoth(`channelCenteredDot ${where}`, (be) => {
      const sumDy = new Float32Array(C), sumDyXc = new Float32Array(C);
      be.channelCenteredDot(N, C, P, st(dy), st(x), st(randArray(new Rng(4), C, 999, 1001)), st(sumDy), st(sumDyXc));
      return [sumDy, sumDyXc];
    });
    sameOnBoth(`channelAffine ${where}`, (be) => {
      const y = new Float32Array(n), inPlace = dy.slice();
      be.channelAffine(N, C, P, st(x), st(a), st(b), st(y));
      be.channelAffine(N, C, P, st(inPlace), st(a), st(b), st(inPlace));
      return [y, inPlace];
    });
    sameOnBoth(`channelAffine2 ${where}`, (be) => {
      const y = new Float32Array(n);
      be.channelAffine2(N, C, P, st(dy), st(x), st(a), st(b), st(k), st(y));
      return [y];
    });
    sameOnBoth(`mulBroadcast ${where}`, (be) => {
      const y = new Float32Array(n);
      be.mulBroadcast(N, C * P, st(x), st(randArray(new Rng(5), C * P)), st(y));
      return [y];
    });
  }
});

/** Pool input with many ties (few distinct levels), some −∞ and, when asked, NaNs. */
function poolInput(rng: Rng, n: number, nanRate: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    x[i] = u < nanRate ? NaN : u < nanRate + 0.05 ? -Infinity : rng.int(4) - 1.5;
  }
  return x;
}

function poolGeometries(rng: Rng): WindowGeometry[] {
  const fixed = [
    geometry(24, 24, [2, 2], [2, 2], [0, 0], [1, 1]),
    geometry(8, 8, [2, 2], [2, 2], [0, 0], [1, 1]),
    // The 2×2/2 fast path's 16-window SIMD body with a tail (Wo = 20), and odd sizes (last row and column unused).
    geometry(4, 40, [2, 2], [2, 2], [0, 0], [1, 1]),
    geometry(5, 67, [2, 2], [2, 2], [0, 0], [1, 1]),
    geometry(7, 9, [3, 3], [2, 2], [1, 1], [1, 1]),
    geometry(5, 6, [3, 2], [1, 1], [1, 1], [1, 1]),
    geometry(1, 11, [1, 3], [1, 2], [0, 1], [1, 1]),
    geometry(2, 2, [4, 4], [1, 1], [2, 2], [1, 1]),
    geometry(9, 8, [3, 3], [3, 1], [1, 0], [2, 2]),
  ];
  return [...fixed, ...Array.from({ length: 30 }, () => randomGeometry(rng))];
}

test('pool2d and pool2dBackward are bit-identical to the TypeScript kernels (ties, NaN, −∞, padding)', { skip: skipReason }, () => {
  const rng = new Rng(104);
  const modes: [PoolMode, boolean][] = [['max', true], ['avg', true], ['avg', false], ['sum', true]];
  for (const g of poolGeometries(rng)) {
    const planes = 1 + rng.int(4);
    const inN = planes * g.H * g.W, outN = planes * g.Ho * g.Wo;
    for (const nanRate of [0, 0.1]) {
      const x = poolInput(rng, inN, nanRate);
      const dy = randArray(rng, outN, -1, 1);
      for (const [mode, cip] of modes) {
        const where = `${mode} cip=${cip} nan=${nanRate} ${fmt(g)} planes=${planes}`;
        sameOnBoth(`pool2d ${where}`, (be) => {
          const y = randArray(new Rng(6), outN), argmax = mode === 'max' ? randArray(new Rng(7), outN) : null;
          be.pool2d(mode, g, planes, cip, st(x), st(y), argmax ? st(argmax) : null);
          return argmax ? [y, argmax] : [y];
        });
        // Backward from the reference's argmax (and garbage in dx: it must be overwritten).
        const argmax = mode === 'max' ? new Float32Array(outN) : null;
        if (argmax) ts.pool2d(mode, g, planes, cip, st(x), st(new Float32Array(outN)), st(argmax));
        sameOnBoth(`pool2dBackward ${where}`, (be) => {
          const dx = randArray(new Rng(8), inN + 3);
          be.pool2dBackward(mode, g, planes, cip, st(dy), argmax ? st(argmax) : null, st(dx));
          return [dx];
        });
      }
    }
  }
});

test('max pooling keeps the first maximum and lets NaN win', { skip: skipReason }, () => {
  const g = geometry(2, 4, [2, 2], [2, 2], [0, 0], [1, 1]);
  const x = Float32Array.from([1, 3, NaN, 0, 3, 2, 5, NaN]);
  const y = new Float32Array(2), argmax = new Float32Array(2);
  native().pool2d('max', g, 1, true, st(x), st(y), st(argmax));
  assert.equal(y[0], 3);
  assert.equal(argmax[0], 1, 'tie: the first 3 (row-major) wins');
  assert.ok(Number.isNaN(y[1]));
  assert.equal(argmax[1], 7, 'the last NaN wins');
});

/** Asserts fn throws a BackendError-style message naming the kernel and matching `re`. */
function throwsNamed(fn: () => void, kernel: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof Error && e.message.includes(`native ${kernel}:`) && re.test(e.message), `${kernel} ${re}`);
}

test('conv kernels reject bad arguments with a clear error instead of touching memory', { skip: skipReason }, () => {
  const a = addon();
  const g = geometry(5, 5, [3, 3], [1, 1], [0, 0], [1, 1]);
  const geo = packGeometry(g, new Float64Array(12));
  const x = new Float32Array(2 * 2 * 25), cols = new Float32Array(2 * 9 * 2 * 9);
  a.im2col(geo, 2, 0, 2, 2, x, 0, cols);
  throwsNamed(() => a.im2col(geo, 2, 0, 2, 2, x, 1, cols), 'im2col', /x holds 100 elements, needs 101/);
  throwsNamed(() => a.im2col(geo, 2, 0, 2, 2, x, 0, cols.subarray(1)), 'im2col', /cols holds/);
  throwsNamed(() => a.im2col(geo, 2, 1, 2, 2, x, 0, cols), 'im2col', /c0, c0 \+ cg/);
  throwsNamed(() => a.col2im(geo, 2, 0, 2, 3, cols, x, 0), 'col2im', /cols holds|dx holds/);
  throwsNamed(() => a.im2col(new Float64Array(11), 2, 0, 2, 2, x, 0, cols), 'im2col', /geometry holds 11/);
  const badStride = geo.slice();
  badStride[4] = 0;
  throwsNamed(() => a.im2col(badStride, 2, 0, 2, 2, x, 0, cols), 'im2col', /strides and dilations/);
  const fractional = geo.slice();
  fractional[0] = 4.5;
  throwsNamed(() => a.im2col(fractional, 2, 0, 2, 2, x, 0, cols), 'im2col', /geometry\.H must be a non-negative integer/);
  const huge = geo.slice();
  huge[0] = 2 ** 40;
  huge[1] = 2 ** 40;
  throwsNamed(() => a.im2col(huge, 2, 0, 2, 2, x, 0, cols), 'im2col', /too large/);
  throwsNamed(() => a.swapAxes01(2, 3, 4, x, 80, x, 0), 'swapAxes01', /src holds/);
  throwsNamed(() => a.addChannelBias(4, 5, 5, x, 1, new Float32Array(5)), 'addChannelBias', /y holds/);
  throwsNamed(() => a.addChannelBias(2, 5, 5, x, 0, new Float32Array(4)), 'addChannelBias', /bias holds/);
  throwsNamed(() => a.channelSums(2, 5, 5, new Float64Array(50), new Float32Array(5)), 'channelSums', /Float64Array/);
  throwsNamed(() => a.channelMoments(4, 5, 6, x, new Float32Array(5), new Float32Array(5)), 'channelMoments', /x holds/);
  throwsNamed(() => a.channelAffine2(4, 5, 5, x, x, x, x, new Float32Array(4), x), 'channelAffine2', /k holds/);
  throwsNamed(() => a.mulBroadcast(4, 25, x, new Float32Array(24), x), 'mulBroadcast', /v holds/);
  throwsNamed(() => a.channelCenteredDot(-1, 5, 5, x, x, x, x, x), 'channelCenteredDot', /N must be a non-negative integer/);

  const pg = packGeometry(geometry(4, 4, [2, 2], [2, 2], [0, 0], [1, 1]), new Float64Array(12));
  const px = new Float32Array(16), py = new Float32Array(4);
  throwsNamed(() => a.pool2d(0, pg, 1, true, px, py, null), 'pool2d', /argmax is required/);
  throwsNamed(() => a.pool2d(3, pg, 1, true, px, py, null), 'pool2d', /mode must be/);
  throwsNamed(() => a.pool2d(1, pg, 2, true, px, py, null), 'pool2d', /x holds/);
  for (const bad of [16, 2.5, 1e9]) {
    const dx = new Float32Array(16).fill(7);
    throwsNamed(() => a.pool2dBackward(0, pg, 1, true, py, Float32Array.from([0, bad, -1, NaN]), dx), 'pool2dBackward', /argmax holds an entry/);
    assert.ok(dx.every((v) => v === 7), 'dx untouched when argmax is rejected');
  }
  const dx = new Float32Array(16);
  a.pool2dBackward(0, pg, 1, true, Float32Array.from([1, 2, 3, 4]), Float32Array.from([0, 15, -1, NaN]), dx);
  assert.equal(dx[0], 1);
  assert.equal(dx[15], 2);
  assert.throws(() => (a.im2col as unknown as (...args: unknown[]) => void)('geo', 1), /native im2col: geometry must be a typed array/);
});

/**
 * A small conv SNN (conv → batch norm → max pool → LIF → grouped conv → avg
 * pool → LIF → linear → LIF) trained a few Adam steps on both backends. The
 * conv-family kernels agree bit for bit; GEMM does not (FMA, blocking), so
 * the losses must agree to a relative 1e-4, as in train.test.ts.
 */
test('a small conv SNN gives the same loss trajectory on native and ts', { skip: skipReason }, () => {
  const [T, B] = [4, 6];
  const rng = new Rng(105);
  const x = spikeArray(rng, T * B * 2 * 9 * 9, 0.25);
  const y = Int32Array.from({ length: B }, () => rng.int(5));
  const lif = { type: 'lif', beta: 0.9, threshold: 0.5 };
  const layers: LayerConfig[] = [
    { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 },
    { type: 'batchnorm' },
    { type: 'maxpool2d', kernel_size: 2 },
    lif,
    { type: 'conv2d', out_channels: 6, kernel_size: 3, padding: 1, groups: 2 },
    { type: 'avgpool2d', kernel_size: 2 },
    lif,
    { type: 'linear', out: 5 },
    lif,
  ];
  const trajectory = (name: string): number[] =>
    withBackend(name, () => {
      const { model } = buildModel(layers, { inputShape: [2, 9, 9], steps: T, timeConstantInput: false, rng: new Rng(8) });
      const opt = new Adam(model.parameters(), { lr: 5e-3 });
      const losses: number[] = [];
      for (let step = 0; step < 6; step++) {
        model.resetState();
        opt.zeroGrad();
        const loss = ceRateLoss(model.forward(tensor(x, [T, B, 2, 9, 9], { binary: true })), y);
        losses.push(loss.item());
        backward(loss);
        opt.step();
      }
      return losses;
    });
  const a = trajectory('native'), b = trajectory('ts');
  assert.ok(b.every(Number.isFinite) && b[0] !== b[b.length - 1], `ts losses should move: ${b.join(', ')}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.abs(b[i]!), `step ${i}: native ${a[i]} vs ts ${b[i]}`);
});

test('2×2/2 max pooling fast path: AVX-512 blocks and the portable loop agree with the reference', { skip: skipReason }, () => {
  const rng = new Rng(105);
  forEachIsa((isa) => {
    for (const [H, W] of [[24, 24], [8, 8], [4, 40], [5, 67], [2, 2], [3, 3]] as const) {
      const g = geometry(H, W, [2, 2], [2, 2], [0, 0], [1, 1]);
      const planes = 3, inN = planes * H * W, outN = planes * g.Ho * g.Wo;
      const x = poolInput(rng, inN, 0.1);
      sameOnBoth(`${isa} max 2x2 ${H}x${W}`, (be) => {
        const y = randArray(new Rng(6), outN), argmax = randArray(new Rng(7), outN);
        be.pool2d('max', g, planes, true, st(x), st(y), st(argmax));
        return [y, argmax];
      });
    }
  });
});

test('2×2/2 max-pool backward fast path (AVX-512 and portable): winners in their windows, skips, −0 gradients, odd sizes, and argmax outside the window', { skip: skipReason }, () => {
  const rng = new Rng(106);
  for (const [H, W] of [[24, 24], [5, 67], [3, 3], [2, 5]] as const) {
    const g = geometry(H, W, [2, 2], [2, 2], [0, 0], [1, 1]);
    const planes = 4, inN = planes * H * W, outN = planes * g.Ho * g.Wo;
    const argmax = new Float32Array(outN);
    ts.pool2d('max', g, planes, true, st(poolInput(rng, inN, 0.1)), st(new Float32Array(outN)), st(argmax));
    // Skips (negative, NaN) and −0 gradients in every plane; in plane 2 one winner points outside its own
    // window (a valid cell elsewhere in the plane: the kernel must fall back to the scatter for that plane).
    argmax[0] = -1;
    if (outN > 2) argmax[2] = NaN;
    const dy = randArray(rng, outN, -1, 1);
    dy[1] = -0;
    const p2 = 2 * g.Ho * g.Wo;
    argmax[p2] = H * W - 1;
    forEachIsa((isa) =>
      sameOnBoth(`${isa} max backward 2x2 ${H}x${W}`, (be) => {
        const dx = randArray(new Rng(8), inN);
        be.pool2dBackward('max', g, planes, true, st(dy), st(argmax), st(dx));
        return [dx];
      }),
    );
  }
});
