// A Linear + LIF training step on webgpu, end to end through the public ops
// and modules: forward over T steps with spike inputs, a loss computed on the
// device (ce_count, the default run's loss, plus a sum() term), backward through the fused
// scan and the GEMMs, one Adam step — against the same step on ts from the
// same initial weights. Parameters after the step agree to 1e-4 relative to
// 1 + |expected|; the loss is read back asynchronously and agrees to 1e-4.
// Output spikes must be identical (a flipped spike would show as a large
// error; with these seeds no membrane lands within float32 rounding of θ).
import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import type { Backend } from '../../../src/backend/backend.js';
import { createTsBackend } from '../../../src/backend/ts/backend.js';
import { withBackend } from '../../../src/backend/registry.js';
import { Linear } from '../../../src/nn/linear.js';
import { Sequential } from '../../../src/nn/containers.js';
import { LIF } from '../../../src/neurons/lif/model.js';
import { add, sum, scale } from '../../../src/ops/elementwise.js';
import { ceCountLoss } from '../../../src/ops/loss.js';
import { Adam } from '../../../src/train/optim/adam.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertNear, spikes, webgpuOrSkip } from './helpers.js';

const T = 6, B = 4, K = 50, H = 40, O = 10;

interface StepResult {
  loss: number;
  out: Float32Array;
  params: Float32Array[];
}

async function trainStep(be: Backend): Promise<StepResult> {
  return withBackend(be, async () => {
    const rng = new Rng(42);
    const net = new Sequential([new Linear(K, H, rng), new LIF(H, { beta: 0.9, threshold: 0.5 }), new Linear(H, O, rng), new LIF(O, { beta: 0.8, threshold: 0.3 })]);
    const x = new Tensor(be.fromArray(spikes(new Rng(7), T * B * K, 0.3)), [T, B, K], { backend: be, binary: true });
    const opt = new Adam(net.parameters(), { lr: 1e-2 });
    const y = net.forward(x);
    // ce_count (the default run's loss) plus a small term reduced with sum(), both on the device.
    const loss = add(ceCountLoss(y, Int32Array.from([3, 1, 4, 1])), scale(sum(net.parameters()[0]!), 0.01));
    opt.zeroGrad();
    backward(loss);
    opt.step();
    const params: Float32Array[] = [];
    for (const p of net.parameters()) params.push((await p.read()) as Float32Array);
    return { loss: (await loss.read())[0]!, out: (await y.read()) as Float32Array, params };
  });
}

test('a Linear + LIF forward, backward and Adam step on webgpu matches ts', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const before = be.counters();
  const gpu = await trainStep(be);
  const after = be.counters();
  const ref = await trainStep(createTsBackend('float32'));
  assert.deepEqual([...gpu.out], [...ref.out], 'output spikes');
  assert.ok(ref.out.some((v) => v === 1) && ref.out.some((v) => v === 0), 'the output layer both fires and stays silent (the test exercises the surrogate)');
  assertNear([gpu.loss], [ref.loss], 1e-4, 'loss');
  assert.equal(gpu.params.length, ref.params.length);
  gpu.params.forEach((p, i) => assertNear(p, ref.params[i]!, 1e-4, `parameter ${i} after one Adam step`));
  // Batched: the whole step is a handful of submissions (one per read here), not one per op.
  const reads = after.reads - before.reads;
  assert.ok(after.submits - before.submits <= reads + 1, `${after.submits - before.submits} submissions for ${after.dispatches - before.dispatches} dispatches and ${reads} reads`);
});
