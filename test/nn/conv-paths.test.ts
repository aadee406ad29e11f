import test from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { backward } from '../../src/autograd/tape.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { conv1d, conv2d, type ConvOptions } from '../../src/ops/conv.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { Conv2d } from '../../src/nn/conv.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers.js';
import { naiveConv2d, randomArray } from './naive.js';

/*
 * The convolution op's three paths — event-driven on spikes (eventConv,
 * eventConvGradW), a GEMM per image for 1×1 windows, im2col + GEMM otherwise —
 * and its sparse input gradient (convGradXSparse, after max pooling) all
 * compute the same convolution: against the direct definition, against each
 * other, and against finite differences (float64).
 */

const ts64 = getBackendByName('ts64');

/** ts64 with its kernel calls counted and its density thresholds replaceable (which path ran). */
function spyBackend(thresholds: { event?: number; sparse?: number } = {}): { be: Backend; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = <K extends keyof Backend>(k: K): Backend[K] => {
    const f = ts64[k] as unknown as (...a: unknown[]) => unknown;
    return ((...a: unknown[]) => {
      calls[k] = (calls[k] ?? 0) + 1;
      return f.apply(ts64, a);
    }) as unknown as Backend[K];
  };
  const be: Backend = {
    ...ts64,
    convEventDensityThreshold: thresholds.event ?? ts64.convEventDensityThreshold,
    convSparseGradDensityThreshold: thresholds.sparse ?? ts64.convSparseGradDensityThreshold,
    eventConv: count('eventConv'),
    eventConvGradW: count('eventConvGradW'),
    convGradXSparse: count('convGradXSparse'),
    im2col: count('im2col'),
    col2im: count('col2im'),
    gemm: count('gemm'),
  };
  return { be, calls };
}

function spikes(rng: Rng, n: number, density: number): number[] {
  return randomArray(n, () => (rng.random() < density ? 1 : 0));
}

interface Grads {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  db: Float64Array;
}

/** y and the gradients of Σ y·seed for x, w, b on backend `be` (x flagged binary or not). */
function run(be: Backend, xv: number[], xShape: number[], wv: number[], wShape: number[], bv: number[], binary: boolean, opts: ConvOptions, pool: boolean, seedRng: Rng): Grads {
  return withBackend(be, () => {
    const x = tensor(xv, xShape, { binary, requiresGrad: true });
    const w = tensor(wv, wShape, { requiresGrad: true });
    const b = tensor(bv, [wShape[0]!], { requiresGrad: true });
    let y: Tensor = wShape.length === 4 ? conv2d(x, w, b, opts) : conv1d(x, w, b, opts);
    if (pool) y = maxPool2d(y, { kernel: 2 });
    const seed = tensor(randomArray(y.size, () => seedRng.uniform(-1, 1)), y.shape);
    backward(y, seed);
    return { y: Float64Array.from(y.data), dx: Float64Array.from(x.grad!.data), dw: Float64Array.from(w.grad!.data), db: Float64Array.from(b.grad!.data) };
  });
}

function assertSameGrads(a: Grads, b: Grads, what: string): void {
  assertClose(a.y, b.y, 1e-12, 1e-12, `${what} y`);
  assertClose(a.dx, b.dx, 1e-12, 1e-12, `${what} dx`);
  assertClose(a.dw, b.dw, 1e-12, 1e-12, `${what} dw`);
  assertClose(a.db, b.db, 1e-12, 1e-12, `${what} db`);
}

test('conv2d on spikes runs event-driven and equals the direct convolution and the im2col path, gradients included', () => {
  const rng = new Rng(41);
  const cases: { Cin: number; Cout: number; H: number; W: number; k: [number, number]; opts: ConvOptions }[] = [
    { Cin: 1, Cout: 16, H: 12, W: 12, k: [5, 5], opts: {} },
    { Cin: 4, Cout: 6, H: 9, W: 7, k: [3, 3], opts: { padding: 1, groups: 2 } },
    { Cin: 3, Cout: 4, H: 8, W: 9, k: [3, 2], opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] } },
    { Cin: 2, Cout: 5, H: 6, W: 6, k: [4, 4], opts: { padding: 'same' } },
  ];
  for (const c of cases) {
    const lead = [2, 3];
    const N = 6;
    const xv = spikes(rng, N * c.Cin * c.H * c.W, 0.2);
    const groups = c.opts.groups ?? 1;
    const wShape = [c.Cout, c.Cin / groups, ...c.k];
    const wv = randomArray(wShape.reduce((a, b) => a * b, 1), () => rng.uniform(-1, 1));
    const bv = randomArray(c.Cout, () => rng.uniform(-1, 1));
    const xShape = [...lead, c.Cin, c.H, c.W];
    const spy = spyBackend();
    const ev = run(spy.be, xv, xShape, wv, wShape, bv, true, c.opts, false, new Rng(9));
    assert.equal(spy.calls.eventConv, 1, `event forward ran for ${JSON.stringify(c)}`);
    assert.equal(spy.calls.eventConvGradW, 1, 'event weight gradient ran');
    assert.equal(spy.calls.im2col, undefined, 'no im2col on the event path');
    const dense = run(ts64, xv, xShape, wv, wShape, bv, false, c.opts, false, new Rng(9));
    assertSameGrads(ev, dense, `event vs im2col ${JSON.stringify(c)}`);
    // And the direct definition, for the forward.
    const y = withBackend(ts64, () => conv2d(tensor(xv, xShape, { binary: true }), tensor(wv, wShape), tensor(bv, [c.Cout]), c.opts));
    const { Ho, Wo } = { Ho: y.shape[3]!, Wo: y.shape[4]! };
    const pad = c.opts.padding === 'same' ? [Math.floor((c.k[0] - 1) / 2), Math.floor((c.k[1] - 1) / 2)] : typeof c.opts.padding === 'number' ? [c.opts.padding, c.opts.padding] : (c.opts.padding as number[] | undefined) ?? [0, 0];
    const s = typeof c.opts.stride === 'number' ? [c.opts.stride, c.opts.stride] : (c.opts.stride as number[] | undefined) ?? [1, 1];
    const d = typeof c.opts.dilation === 'number' ? [c.opts.dilation, c.opts.dilation] : (c.opts.dilation as number[] | undefined) ?? [1, 1];
    const ref = naiveConv2d({ N, Cin: c.Cin, H: c.H, W: c.W, Cout: c.Cout, kh: c.k[0], kw: c.k[1], sh: s[0]!, sw: s[1]!, ph: pad[0]!, pw: pad[1]!, dh: d[0]!, dw: d[1]!, groups, Ho, Wo }, xv, wv, bv);
    assertClose(ev.y, ref, 1e-12, 1e-12, `event vs direct ${JSON.stringify(c)}`);
  }
});

test('spikes above the density threshold take the im2col path', () => {
  const rng = new Rng(42);
  const spy = spyBackend({ event: 0.1 });
  const xv = spikes(rng, 2 * 3 * 6 * 6, 0.5);
  run(spy.be, xv, [2, 3, 6, 6], randomArray(4 * 3 * 9, () => rng.uniform(-1, 1)), [4, 3, 3, 3], [0, 0, 0, 0], true, {}, false, new Rng(1));
  assert.equal(spy.calls.eventConv, undefined);
  assert.ok(spy.calls.im2col! > 0);
});

test('a 1×1 convolution on maps of 64+ positions runs as a GEMM per image (no im2col) and equals the direct convolution', () => {
  const rng = new Rng(43);
  for (const groups of [1, 2]) {
    const Cin = 4, Cout = 6, H = 8, W = 8, N = 6;
    const xv = randomArray(N * Cin * H * W, () => rng.uniform(-1, 1));
    const wv = randomArray(Cout * (Cin / groups), () => rng.uniform(-1, 1));
    const bv = randomArray(Cout, () => rng.uniform(-1, 1));
    const spy = spyBackend({ sparse: 0 });
    const pw = run(spy.be, xv, [2, 3, Cin, H, W], wv, [Cout, Cin / groups, 1, 1], bv, false, { groups }, false, new Rng(2));
    assert.equal(spy.calls.im2col, undefined, 'pointwise: no im2col');
    assert.equal(spy.calls.col2im, undefined, 'pointwise: no col2im');
    const ref = naiveConv2d({ N, Cin, H, W, Cout, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups, Ho: H, Wo: W }, xv, wv, bv);
    assertClose(pw.y, ref, 1e-12, 1e-12, `pointwise groups=${groups}`);
  }
});

test('after max pooling the input gradient visits only the routed gradients and equals GEMM + col2im', () => {
  const rng = new Rng(44);
  for (const [Cin, groups] of [[8, 1], [16, 2]] as const) {
    const Cout = 8, H = 10, W = 10, N = 4;
    const xv = randomArray(N * Cin * H * W, () => rng.uniform(-1, 1));
    const wShape = [Cout, Cin / groups, 3, 3];
    const wv = randomArray(wShape.reduce((a, b) => a * b, 1), () => rng.uniform(-1, 1));
    const bv = randomArray(Cout, () => rng.uniform(-1, 1));
    const sparse = spyBackend({ sparse: 0.5 });
    const a = run(sparse.be, xv, [2, 2, Cin, H, W], wv, wShape, bv, false, { padding: 1, groups }, true, new Rng(3));
    assert.equal(sparse.calls.convGradXSparse, 1, 'sparse input gradient ran');
    assert.equal(sparse.calls.col2im, undefined);
    const dense = spyBackend({ sparse: 0 });
    const b = run(dense.be, xv, [2, 2, Cin, H, W], wv, wShape, bv, false, { padding: 1, groups }, true, new Rng(3));
    assert.equal(dense.calls.convGradXSparse, undefined);
    assertSameGrads(a, b, `sparse vs dense dx, Cin=${Cin} groups=${groups}`);
  }
});

test('a 1×1 convolution on maps under 64 positions (im2col path) forms dX by swapping axes back, not col2im; gradients match finite differences', () => {
  const rng = new Rng(47);
  for (const groups of [1, 2]) {
    const Cin = 4, Cout = 6, H = 5, W = 5;
    const xv = randomArray(2 * 3 * Cin * H * W, () => rng.uniform(-1, 1));
    const wv = randomArray(Cout * (Cin / groups), () => rng.uniform(-1, 1));
    const bv = randomArray(Cout, () => rng.uniform(-1, 1));
    const spy = spyBackend({ sparse: 0 });
    run(spy.be, xv, [2, 3, Cin, H, W], wv, [Cout, Cin / groups, 1, 1], bv, false, { groups }, false, new Rng(2));
    assert.equal(spy.calls.im2col! > 0, true, 'small maps take the im2col path');
    // One group: dX's images are contiguous, so the swap writes it; two groups keep col2im.
    assert.equal(spy.calls.col2im, groups === 1 ? undefined : 2, `groups=${groups}: col2im calls`);
    withBackend(ts64, () => {
      const x = tensor(xv, [6, Cin, H, W], { requiresGrad: true });
      const w = tensor(wv, [Cout, Cin / groups, 1, 1], { requiresGrad: true });
      const b = tensor(bv, [Cout], { requiresGrad: true });
      const r = gradcheck(([a, ww, bb]) => conv2d(a!, ww!, bb!, { groups }), [x, w, b]);
      assert.ok(r.ok, `groups=${groups}: ${r.worst}`);
    });
  }
});

test('the event-driven, pointwise and sparse-gradient paths match finite differences', () => {
  withBackend(ts64, () => {
    const rng = new Rng(45);
    // Event path (binary x, weight gradient by eventConvGradW); x itself is checked too (its values leave {0, 1} under perturbation, which the kernels handle).
    const x = tensor(spikes(rng, 2 * 3 * 6 * 5, 0.25), [2, 3, 6, 5], { binary: true, requiresGrad: true });
    const w = tensor(randomArray(4 * 3 * 3 * 2, () => rng.uniform(-1, 1)), [4, 3, 3, 2], { requiresGrad: true });
    const b = tensor(randomArray(4, () => rng.uniform(-1, 1)), [4], { requiresGrad: true });
    const r = gradcheck(([a, ww, bb]) => conv2d(a!, ww!, bb!, { padding: [1, 0] }), [x, w, b]);
    assert.ok(r.ok, `event: ${r.worst}`);
    // Pointwise, grouped.
    const x1 = tensor(randomArray(3 * 4 * 3 * 2, () => rng.uniform(-1, 1)), [3, 4, 3, 2], { requiresGrad: true });
    const w1 = tensor(randomArray(6 * 2, () => rng.uniform(-1, 1)), [6, 2, 1, 1], { requiresGrad: true });
    const r1 = gradcheck(([a, ww]) => conv2d(a!, ww!, null, { groups: 2 }), [x1, w1]);
    assert.ok(r1.ok, `pointwise: ${r1.worst}`);
    // Sparse input gradient behind a 4×4 max pool (1/16 of the gradients routed, below ts64's threshold;
    // continuous inputs, so no ties in the pooling windows).
    assert.ok(1 / 16 < ts64.convSparseGradDensityThreshold);
    const x2 = tensor(randomArray(2 * 8 * 8 * 8, () => rng.uniform(-1, 1)), [2, 8, 8, 8], { requiresGrad: true });
    const w2 = tensor(randomArray(4 * 8 * 9, () => rng.uniform(-1, 1)), [4, 8, 3, 3], { requiresGrad: true });
    const r2 = gradcheck(([a, ww]) => maxPool2d(conv2d(a!, ww!, null, { padding: 1 }), { kernel: 4 }), [x2, w2]);
    assert.ok(r2.ok, `sparse dx: ${r2.worst}`);
  });
});

test('Conv2d records the path and input density of its last forward', () => {
  withBackend(ts64, () => {
    const rng = new Rng(46);
    const conv = new Conv2d(2, 3, 3, rng, { padding: 1 });
    const spikesIn = tensor(spikes(rng, 2 * 2 * 2 * 6 * 6, 0.1), [2, 2, 2, 6, 6], { binary: true });
    conv.forward(spikesIn);
    assert.equal(conv.lastStats.path, 'event');
    assert.ok(conv.lastStats.density > 0 && conv.lastStats.density < 0.25, `density ${conv.lastStats.density}`);
    conv.forward(tensor(randomArray(2 * 2 * 2 * 6 * 6, () => rng.uniform(-1, 1)), [2, 2, 2, 6, 6]));
    assert.deepEqual({ ...conv.lastStats }, { path: 'im2col', density: 1 });
  });
});
