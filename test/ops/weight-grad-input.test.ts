import test from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { backward } from '../../src/autograd/tape.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { conv2d, type ConvOptions, type ConvStats } from '../../src/ops/conv.js';
import { linear, type LinearStats } from '../../src/ops/linear.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers.js';

/*
 * `weightGradInput` (OTTT's traces enter the weighted ops here): the forward
 * and the input and bias gradients are those of x; the weight gradient is
 * the one the op would give on the substitute u, Σ_m δ_m·u_mᵀ. On every path
 * of the ops (event-driven forward on spikes included: a trace is real-valued,
 * so its weight gradient takes a dense path), on ts64 against sums written out
 * here, and on the fast backends against the reference.
 */

const ts64 = getBackendByName('ts64');
const rand = (n: number, rng: Rng, lo = -1, hi = 1): number[] => Array.from({ length: n }, () => rng.uniform(lo, hi));
/** Sparse 0/1 values (density p): binary tensors below the event-driven crossover. */
const spikes = (n: number, rng: Rng, p: number): number[] => Array.from({ length: n }, () => (rng.random() < p ? 1 : 0));

interface Grads {
  y: number[];
  dx: number[];
  dW: number[];
  db: number[];
}

function run(be: Backend, f: (x: Tensor, W: Tensor, b: Tensor, u: Tensor | null) => Tensor, xs: number[], xShape: number[], binary: boolean, Ws: number[], WShape: number[], us: number[] | null, g: number[]): Grads {
  return withBackend(be, () => {
    const x = tensor(xs, xShape, { requiresGrad: true, binary });
    const W = tensor(Ws, WShape, { requiresGrad: true });
    const b = tensor(Ws.slice(0, WShape[0]!), [WShape[0]!], { requiresGrad: true });
    const u = us ? tensor(us, xShape) : null;
    const y = f(x, W, b, u);
    backward(y, tensor(g, y.shape));
    return { y: Array.from(y.data), dx: Array.from(x.grad!.data), dW: Array.from(W.grad!.data), db: Array.from(b.grad!.data) };
  });
}

test('linear: the weight gradient is formed from the substitute (Σ δ·uᵀ); forward, dX and db are those of x', () => {
  const rng = new Rng(3);
  const M = 24, K = 10, N = 6;
  for (const binary of [false, true]) {
    const xs = binary ? spikes(M * K, rng, 0.1) : rand(M * K, rng);
    const us = rand(M * K, rng, 0, 2);
    const Ws = rand(N * K, rng);
    const g = rand(M * N, rng);
    const stats: LinearStats = { eventDriven: false, density: 1 };
    const sub = run(ts64, (x, W, b, u) => linear(x, W, b, stats, { weightGradInput: u }), xs, [2, 12, K], binary, Ws, [N, K], us, g);
    if (binary) assert.ok(stats.eventDriven, 'sparse spikes take the event-driven forward');
    const plain = run(ts64, (x, W, b) => linear(x, W, b), xs, [2, 12, K], binary, Ws, [N, K], null, g);
    assert.deepEqual(sub.y, plain.y);
    assert.deepEqual(sub.dx, plain.dx);
    assert.deepEqual(sub.db, plain.db);
    const dW = new Array<number>(N * K).fill(0);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) dW[n * K + k]! += g[m * N + n]! * us[m * K + k]!;
    assertClose(sub.dW, dW, 1e-12, 1e-12, `dW (binary ${binary})`);
    assert.throws(() => withBackend(ts64, () => linear(tensor(xs, [M, K]), tensor(Ws, [N, K]), null, undefined, { weightGradInput: tensor(us.slice(1), [M * K - 1]) })), /weight-gradient input \[239\] does not match input \[24, 10\]/);
  }
});

/** The conv2d cases of the three paths: event-driven (sparse spikes), 1×1 pointwise GEMMs, im2col. */
const CONV_CASES: { name: string; xShape: number[]; WShape: number[]; opts: ConvOptions; binary: boolean; path: ConvStats['path'] }[] = [
  { name: 'event', xShape: [2, 3, 4, 9, 9], WShape: [5, 4, 3, 3], opts: { padding: 1 }, binary: true, path: 'event' },
  { name: 'pointwise', xShape: [3, 8, 9, 9], WShape: [6, 8, 1, 1], opts: {}, binary: false, path: 'pointwise' },
  { name: 'event 1×1', xShape: [3, 8, 9, 9], WShape: [6, 8, 1, 1], opts: {}, binary: true, path: 'event' },
  { name: 'im2col, stride 2, groups 2', xShape: [2, 2, 4, 8, 8], WShape: [6, 2, 3, 3], opts: { stride: 2, padding: 1, groups: 2 }, binary: false, path: 'im2col' },
];

test('conv2d: on every path the weight gradient is conv2d\'s own on the substitute; forward, dX and db are those of x', () => {
  const rng = new Rng(4);
  for (const c of CONV_CASES) {
    const n = c.xShape.reduce((a, b) => a * b, 1);
    const xs = c.binary ? spikes(n, rng, 0.08) : rand(n, rng);
    const us = rand(n, rng, 0, 2);
    const Ws = rand(c.WShape.reduce((a, b) => a * b, 1), rng);
    const stats: ConvStats = { path: 'im2col', density: 1 };
    // The output size from a plain forward, then a fixed output gradient.
    const ySize = withBackend(ts64, () => conv2d(tensor(xs, c.xShape), tensor(Ws, c.WShape), null, c.opts).size);
    const g = rand(ySize, rng);
    const sub = run(ts64, (x, W, b, u) => conv2d(x, W, b, c.opts, stats, { weightGradInput: u }), xs, c.xShape, c.binary, Ws, c.WShape, us, g);
    assert.equal(stats.path, c.path, c.name);
    const onX = run(ts64, (x, W, b) => conv2d(x, W, b, c.opts), xs, c.xShape, c.binary, Ws, c.WShape, null, g);
    const onU = run(ts64, (x, W, b) => conv2d(x, W, b, c.opts), us, c.xShape, false, Ws, c.WShape, null, g);
    assert.deepEqual(sub.y, onX.y, `${c.name}: y`);
    assert.deepEqual(sub.dx, onX.dx, `${c.name}: dx`);
    assert.deepEqual(sub.db, onX.db, `${c.name}: db`);
    assertClose(sub.dW, onU.dW, 1e-12, 1e-12, `${c.name}: dW`);
    assert.ok(Math.max(...sub.dW.map((v, i) => Math.abs(v - onX.dW[i]!))) > 1e-3, `${c.name}: the substitute changed dW`);
  }
});

test('linear and conv2d with a weight-gradient input pass finite-difference checks (u = x: the true gradient)', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const x = tensor(rand(3 * 4 * 5, rng), [3, 4, 5], { requiresGrad: true });
    const W = tensor(rand(6 * 5, rng), [6, 5], { requiresGrad: true });
    const b = tensor(rand(6, rng), [6], { requiresGrad: true });
    const u = tensor(Array.from(x.data), x.shape);
    const r = gradcheck(([a, w, c]) => linear(a!, w!, c!, undefined, { weightGradInput: u }), [x, W, b]);
    assert.ok(r.ok, r.worst);
    const xc = tensor(rand(2 * 3 * 6 * 6, rng), [2, 3, 6, 6], { requiresGrad: true });
    const Wc = tensor(rand(4 * 3 * 3 * 3, rng), [4, 3, 3, 3], { requiresGrad: true });
    const bc = tensor(rand(4, rng), [4], { requiresGrad: true });
    const uc = tensor(Array.from(xc.data), xc.shape);
    const rc = gradcheck(([a, w, c]) => conv2d(a!, w!, c!, { padding: 1 }, undefined, { weightGradInput: uc }), [xc, Wc, bc]);
    assert.ok(rc.ok, rc.worst);
  });
});

const native = registerNativeBackend();
const fast: [string, () => Backend][] = [['wasm', () => getBackendByName('wasm')], ...(native.ok ? ([['native', () => getBackendByName('native')]] as [string, () => Backend][]) : [])];

test('the fast backends give the reference\'s weight gradients from a substitute input (linear and every conv path)', () => {
  const ts = getBackendByName('ts');
  const rng = new Rng(6);
  for (const [name, get] of fast) {
    const be = get();
    const M = 32, K = 20, N = 7;
    const xs = spikes(M * K, rng, 0.1), us = rand(M * K, rng, 0, 2), Ws = rand(N * K, rng), g = rand(M * N, rng);
    const lin = (x: Tensor, W: Tensor, b: Tensor, u: Tensor | null) => linear(x, W, b, undefined, { weightGradInput: u });
    const a = run(ts, lin, xs, [M, K], true, Ws, [N, K], us, g);
    const f = run(be, lin, xs, [M, K], true, Ws, [N, K], us, g);
    for (const k of ['y', 'dx', 'dW', 'db'] as const) assertClose(f[k], a[k], 1e-4, 1e-4, `${name} linear ${k}`);
    for (const c of CONV_CASES) {
      const n = c.xShape.reduce((p, q) => p * q, 1);
      const cx = c.binary ? spikes(n, rng, 0.08) : rand(n, rng), cu = rand(n, rng, 0, 2), cW = rand(c.WShape.reduce((p, q) => p * q, 1), rng);
      const ySize = withBackend(ts, () => conv2d(tensor(cx, c.xShape), tensor(cW, c.WShape), null, c.opts).size);
      const cg = rand(ySize, rng);
      const conv = (x: Tensor, W: Tensor, b: Tensor, u: Tensor | null) => conv2d(x, W, b, c.opts, undefined, { weightGradInput: u });
      const ca = run(ts, conv, cx, c.xShape, c.binary, cW, c.WShape, cu, cg);
      const cf = run(be, conv, cx, c.xShape, c.binary, cW, c.WShape, cu, cg);
      for (const k of ['y', 'dx', 'dW', 'db'] as const) assertClose(cf[k], ca[k], 1e-4, 1e-4, `${name} conv ${c.name} ${k}`);
    }
  }
});
