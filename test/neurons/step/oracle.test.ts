import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { add, mul, sum } from '../../../src/ops/elementwise.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers.js';
import { build, F, ZOO, type ZooEntry } from '../zoo.js';

/*
 * Every model's step rule (src/neurons/<model>/rule.ts), run through the
 * generic scan, against the layer's own scan (its fused kernels): two chained
 * calls, so the state handed from one call to the next is covered too.
 * Spikes and membranes must agree bit for bit; gradients of the input, the
 * initial state path and every parameter to rounding (the fused backwards
 * carry in float64 too, but sum in another order).
 */

const T = 6, B = 3;

function input(e: ZooEntry, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: T * B * F }, () => e.inputOffset + e.inputScale * rng.uniform(-1, 1));
}

interface Run {
  spikes: number[];
  membranes: number[];
  grads: number[][];
}

function run(e: ZooEntry, viaRule: boolean, extra: Record<string, unknown>): Run | null {
  const layer = build(e, extra);
  if (viaRule && !layer.stepRule(getBackendByName('ts'))) return null;
  layer.useStepRule = viaRule;
  layer.recordMembrane = true;
  const x = tensor(input(e, 21), [T, B, F], { requiresGrad: true });
  const w = tensor(input(e, 22).slice(0, (T / 2) * B * F), [T / 2, B, F]);
  const half = (a: number): Tensor => tensor(x.toArray().slice(a * (T / 2) * B * F, (a + 1) * (T / 2) * B * F), [T / 2, B, F], { requiresGrad: true });
  const x1 = half(0), x2 = half(1);
  const s1 = layer.forward(x1), m1 = layer.lastMembrane!;
  const s2 = layer.forward(x2), m2 = layer.lastMembrane!;
  const mScale = e.membraneScale ?? 0.5;
  const loss = add(add(sum(mul(add(s1, s2), w)), sum(mul(m1, w))), sum(mul(m2, tensor(Array(T / 2 * B * F).fill(mScale), [T / 2, B, F]))));
  backward(loss);
  return {
    spikes: [...s1.toArray(), ...s2.toArray()],
    membranes: [...m1.toArray(), ...m2.toArray()],
    grads: [x1, x2, ...layer.parameters()].map((t) => (t.grad ? t.grad.toArray() : [])),
  };
}

for (const backendName of ['ts64', 'ts']) {
  for (const e of ZOO) {
    for (const [mode, extra] of [
      ['heaviside', {}],
      ['smooth, attached reset', { smoothSpikes: true, detachReset: false, surrogate: e.smoothSurrogate ?? { name: 'sigmoid', slope: 4 } }],
    ] as const) {
      test(`step rule == fused scan (${backendName}, ${mode}): ${e.label}`, (t) => {
        withBackend(getBackendByName(backendName), () => {
          const viaRule = run(e, true, extra);
          if (!viaRule) {
            t.skip('no elementwise step rule (all-to-all recurrence)');
            return;
          }
          const fused = run(e, false, extra)!;
          assert.deepEqual(viaRule.spikes, fused.spikes, 'spikes');
          const tol = backendName === 'ts' ? 3e-5 : 1e-9;
          assertClose(viaRule.membranes, fused.membranes, backendName === 'ts' ? 0 : 1e-12, 0, 'membranes');
          fused.grads.forEach((g, i) => assertClose(viaRule.grads[i]!, g, tol, tol, `gradient ${i}`));
        });
      });
    }
  }
}
