import test from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/tape.js';
import { withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { float32Backends } from '../neurons/backends.js';
import { build, F, ZOO, type ZooEntry } from '../neurons/zoo.js';
import { assertIdentical } from './util.js';

/*
 * Every neuron model of the zoo compiled into a stepper (the plan's neuron
 * stage): T one-step calls on raw storages give the spikes and membranes of
 * the layer's own forward over the whole sequence, bit for bit, on every
 * float32 backend — the LIF family through its scan kernel with T = 1 (fused
 * on wasm and native), the others through their step rule — and again after
 * reset(). The layer's own state is left alone.
 */

const T = 7, B = 3;

function inputs(e: ZooEntry, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: T * B * F }, () => e.inputOffset + e.inputScale * rng.uniform(-1, 1));
}

const { backends, skipped } = float32Backends();
if (skipped) test('neuron steppers on native', (t) => t.skip(skipped));

for (const [name, be] of backends) {
  for (const e of ZOO) {
    test(`stepper == forward (${name}): ${e.label}`, () => {
      withBackend(be, () => {
        const layer = build(e);
        layer.eval();
        const stepper = layer.compileStepper(be, B);
        const spikes = be.alloc(B * F);
        for (const seed of [31, 32]) {
          const xs = inputs(e, seed);
          const ref = noGrad(() => {
            layer.resetState();
            const s = layer.forwardWithMembrane(tensor(xs, [T, B, F]));
            return { spikes: s.spikes.toArray(), membrane: s.membrane.toArray() };
          });
          stepper.reset();
          const x = be.alloc(B * F);
          for (let t = 0; t < T; t++) {
            x.data.set(xs.slice(t * B * F, (t + 1) * B * F));
            stepper.step(x, spikes);
            assertIdentical(Array.from(spikes.data), ref.spikes.slice(t * B * F, (t + 1) * B * F), `seed ${seed} step ${t} spikes`);
            assertIdentical(Array.from(stepper.membrane().data), ref.membrane.slice(t * B * F, (t + 1) * B * F), `seed ${seed} step ${t} membrane`);
          }
        }
        // Compiling and stepping left the layer's state where its own forward put it.
        assert.ok(layer.getState() !== null);
      });
    });
  }
}
