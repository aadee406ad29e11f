import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { ConfigError, FormatError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { SGD, Adam, AdamW, type Optimizer } from '../../src/train/optim/index.js';
import { assertClose } from '../helpers.js';

const ts64 = getBackendByName('ts64');

function param(values: number[]): Tensor {
  return tensor(values, [values.length], { requiresGrad: true });
}

function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, p.shape);
}

test('SGD with momentum: hand-computed PyTorch values (first step seeds the buffer without dampening)', () => {
  withBackend(ts64, () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    setGrad(p, [0.5]);
    opt.step(); // buf = 0.5; p = 1 − 0.1·0.5
    assert.ok(Math.abs(p.data[0]! - 0.95) < 1e-15);
    setGrad(p, [0.5]);
    opt.step(); // buf = 0.9·0.5 + 0.5·0.5 = 0.7; p = 0.95 − 0.07
    assert.ok(Math.abs(p.data[0]! - 0.88) < 1e-15);
  });
});

test('Adam first step moves each weight by lr·sign(g) (bias correction), AdamW also decays', () => {
  withBackend(ts64, () => {
    const p = param([1, -2]);
    const opt = new Adam([p], { lr: 0.01, eps: 0 });
    setGrad(p, [0.3, -4]);
    opt.step();
    assertClose(p.data, [0.99, -1.99], 1e-15);
    const q = param([1, -2]);
    const optW = new AdamW([q], { lr: 0.01, eps: 0, weightDecay: 0.5 });
    setGrad(q, [0.3, -4]);
    optW.step();
    assertClose(q.data, [1 * (1 - 0.005) - 0.01, -2 * (1 - 0.005) + 0.01], 1e-15);
  });
});

/** PyTorch's update rules written out plainly (the reference the kernels must match). */
function refSgd(p: number[], grads: number[][], o: { lr: number; momentum: number; dampening: number; nesterov: boolean; wd: number }): number[] {
  let buf: number[] | null = null;
  for (const g0 of grads) {
    const d = g0.map((g, i) => g + o.wd * p[i]!);
    let dir = d;
    if (o.momentum !== 0) {
      buf = buf === null ? [...d] : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * d[i]!);
      dir = o.nesterov ? d.map((v, i) => v + o.momentum * buf![i]!) : buf;
    }
    p = p.map((w, i) => w - o.lr * dir[i]!);
  }
  return p;
}

function refAdam(p: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad: boolean }): number[] {
  let m = p.map(() => 0), v = p.map(() => 0), vmax = p.map(() => 0);
  grads.forEach((g0, k) => {
    const t = k + 1;
    if (o.decoupled) p = p.map((w) => w * (1 - o.lr * o.wd));
    const g = o.decoupled ? g0 : g0.map((gi, i) => gi + o.wd * p[i]!);
    m = m.map((mi, i) => o.b1 * mi + (1 - o.b1) * g[i]!);
    v = v.map((vi, i) => o.b2 * vi + (1 - o.b2) * g[i]! * g[i]!);
    vmax = vmax.map((x, i) => Math.max(x, v[i]!));
    const s = o.amsgrad ? vmax : v;
    const bc1 = 1 - o.b1 ** t, bc2 = 1 - o.b2 ** t;
    p = p.map((w, i) => w - (o.lr / bc1) * (m[i]! / (Math.sqrt(s[i]!) / Math.sqrt(bc2) + o.eps)));
  });
  return p;
}

test('SGD / Adam / AdamW match the PyTorch formulas over several steps (momentum, Nesterov, weight decay, AMSGrad)', () => {
  withBackend(ts64, () => {
    const rng = new Rng(7);
    const p0 = Array.from({ length: 6 }, () => rng.uniform(-1, 1));
    const grads = Array.from({ length: 5 }, () => p0.map(() => rng.uniform(-1, 1)));
    const run = (make: (p: Tensor) => Optimizer): number[] => {
      const p = param(p0);
      const opt = make(p);
      for (const g of grads) {
        opt.zeroGrad();
        setGrad(p, g);
        opt.step();
      }
      return Array.from(p.data);
    };
    for (const o of [
      { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, wd: 0 },
      { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, wd: 0.01 },
      { lr: 0.05, momentum: 0.8, dampening: 0, nesterov: true, wd: 0.02 },
    ]) {
      const got = run((p) => new SGD([p], { lr: o.lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.wd }));
      assertClose(got, refSgd(p0, grads, o), 1e-14, 0, `SGD ${JSON.stringify(o)}`);
    }
    for (const o of [
      { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: false },
      { lr: 0.02, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, decoupled: false, amsgrad: true },
      { lr: 0.02, b1: 0.9, b2: 0.95, eps: 1e-8, wd: 0.1, decoupled: true, amsgrad: false },
    ]) {
      const opts = { lr: o.lr, betas: [o.b1, o.b2] as const, eps: o.eps, weightDecay: o.wd, amsgrad: o.amsgrad };
      const got = run((p) => (o.decoupled ? new AdamW([p], opts) : new Adam([p], opts)));
      assertClose(got, refAdam(p0, grads, o), 1e-14, 0, `Adam ${JSON.stringify(o)}`);
    }
  });
});

test('parameters without a gradient are skipped (no update, no step count), as in PyTorch', () => {
  withBackend(ts64, () => {
    const a = param([1]), b = param([2]);
    const opt = new Adam([a, b], { lr: 0.1 });
    setGrad(a, [1]);
    opt.step();
    assert.equal(b.data[0], 2);
    const s = opt.stateDict();
    assert.deepEqual(s.steps, [1, 0]);
    assert.deepEqual(Object.keys(s.tensors).sort(), ['0.exp_avg', '0.exp_avg_sq']);
    opt.zeroGrad();
    assert.equal(a.grad, null);
  });
});

test('stateDict / loadStateDict: a restored optimizer continues bit-exactly (float32)', () => {
  withBackend('ts', () => {
    const rng = new Rng(8);
    const p0 = Array.from({ length: 5 }, () => rng.uniform(-1, 1));
    const grads = Array.from({ length: 6 }, () => p0.map(() => rng.uniform(-1, 1)));
    const makers: ((p: Tensor) => Optimizer)[] = [
      (p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }),
      (p) => new Adam([p], { lr: 0.01, amsgrad: true }),
      (p) => new AdamW([p], { lr: 0.01 }),
    ];
    for (const make of makers) {
      const p = param(p0);
      const opt = make(p);
      grads.forEach((g) => (setGrad(p, g), opt.step()));
      const q = param(p0);
      const first = make(q);
      grads.slice(0, 3).forEach((g) => (setGrad(q, g), first.step()));
      const saved = first.stateDict();
      const second = make(q);
      second.loadStateDict(saved);
      grads.slice(3).forEach((g) => (setGrad(q, g), second.step()));
      assert.deepEqual(Array.from(q.data), Array.from(p.data), opt.type);
    }
  });
});

test('optimizer errors: bad hyper-parameters, mismatched state', () => {
  withBackend(ts64, () => {
    const p = param([1, 2]);
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), ConfigError);
    assert.throws(() => new Adam([p], { betas: [1, 0.9] }), /beta1/);
    const adam = new Adam([p]);
    setGrad(p, [1, 1]);
    adam.step();
    const s = adam.stateDict();
    assert.throws(() => new AdamW([p]).loadStateDict(s), (e: Error) => e instanceof FormatError && /saved by Adam/.test(e.message));
    const other = new Adam([param([1, 2, 3])]);
    assert.throws(() => other.loadStateDict(s), (e: Error) => e instanceof ShapeError && /0\.exp_avg/.test(e.message));
    assert.throws(() => new Adam([p]).loadStateDict({ ...s, tensors: { ...s.tensors, '0.bogus': s.tensors['0.exp_avg']! } }), /unexpected optimizer state tensor '0.bogus'/);
  });
});
