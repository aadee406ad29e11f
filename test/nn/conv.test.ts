import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { conv1d, conv2d, convOutputSize, type Padding } from '../../src/ops/conv.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';
import { naiveConv2d, randomArray } from './naive.js';

const ts = getBackendByName('ts');
const ts64 = getBackendByName('ts64');

interface Case {
  lead: number[];
  Cin: number;
  Cout: number;
  H: number;
  W: number;
  k: [number, number];
  stride: [number, number];
  padding: Padding;
  dilation: [number, number];
  groups: number;
  bias: boolean;
}

/** PyTorch's rule, restated independently of the op: symmetric padding, or 'same' with the odd zero after. */
function padsOf(c: Case): { ph: number; pw: number; Ho: number; Wo: number } {
  if (c.padding === 'same') {
    return { ph: Math.floor((c.dilation[0] * (c.k[0] - 1)) / 2), pw: Math.floor((c.dilation[1] * (c.k[1] - 1)) / 2), Ho: c.H, Wo: c.W };
  }
  const p = c.padding === 'valid' ? [0, 0] : typeof c.padding === 'number' ? [c.padding, c.padding] : c.padding;
  const Ho = Math.floor((c.H + 2 * p[0]! - c.dilation[0] * (c.k[0] - 1) - 1) / c.stride[0]) + 1;
  const Wo = Math.floor((c.W + 2 * p[1]! - c.dilation[1] * (c.k[1] - 1) - 1) / c.stride[1]) + 1;
  return { ph: p[0]!, pw: p[1]!, Ho, Wo };
}

function runCase(c: Case, rng: Rng, backend = ts64, tol = 1e-10): void {
  const N = c.lead.reduce((a, b) => a * b, 1);
  const xv = randomArray(N * c.Cin * c.H * c.W, () => rng.uniform(-1, 1));
  const wv = randomArray(c.Cout * (c.Cin / c.groups) * c.k[0] * c.k[1], () => rng.uniform(-1, 1));
  const bv = randomArray(c.Cout, () => rng.uniform(-1, 1));
  const { ph, pw, Ho, Wo } = padsOf(c);
  const ref = naiveConv2d({ N, Cin: c.Cin, H: c.H, W: c.W, Cout: c.Cout, kh: c.k[0], kw: c.k[1], sh: c.stride[0], sw: c.stride[1], ph, pw, dh: c.dilation[0], dw: c.dilation[1], groups: c.groups, Ho, Wo }, xv, wv, c.bias ? bv : null);
  const x = tensor(xv, [...c.lead, c.Cin, c.H, c.W], { backend });
  const w = tensor(wv, [c.Cout, c.Cin / c.groups, ...c.k], { backend });
  const b = c.bias ? tensor(bv, [c.Cout], { backend }) : null;
  const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
  assert.deepEqual(y.shape, [...c.lead, c.Cout, Ho, Wo], `shape for ${JSON.stringify(c)}`);
  assertClose(y.data, ref, tol, tol, `conv2d ${JSON.stringify(c)}`);
}

test('conv2d equals a direct convolution over stride/padding/dilation/groups combinations', () => {
  const rng = new Rng(11);
  const fixed: Case[] = [
    { lead: [1, 1], Cin: 1, Cout: 1, H: 1, W: 1, k: [1, 1], stride: [1, 1], padding: 0, dilation: [1, 1], groups: 1, bias: false },
    { lead: [3, 2], Cin: 3, Cout: 4, H: 7, W: 5, k: [3, 3], stride: [1, 1], padding: 1, dilation: [1, 1], groups: 1, bias: true },
    { lead: [1, 1], Cin: 4, Cout: 6, H: 9, W: 8, k: [3, 2], stride: [2, 3], padding: [1, 0], dilation: [2, 1], groups: 2, bias: true },
    { lead: [2, 1], Cin: 4, Cout: 4, H: 6, W: 6, k: [3, 3], stride: [1, 1], padding: 1, dilation: [1, 1], groups: 4, bias: true },
    { lead: [2, 3], Cin: 2, Cout: 3, H: 6, W: 7, k: [4, 2], stride: [1, 1], padding: 'same', dilation: [1, 2], groups: 1, bias: true },
    { lead: [1, 2], Cin: 2, Cout: 2, H: 5, W: 5, k: [5, 5], stride: [1, 1], padding: 'valid', dilation: [1, 1], groups: 1, bias: false },
    { lead: [2], Cin: 3, Cout: 2, H: 4, W: 3, k: [2, 2], stride: [3, 2], padding: 2, dilation: [1, 1], groups: 1, bias: true },
    { lead: [], Cin: 2, Cout: 2, H: 3, W: 3, k: [3, 3], stride: [1, 1], padding: 0, dilation: [1, 1], groups: 1, bias: true },
  ];
  for (const c of fixed) runCase(c, rng);
  // Random shapes, odd sizes included.
  for (let it = 0; it < 25; it++) {
    const groups = [1, 1, 2, 3][rng.int(4)]!;
    const Cin = groups * (1 + rng.int(3));
    const Cout = groups * (1 + rng.int(3));
    const k: [number, number] = [1 + rng.int(4), 1 + rng.int(4)];
    const dilation: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
    const stride: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const padding: [number, number] = [rng.int(3), rng.int(3)];
    const H = dilation[0] * (k[0] - 1) + 1 + rng.int(6);
    const W = dilation[1] * (k[1] - 1) + 1 + rng.int(6);
    runCase({ lead: [1 + rng.int(3), 1 + rng.int(3)], Cin, Cout, H, W, k, stride, padding, dilation, groups, bias: rng.random() < 0.5 }, rng);
  }
});

test('conv2d splits a large folded batch into chunks without changing the result', () => {
  // 9·64·64 cols per image → the 2^21-element budget holds 56 images, so 60 images take two chunks.
  runCase({ lead: [6, 10], Cin: 1, Cout: 3, H: 64, W: 64, k: [3, 3], stride: [1, 1], padding: 1, dilation: [1, 1], groups: 1, bias: true }, new Rng(3));
});

test('conv2d on the float32 backend agrees with the float64 reference', () => {
  runCase({ lead: [2, 3], Cin: 3, Cout: 5, H: 10, W: 9, k: [3, 3], stride: [2, 1], padding: 1, dilation: [1, 1], groups: 1, bias: true }, new Rng(4), ts, 1e-5);
});

test('conv1d equals a direct 1-D convolution', () => {
  const rng = new Rng(12);
  for (const [Cin, Cout, L, k, s, p, d, g] of [
    [1, 1, 1, 1, 1, 0, 1, 1],
    [2, 4, 11, 3, 2, 1, 1, 2],
    [3, 2, 9, 4, 1, 'same', 2, 1],
    [4, 6, 13, 2, 3, 2, 3, 2],
  ] as const) {
    const lead = [2, 1];
    const N = 2;
    const xv = randomArray(N * Cin * L, () => rng.uniform(-1, 1));
    const wv = randomArray((Cout * Cin * k) / g, () => rng.uniform(-1, 1));
    const bv = randomArray(Cout, () => rng.uniform(-1, 1));
    const pw = p === 'same' ? Math.floor((d * (k - 1)) / 2) : p;
    const Lo = p === 'same' ? L : Math.floor((L + 2 * p - d * (k - 1) - 1) / s) + 1;
    const ref = naiveConv2d({ N, Cin, H: 1, W: L, Cout, kh: 1, kw: k, sh: 1, sw: s, ph: 0, pw, dh: 1, dw: d, groups: g, Ho: 1, Wo: Lo }, xv, wv, bv);
    const y = conv1d(tensor(xv, [...lead, Cin, L], { backend: ts64 }), tensor(wv, [Cout, Cin / g, k], { backend: ts64 }), tensor(bv, [Cout], { backend: ts64 }), { stride: s, padding: p, dilation: d, groups: g });
    assert.deepEqual(y.shape, [...lead, Cout, Lo]);
    assertClose(y.data, ref, 1e-10, 1e-10, `conv1d ${[Cin, Cout, L, k, s, p, d, g].join(',')}`);
  }
});

test('conv2d and conv1d gradients match finite differences (x, weight, bias)', () => {
  withBackend(ts64, () => {
    const rng = new Rng(21);
    const x = tensor(randomArray(2 * 1 * 4 * 5 * 6, () => rng.uniform(-1, 1)), [2, 1, 4, 5, 6], { requiresGrad: true });
    const w = tensor(randomArray(6 * 2 * 3 * 2, () => rng.uniform(-1, 1)), [6, 2, 3, 2], { requiresGrad: true });
    const b = tensor(randomArray(6, () => rng.uniform(-1, 1)), [6], { requiresGrad: true });
    const r = gradcheck(([a, ww, bb]) => conv2d(a!, ww!, bb!, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }), [x, w, b]);
    assert.ok(r.ok, `conv2d: ${r.worst}`);
    const x1 = tensor(randomArray(3 * 2 * 3 * 7, () => rng.uniform(-1, 1)), [3, 2, 3, 7], { requiresGrad: true });
    const w1 = tensor(randomArray(4 * 3 * 4, () => rng.uniform(-1, 1)), [4, 3, 4], { requiresGrad: true });
    const b1 = tensor(randomArray(4, () => rng.uniform(-1, 1)), [4], { requiresGrad: true });
    const r1 = gradcheck(([a, ww, bb]) => conv1d(a!, ww!, bb!, { padding: 'same', dilation: 2 }), [x1, w1, b1]);
    assert.ok(r1.ok, `conv1d: ${r1.worst}`);
    // Input gradient only (weight frozen), stride larger than the kernel so some inputs get no gradient.
    const w2 = tensor(randomArray(2 * 2 * 2 * 2, () => rng.uniform(-1, 1)), [2, 2, 2, 2]);
    const x2 = tensor(randomArray(1 * 1 * 2 * 7 * 7, () => rng.uniform(-1, 1)), [1, 1, 2, 7, 7], { requiresGrad: true });
    const r2 = gradcheck(([a]) => conv2d(a!, w2, null, { stride: 3 }), [x2]);
    assert.ok(r2.ok, `conv2d stride 3: ${r2.worst}`);
  });
});

test('conv errors name the op and the offending shapes', () => {
  withBackend(ts64, () => {
    const x = tensor(new Array(2 * 3 * 5 * 5).fill(0), [2, 3, 5, 5]);
    const w = tensor(new Array(4 * 2 * 3 * 3).fill(0), [4, 2, 3, 3]);
    assert.throws(() => conv2d(x, w, null), (e: unknown) => e instanceof ShapeError && /conv2d: input \[2, 3, 5, 5\] has 3 channels/.test(e.message));
    const w3 = tensor(new Array(4 * 3 * 7 * 7).fill(0), [4, 3, 7, 7]);
    assert.throws(() => conv2d(x, w3, null), (e: unknown) => e instanceof ShapeError && /too small for kernel \[7, 7\]/.test(e.message));
    const w4 = tensor(new Array(4 * 3 * 3 * 3).fill(0), [4, 3, 3, 3]);
    assert.throws(() => conv2d(x, w4, null, { stride: 2, padding: 'same' }), ConfigError);
    assert.throws(() => conv2d(x, w4, tensor([0, 0, 0], [3])), /bias \[3\] does not match 4 output channels/);
    assert.deepEqual(convOutputSize('t', [28, 28], [5, 5]), [24, 24]);
    assert.deepEqual(convOutputSize('t', [28, 28], [4, 4], { padding: 'same' }), [28, 28]);
    assert.deepEqual(convOutputSize('t', [7], [3], { stride: 2, padding: 1 }), [4]);
  });
});
