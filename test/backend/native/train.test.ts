import test from 'node:test';
import assert from 'node:assert/strict';
import type { AdamHyper, SgdHyper } from '../../../src/backend/kernels/train.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { backward } from '../../../src/autograd/tape.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Linear } from '../../../src/nn/linear.js';
import { Sequential } from '../../../src/nn/containers.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Adam } from '../../../src/train/optim/index.js';
import { addon, assertSameBits, forEachIsa, native, randArray, skipReason, spikeArray, st } from './setup.js';

const ts = getBackendByName('ts');

test('elementwise ops and reductions are bit-identical to the TypeScript kernels', { skip: skipReason }, () => {
  const rng = new Rng(41);
  for (const n of [3, 1000, 4099]) {
    const a = randArray(rng, n, -3, 3), b = randArray(rng, n, -3, 3);
    for (const op of ['add', 'sub', 'mul'] as const) {
      const o1 = new Float32Array(n), o2 = new Float32Array(n);
      native()[op](st(a), st(b), st(o1));
      ts[op](st(a), st(b), st(o2));
      assertSameBits(o1, o2, `${op} n=${n}`);
    }
    const f1 = new Float32Array(n), f2 = new Float32Array(n);
    native().affine(st(a), 0.3, -1.7, st(f1));
    ts.affine(st(a), 0.3, -1.7, st(f2));
    assertSameBits(f1, f2, `affine n=${n}`);
    const y1 = b.slice(), y2 = b.slice();
    native().axpy(-0.37, st(a), st(y1));
    ts.axpy(-0.37, st(a), st(y2));
    assertSameBits(y1, y2, `axpy n=${n}`);
    const sp = spikeArray(rng, n, 0.3, 0.1);
    assert.equal(native().countNonzero(st(sp)), ts.countNonzero(st(sp)), `countNonzero n=${n}`);
  }
  for (const [M, N] of [[1, 5], [7, 300], [129, 33]] as const) {
    const X = randArray(rng, M * N), bias = randArray(rng, N), out0 = randArray(rng, N);
    const y1 = X.slice(), y2 = X.slice();
    native().addRowVector(M, N, st(y1), st(bias));
    ts.addRowVector(M, N, st(y2), st(bias));
    assertSameBits(y1, y2, `addRowVector ${M}x${N}`);
    for (const beta of [0, 1, 0.5]) {
      const s1 = out0.slice(), s2 = out0.slice();
      native().sumRows(M, N, st(X), beta, st(s1));
      ts.sumRows(M, N, st(X), beta, st(s2));
      assertSameBits(s1, s2, `sumRows ${M}x${N} beta=${beta}`);
    }
  }
  // Transpose: 8×8 SIMD tiles inside 64×64 blocks, scalar tails on both sides, every instruction set.
  forEachIsa((isa) => {
    for (const [M, N] of [[1, 5], [7, 300], [129, 33], [8, 8], [200, 136], [1000, 784]] as const) {
      const X = randArray(rng, M * N);
      const t1 = new Float32Array(M * N), t2 = new Float32Array(M * N);
      native().transpose(M, N, st(X), st(t1));
      ts.transpose(M, N, st(X), st(t2));
      assertSameBits(t1, t2, `${isa} transpose ${M}x${N}`);
    }
  });
});

test('Adam and SGD steps are bit-identical to the TypeScript kernels', { skip: skipReason }, () => {
  const rng = new Rng(42);
  const n = 777;
  const p0 = randArray(rng, n), g = randArray(rng, n, -0.1, 0.1);
  for (const [amsgrad, decoupled, wd] of [[false, false, 0], [true, false, 0.01], [false, true, 0.05]] as const) {
    const h: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled };
    const run = (be: typeof ts): Float32Array[] => {
      const p = p0.slice(), m = new Float32Array(n), v = new Float32Array(n), vm = amsgrad ? new Float32Array(n) : null;
      for (let step = 1; step <= 3; step++) be.adamStep(st(p), st(g), st(m), st(v), vm ? st(vm) : null, step, h);
      return [p, m, v];
    };
    const [a, b] = [run(native()), run(ts)];
    a.forEach((x, i) => assertSameBits(x, b[i]!, `adam amsgrad=${amsgrad} decoupled=${decoupled} [${i}]`));
  }
  for (const [momentum, nesterov, wd] of [[0, false, 0], [0.9, false, 0.01], [0.9, true, 0]] as const) {
    const h: SgdHyper = { lr: 0.05, momentum, dampening: 0.1, nesterov, weightDecay: wd };
    const run = (be: typeof ts): Float32Array[] => {
      const p = p0.slice(), buf = momentum ? new Float32Array(n) : null;
      for (let step = 0; step < 3; step++) be.sgdStep(st(p), st(g), buf ? st(buf) : null, step === 0, h);
      return buf ? [p, buf] : [p];
    };
    const [a, b] = [run(native()), run(ts)];
    a.forEach((x, i) => assertSameBits(x, b[i]!, `sgd momentum=${momentum} nesterov=${nesterov} [${i}]`));
  }
});

/**
 * A few Adam steps of Linear → LIF → Linear on spike input, on both backends.
 * GEMM sums in a different order (FMA, blocking), so the numbers differ by
 * float32 rounding; the loss trajectories must agree to a relative 1e-4
 * (a spike flipped by rounding would show as a much larger jump).
 */
test('a short training run gives the same loss trajectory on native and ts', { skip: skipReason }, () => {
  const [T, B, I, H, C] = [8, 16, 40, 32, 5];
  const rng = new Rng(43);
  const x = spikeArray(rng, T * B * I, 0.15);
  const y = Int32Array.from({ length: B }, () => rng.int(C));
  const trajectory = (name: string): number[] =>
    withBackend(name, () => {
      const wr = new Rng(7);
      const model = new Sequential([new Linear(I, H, wr), new LIF([H], { beta: 0.9 }), new Linear(H, C, wr)]);
      const opt = new Adam(model.parameters(), { lr: 5e-3 });
      const losses: number[] = [];
      for (let step = 0; step < 6; step++) {
        model.resetState();
        opt.zeroGrad();
        const input = tensor(x, [T, B, I], { binary: true });
        const loss = ceRateLoss(model.forward(input), y);
        losses.push(loss.item());
        backward(loss);
        opt.step();
      }
      return losses;
    });
  const a = trajectory('native'), b = trajectory('ts');
  assert.ok(b[b.length - 1]! < b[0]!, `ts loss should fall: ${b.join(', ')}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.abs(b[i]!), `step ${i}: native ${a[i]} vs ts ${b[i]}`);
});

test('two threads: countNonzero and addRowVector split large inputs and stay bit-identical', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  const rng = new Rng(43);
  try {
    a.setThreads(2);
    const n = (1 << 20) * 3 + 7;
    const sp = spikeArray(rng, n, 0.1, 0.05);
    assert.equal(native().countNonzero(st(sp)), ts.countNonzero(st(sp)), 'countNonzero over two halves');
    const [M, N] = [4099, 300];
    const X = randArray(rng, M * N), bias = randArray(rng, N);
    const y1 = X.slice(), y2 = X.slice();
    native().addRowVector(M, N, st(y1), st(bias));
    ts.addRowVector(M, N, st(y2), st(bias));
    assertSameBits(y1, y2, 'addRowVector over two halves');
  } finally {
    a.setThreads(before);
  }
});
