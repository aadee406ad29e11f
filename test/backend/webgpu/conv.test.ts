// The ConvKernels of the default network (conv2d → maxpool2d) on webgpu
// against the TypeScript reference on random inputs. Tolerances are relative
// to 1 + |expected|:
//  - exact (0): im2col, swapAxes01, addChannelBias, max pooling and its
//    argmax (selections);
//  - 1e-6: col2im, sum and avg pooling, every pooling backward (overlapping
//    windows add into one cell in another order; the reference
//    sums a window in double and rounds once, the GPU rounds each float32
//    addition; col2im sums the taps before adding them to dx);
//  - 1e-5: channelSums (a tree over N·P terms instead of per-image sums),
//    and the conv2d op's forward and gradients (GEMMs over K ≤ 75 terms in
//    another order, values in [−1, 1]).
import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import type { Backend } from '../../../src/backend/backend.js';
import type { WindowGeometry, PoolMode } from '../../../src/backend/kernels/conv.js';
import type { Storage } from '../../../src/backend/storage.js';
import { createTsBackend } from '../../../src/backend/ts/backend.js';
import { withBackend } from '../../../src/backend/registry.js';
import { conv2d } from '../../../src/ops/conv.js';
import { maxPool2d } from '../../../src/ops/pool.js';
import { mul, sum } from '../../../src/ops/elementwise.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertNear, randoms, readBack, webgpuOrSkip } from './helpers.js';

const ts = createTsBackend('float32');

/** A window over [H, W] with the output size worked out as the ops do. */
function geom(H: number, W: number, kh: number, kw: number, s: [number, number] = [1, 1], pad: [number, number] = [0, 0], dil: [number, number] = [1, 1]): WindowGeometry {
  const Ho = Math.floor((H + 2 * pad[0] - dil[0] * (kh - 1) - 1) / s[0]) + 1;
  const Wo = Math.floor((W + 2 * pad[1] - dil[1] * (kw - 1) - 1) / s[1]) + 1;
  return { H, W, kh, kw, sh: s[0], sw: s[1], ph: pad[0], pw: pad[1], dh: dil[0], dw: dil[1], Ho, Wo };
}

const GEOMS: WindowGeometry[] = [
  geom(28, 28, 5, 5), // the default network's conv
  geom(9, 7, 3, 2, [2, 1], [1, 1], [1, 2]),
  geom(6, 11, 3, 3, [1, 2], [2, 1]),
];

test('im2col, col2im and swapAxes01 match ts (exact; col2im 1e-6)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(11);
  for (const g of GEOMS) {
    const C = 3, n = 2, c0 = 1, cg = 2, xOff = 5;
    const x = randoms(rng, xOff + (n + 1) * C * g.H * g.W);
    const cols = cg * g.kh * g.kw * n * g.Ho * g.Wo;
    const want = ts.alloc(cols);
    ts.im2col(g, C, c0, cg, n, ts.fromArray(x), xOff, want);
    const got = be.fromArray(new Float32Array(cols).fill(NaN));
    be.im2col(g, C, c0, cg, n, be.fromArray(x), xOff, got);
    assertNear(await readBack(be, got), want.data, 0, `im2col ${JSON.stringify(g)}`);

    const colVals = randoms(rng, cols);
    const dx0 = randoms(rng, xOff + n * C * g.H * g.W);
    const dxWant = ts.fromArray(dx0);
    ts.col2im(g, C, c0, cg, n, ts.fromArray(colVals), dxWant, xOff);
    const dxGot = be.fromArray(dx0);
    be.col2im(g, C, c0, cg, n, be.fromArray(colVals), dxGot, xOff);
    assertNear(await readBack(be, dxGot), dxWant.data, 1e-6, `col2im ${JSON.stringify(g)}`);
  }
  const [A, B, inner] = [5, 3, 7];
  const src = randoms(rng, 4 + A * B * inner);
  const want = ts.alloc(2 + A * B * inner);
  ts.swapAxes01(A, B, inner, ts.fromArray(src), 4, want, 2);
  const got = be.alloc(2 + A * B * inner);
  be.swapAxes01(A, B, inner, be.fromArray(src), 4, got, 2);
  assertNear(await readBack(be, got), want.data, 0, 'swapAxes01');
});

test('addChannelBias (exact) and channelSums (1e-5) match ts', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(12);
  for (const [N, C, P] of [[64, 16, 576], [3, 5, 7], [1, 1, 1000]] as const) {
    const y = randoms(rng, 3 + N * C * P), bias = randoms(rng, C);
    const want = ts.fromArray(y);
    ts.addChannelBias(N, C, P, want, 3, ts.fromArray(bias));
    const got = be.fromArray(y);
    be.addChannelBias(N, C, P, got, 3, be.fromArray(bias));
    assertNear(await readBack(be, got), want.data, 0, `addChannelBias ${N}x${C}x${P}`);
    const x = randoms(rng, N * C * P);
    const sWant = ts.alloc(C);
    ts.channelSums(N, C, P, ts.fromArray(x), sWant);
    const sGot = be.fromArray(new Float32Array(C).fill(NaN));
    be.channelSums(N, C, P, be.fromArray(x), sGot);
    assertNear(await readBack(be, sGot), sWant.data, 1e-5, `channelSums ${N}x${C}x${P}`);
  }
});

test('pool2d forward (argmax kept on the device) and backward match ts in every mode', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const rng = new Rng(13);
  const pools: WindowGeometry[] = [geom(24, 24, 2, 2, [2, 2]), geom(7, 9, 3, 3, [2, 2], [1, 1]), geom(8, 8, 3, 2, [1, 1], [1, 0], [2, 1])];
  for (const g of pools) {
    const planes = 6;
    const x = randoms(rng, planes * g.H * g.W);
    // Ties: the first maximum in window order wins on both sides.
    for (let i = 0; i < x.length; i += 7) x[i] = 0.5;
    const dy = randoms(rng, planes * g.Ho * g.Wo);
    for (const mode of ['max', 'avg', 'sum'] as PoolMode[]) {
      for (const includePad of mode === 'avg' ? [true, false] : [true]) {
        const what = `${mode} pool ${JSON.stringify(g)} countIncludePad=${includePad}`;
        const out = planes * g.Ho * g.Wo;
        const yW = ts.alloc(out);
        const amW: Storage | null = mode === 'max' ? ts.alloc(out) : null;
        ts.pool2d(mode, g, planes, includePad, ts.fromArray(x), yW, amW);
        const yG = be.alloc(out);
        const amG: Storage | null = mode === 'max' ? be.alloc(out) : null;
        be.pool2d(mode, g, planes, includePad, be.fromArray(x), yG, amG);
        const tol = mode === 'max' ? 0 : 1e-6;
        assertNear(await readBack(be, yG), yW.data, tol, `${what}: y`);
        if (amW && amG) assert.deepEqual([...(await readBack(be, amG))], [...amW.data], `${what}: argmax`);
        const dxW = ts.alloc(x.length);
        ts.pool2dBackward(mode, g, planes, includePad, ts.fromArray(dy), amW, dxW);
        const dxG = be.fromArray(new Float32Array(x.length).fill(NaN));
        be.pool2dBackward(mode, g, planes, includePad, be.fromArray(dy), amG, dxG);
        // Overlapping windows add two gradients into one cell, in another order than the reference: 1e-6 in every mode.
        assertNear(await readBack(be, dxG), dxW.data, 1e-6, `${what}: dx`);
      }
    }
  }
});

interface ConvResult {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

/** conv2d (+ maxpool) forward and backward through the ops on one backend, from the same numbers. */
async function convStep(be: Backend, pool: boolean): Promise<ConvResult> {
  return withBackend(be, async () => {
    const rng = new Rng(21);
    const [N, Cin, H, W, Cout, k] = [5, 3, 12, 12, 4, 5];
    const x = new Tensor(be.fromArray(randoms(rng, N * Cin * H * W)), [N, Cin, H, W], { backend: be, requiresGrad: true });
    const w = new Tensor(be.fromArray(randoms(rng, Cout * Cin * k * k, -0.2, 0.2)), [Cout, Cin, k, k], { backend: be, requiresGrad: true });
    const b = new Tensor(be.fromArray(randoms(rng, Cout)), [Cout], { backend: be, requiresGrad: true });
    let y = conv2d(x, w, b, { padding: 1, stride: 1 });
    if (pool) y = maxPool2d(y, { kernel: 2 });
    // A weighted sum, so every output has its own gradient.
    const weights = new Tensor(be.fromArray(randoms(new Rng(22), y.size)), y.shape, { backend: be });
    backward(sum(mul(y, weights)));
    const rd = async (t: Tensor | null): Promise<Float32Array> => {
      assert.ok(t, 'a gradient is missing');
      return (await t.read()) as Float32Array;
    };
    return { y: await rd(y), dx: await rd(x.grad), dw: await rd(w.grad), db: await rd(b.grad) };
  });
}

test('the conv2d op (forward, input, weight and bias gradients) matches ts, alone and followed by max pooling (1e-5)', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  for (const pool of [false, true]) {
    const gpu = await convStep(be, pool);
    const ref = await convStep(ts, pool);
    for (const key of ['y', 'dx', 'dw', 'db'] as const) assertNear(gpu[key], ref[key], 1e-5, `conv2d${pool ? ' + maxPool2d' : ''}: ${key}`);
  }
});
