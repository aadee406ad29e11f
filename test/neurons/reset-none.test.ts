import test from 'node:test';
import assert from 'node:assert/strict';
import { backendNames, getBackendByName, withBackend } from '../../src/backend/registry.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { backward } from '../../src/autograd/tape.js';
import { sum } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { LIF } from '../../src/neurons/lif/index.js';
import { Synaptic } from '../../src/neurons/synaptic/index.js';
import type { NeuronModule } from '../../src/neurons/base.js';

/*
 * With reset 'none' the reset timing cannot matter: a same-step (resetDelay:
 * false) neuron must integrate exactly like a delayed one. Regression: the
 * fused scans read the previous membrane from the same-step trace, which
 * nothing wrote under reset 'none', so the membrane restarted from 0 every step.
 */
const T = 6, B = 2, F = 5;
registerNativeBackend();

function run(make: (resetDelay: boolean) => NeuronModule, resetDelay: boolean, values: number[]): { spikes: number[]; membrane: number[]; grad: number[] } {
  const layer = make(resetDelay);
  layer.recordMembrane = true;
  const x = tensor(values, [T, B, F], { requiresGrad: true });
  const out = layer.forward(x);
  const membrane = [...layer.lastMembrane!.data];
  backward(sum(layer.lastMembrane!));
  return { spikes: [...out.data], membrane, grad: [...x.grad!.data] };
}

for (const name of backendNames().filter((n) => n !== 'ts64')) {
  for (const [label, make] of [
    ['LIF', (d: boolean) => new LIF([F], { reset: 'none', resetDelay: d, beta: 0.9 })],
    ['Synaptic', (d: boolean) => new Synaptic([F], { reset: 'none', resetDelay: d, alpha: 0.8, beta: 0.9 })],
  ] as const) {
    test(`${label} reset none: same-step and delayed reset integrate identically (${name})`, () => {
      withBackend(getBackendByName(name), () => {
        const rng = new Rng(4);
        const values = Array.from({ length: T * B * F }, () => rng.uniform(0, 0.6));
        const delayed = run(make, true, values);
        const sameStep = run(make, false, values);
        assert.deepEqual(sameStep.membrane, delayed.membrane, 'membranes');
        assert.deepEqual(sameStep.spikes, delayed.spikes, 'spikes');
        assert.deepEqual(sameStep.grad, delayed.grad, 'input gradients');
        // The membrane accumulates: with positive input and no reset it only grows past step 0.
        assert.ok(delayed.membrane[(T - 1) * B * F]! > delayed.membrane[0]!, 'membrane integrates over time');
      });
    });
  }
}
