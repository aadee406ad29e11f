import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../../src/backend/registry.js';
import type { Backend } from '../../../src/backend/backend.js';
import { backward } from '../../../src/autograd/tape.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Linear } from '../../../src/nn/linear.js';
import { Sequential } from '../../../src/nn/containers.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Adam } from '../../../src/train/optim/index.js';
import { ts, wasm } from './util.js';

/*
 * A short training run (Linear → LIF → Linear → LIF, rate-coded cross-entropy,
 * Adam) from the same seed on wasm and on the float32 reference. The only
 * source of difference is GEMM accumulation (f32 lanes on wasm, f64 in the
 * reference), about 1e-7 relative per product sum, so the losses agree to a
 * relative 1e-5 unless a membrane lands within ~1e-6 of the threshold and
 * flips a spike — which the fixed seed avoids and the spike count check below
 * would reveal.
 */

const T = 10, B = 6, IN = 20, HID = 64, OUT = 4, STEPS = 6;

function run(b: Backend): { losses: number[]; spikes: number[] } {
  return withBackend(b, () => {
    const rng = new Rng(7);
    const model = new Sequential([new Linear(IN, HID, rng), new LIF(HID, { beta: 0.85 }), new Linear(HID, OUT, rng), new LIF(OUT, { beta: 0.85, threshold: 0.05 })]);
    const opt = new Adam(model.parameters(), { lr: 0.002 });
    const data = new Rng(8);
    const losses: number[] = [], spikes: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const x = tensor(Array.from({ length: T * B * IN }, () => data.uniform(0, 4)), [T, B, IN]);
      const y = Int32Array.from({ length: B }, () => data.int(OUT));
      model.resetState();
      const out = model.forward(x);
      const loss = ceRateLoss(out, y);
      losses.push(loss.item());
      spikes.push(b.sum(out.storage));
      opt.zeroGrad();
      backward(loss);
      opt.step();
    }
    return { losses, spikes };
  });
}

test('a short Linear+LIF training run gives the same losses on wasm and ts (relative 1e-5)', () => {
  const r = run(ts), w = run(wasm);
  assert.deepEqual(w.spikes, r.spikes, 'spike counts per step');
  assert.ok(r.spikes.some((c) => c > 0), 'the network spikes');
  for (let i = 0; i < STEPS; i++) {
    assert.ok(Math.abs(w.losses[i]! - r.losses[i]!) <= 1e-5 * Math.abs(r.losses[i]!), `step ${i}: wasm ${w.losses[i]} vs ts ${r.losses[i]}`);
  }
  assert.ok(new Set(r.losses).size > 2, 'the loss moves during training');
});
