import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { add, mul, scale, sum } from '../../src/ops/elementwise.js';
import { reshape, sliceLeading, stack } from '../../src/ops/shape.js';
import { backward } from '../../src/autograd/tape.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { assertClose } from '../helpers.js';
import { build, F, ZOO, type ZooEntry } from './zoo.js';

const ts64 = getBackendByName('ts64');
const B = 2;

function input(e: ZooEntry, T: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const v = Array.from({ length: T * B * F }, () => e.inputOffset + e.inputScale * rng.uniform(-1, 1));
  return tensor(v, [T, B, F], { requiresGrad: true });
}

/** Smooth surrogate for the differentiable test forward (models in mV, such as Izhikevich, give a flatter one). */
function smoothSurrogate(e: ZooEntry): Record<string, unknown> {
  return e.smoothSurrogate ?? { name: 'sigmoid', slope: 4 };
}

// Smooth forward (spike = surrogate primitive, reset attached): every chain-rule path, including
// reset, recurrence, adaptation and the state carried between two chained calls, is checked
// against central finite differences.
for (const e of ZOO) {
  test(`gradcheck (smooth test forward, two chained calls): ${e.label}`, () => {
    withBackend(ts64, () => {
      const layer = build(e, { smoothSpikes: true, detachReset: false, surrogate: smoothSurrogate(e) });
      layer.recordMembrane = true;
      const x = input(e, 6, 11);
      const fn = (inp: Tensor[]): Tensor => {
        layer.resetState();
        const xs = inp[0]!;
        const T = xs.shape[0]!;
        const h1 = sliceLeading(xs, 0, T / 2), h2 = sliceLeading(xs, T / 2, T);
        const s1 = layer.forward(h1);
        const m1 = layer.lastMembrane!;
        const s2 = layer.forward(h2);
        const m2 = layer.lastMembrane!;
        const mScale = e.membraneScale ?? 0.5;
        return add(add(s1, s2), scale(add(m1, m2), mScale));
      };
      const params = layer.parameters();
      const r = gradcheck(fn, [x, ...params], { eps: 1e-6, atol: 1e-5, rtol: 1e-4 });
      assert.ok(r.ok, `${e.label}: ${r.worst} (max abs err ${r.maxAbsErr})`);
    });
  });
}

// Detached reset with the real Heaviside forward: the membrane trace is exactly differentiable
// away from spike flips, so analytic and numeric gradients must agree without any smoothing.
// (snnTorch's same-step form is not in this list: its correction passes the surrogate gradient
// through the spike even with the reset detached, as snnTorch does; the textbook form is.)
const EXACT = ['LIF subtract delayed', 'LIF zero delayed', 'LIF none', 'LIF subtract same-step textbook', 'LIF zero same-step textbook', 'Synaptic subtract', 'Synaptic zero', 'Alpha zero', 'IF hard', 'LIFNode decayInput', 'PLIF per neuron', 'MultiLevel count soft', 'MultiLevel normalized hard', 'AdEx detached'];
for (const label of EXACT) {
  const e = ZOO.find((z) => z.label === label)!;
  test(`gradcheck of the membrane trace under detached reset (Heaviside forward): ${label}`, () => {
    withBackend(ts64, () => {
      const layer = build(e, { detachReset: true });
      layer.recordMembrane = true;
      const x = input(e, 8, 5);
      const fn = (inp: Tensor[]): Tensor => {
        layer.resetState();
        layer.forward(inp[0]!);
        return layer.lastMembrane!;
      };
      const r = gradcheck(fn, [x, ...layer.parameters()], { eps: 1e-7, atol: 1e-6, rtol: 1e-5 });
      assert.ok(r.ok, `${label}: ${r.worst}`);
      // and spikes do occur, so the reset paths are exercised
      layer.resetState();
      const s = layer.forward(x);
      assert.ok(s.data.some((v) => v === 1), `${label}: no spikes in the test input`);
    });
  });
}

// Streaming: T calls of step() equal one forward() over T, in values and in gradients.
for (const e of ZOO) {
  test(`step-by-step equals fused multi-step (values and gradients): ${e.label}`, () => {
    withBackend(ts64, () => {
      const T = 7;
      const rng = new Rng(3);
      const wS = tensor(Array.from({ length: T * B * F }, () => rng.uniform(-1, 1)), [T, B, F]);
      const wM = tensor(Array.from({ length: T * B * F }, () => rng.uniform(-1, 1)), [T, B, F]);
      const run = (stepwise: boolean): { s: number[]; m: number[]; grads: number[][] } => {
        const layer = build(e);
        layer.recordMembrane = true;
        const x = input(e, T, 9);
        let s: Tensor, m: Tensor;
        if (!stepwise) {
          s = layer.forward(x);
          m = layer.lastMembrane!;
        } else {
          const ss: Tensor[] = [], ms: Tensor[] = [];
          for (let t = 0; t < T; t++) {
            ss.push(layer.step(reshape(sliceLeading(x, t, t + 1), [B, F])));
            ms.push(reshape(layer.lastMembrane!, [B, F]));
          }
          s = stack(ss);
          m = stack(ms);
        }
        backward(add(sum(mul(s, wS)), sum(mul(m, wM))));
        return { s: Array.from(s.data), m: Array.from(m.data), grads: [x, ...layer.parameters()].map((p) => Array.from(p.grad ? p.grad.data : [])) };
      };
      const a = run(false), b = run(true);
      assert.deepEqual(b.s, a.s, 'spikes');
      assert.ok(a.s.some((v) => v === 1), 'the test input makes the layer spike');
      assertClose(b.m, a.m, 1e-12, 0, 'membrane');
      assert.equal(b.grads.length, a.grads.length);
      a.grads.forEach((g, i) => {
        assert.ok(g.length > 0 && g.some((v) => v !== 0), `gradient ${i} is present and nonzero`);
        assertClose(b.grads[i]!, g, 1e-10, 1e-10, `gradient ${i}`);
      });
    });
  });
}
