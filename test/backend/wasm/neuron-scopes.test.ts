import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../../src/backend/registry.js';
import type { Backend } from '../../../src/backend/backend.js';
import { createWasmBackend } from '../../../src/backend/wasm/backend.js';
import { noGrad } from '../../../src/autograd/tape.js';
import { createNeuron, NEURON_TYPES } from '../../../src/neurons/factory.js';
import '../../../src/interop/nir/neuron.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { runInStepScope } from '../../../src/train/trainer.js';
import { assertClose } from '../../helpers.js';
import { ts } from './util.js';

/*
 * Streaming across step scopes: every neuron type lists its state and cached
 * constants in persistentTensors(), so a sequence split over two scopes (the
 * state kept between them) gives the spikes of the unscoped reference.
 */

const T = 4, B = 2, F = 5;

const OPTIONS: Record<string, Record<string, unknown>> = {
  // Per-neuron settings exercise the cached constant tensors.
  lif: { beta: [0.9, 0.8, 0.7, 0.95, 0.85], threshold: 0.5 },
  nir: { node: 'CubaLIF', dt: 1e-3, tauSyn: new Array(F).fill(5e-3), tauMem: new Array(F).fill(1e-2), r: new Array(F).fill(1), vLeak: new Array(F).fill(0.1), vThreshold: new Array(F).fill(0.05), vReset: new Array(F).fill(0), wIn: new Array(F).fill(20) },
};

/** Izhikevich and AdEx need a much larger drive (their units are mV and pA-like) to spike within a few steps. */
const INPUT_SCALE: Record<string, number> = { izhikevich: 20, adex: 3000, aeif: 3000 };

function twoChunks(b: Backend, type: string, scoped: boolean): number[] {
  return withBackend(b, () =>
    noGrad(() => {
      const layer = createNeuron(type, OPTIONS[type] ?? {}, F, new Rng(1));
      const data = new Rng(2);
      const input = () => tensor(Array.from({ length: T * B * F }, () => data.uniform(0, 1.5 * (INPUT_SCALE[type] ?? 1))), [T, B, F]);
      const out: number[] = [];
      for (let chunk = 0; chunk < 2; chunk++) {
        const step = () => out.push(...layer.forward(input()).toArray());
        if (scoped) runInStepScope([b], () => layer.allPersistentTensors(), step);
        else step();
      }
      return out;
    }),
  );
}

test('every neuron type continues its sequence across step scopes (state and cached constants are persistent)', () => {
  const wasm = createWasmBackend();
  for (const type of NEURON_TYPES) {
    const ref = twoChunks(ts, type, false);
    const got = twoChunks(wasm, type, true);
    assertClose(got, ref, 1e-5, 1e-5, type);
    assert.ok(ref.some((v) => v !== 0), `${type}: the layer produces output`);
  }
  assert.equal(wasm.scopeDepth(), 0);
});
