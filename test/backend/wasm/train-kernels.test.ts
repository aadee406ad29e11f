import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/rng.js';
import type { AdamHyper, SgdHyper } from '../../../src/backend/kernels/train.js';
import { pair, randomValues, ts, wasm } from './util.js';

// The optimizer kernels compute in f64 and round once, as the reference does: bit-identical parameters.
test('wasm adamStep / sgdStep give bit-identical parameters and buffers over several steps', () => {
  const rng = new Rng(5);
  for (const n of [1, 5, 64, 333]) {
    const adams: AdamHyper[] = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
      { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false },
      { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true },
    ];
    for (const h of adams) {
      for (const amsgrad of [false, true]) {
        const p = pair(randomValues(rng, n)), m = pair(new Array(n).fill(0)), v = pair(new Array(n).fill(0));
        const vm = amsgrad ? pair(new Array(n).fill(0)) : null;
        for (let step = 1; step <= 4; step++) {
          const g = pair(randomValues(rng, n));
          wasm.adamStep(p.w, g.w, m.w, v.w, vm ? vm.w : null, step, h);
          ts.adamStep(p.t, g.t, m.t, v.t, vm ? vm.t : null, step, h);
        }
        assert.deepEqual(Array.from(p.w.data), Array.from(p.t.data), `adam n=${n} ${JSON.stringify(h)} amsgrad=${amsgrad}`);
        assert.deepEqual(Array.from(v.w.data), Array.from(v.t.data));
      }
    }
    const sgds: SgdHyper[] = [
      { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
      { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 1e-3 },
      { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 },
    ];
    for (const h of sgds) {
      const p = pair(randomValues(rng, n));
      const buf = h.momentum !== 0 ? pair(new Array(n).fill(0)) : null;
      for (let step = 1; step <= 3; step++) {
        const g = pair(randomValues(rng, n));
        wasm.sgdStep(p.w, g.w, buf ? buf.w : null, step === 1, h);
        ts.sgdStep(p.t, g.t, buf ? buf.t : null, step === 1, h);
      }
      assert.deepEqual(Array.from(p.w.data), Array.from(p.t.data), `sgd n=${n} ${JSON.stringify(h)}`);
    }
  }
});
