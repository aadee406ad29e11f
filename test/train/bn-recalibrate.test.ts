// train.bn_recalibration (Trainer.recalibrateBatchNorm): after it, every batch-norm
// layer's running statistics are the plain average of the given batches' statistics
// (mean, and unbiased variance as PyTorch keeps), whatever they held before; the
// weights, the momentum and the training mode are left as they were.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { BatchNorm1d } from '../../src/nn/norm.js';
import { ceRateLoss } from '../../src/ops/loss.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { SGD } from '../../src/train/optim/index.js';
import { Trainer, type Batch } from '../../src/train/trainer.js';

test('recalibrateBatchNorm: running statistics become the average of the batch statistics', () => {
  const rng = new Rng(7);
  const lin = new Linear(3, 2, rng);
  const bn = new BatchNorm1d(2, { momentum: 0.1 });
  const model = new Sequential([lin, bn]);
  const trainer = new Trainer({ model, encode: (x) => x, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
  // Stale statistics, as an oscillating quantized run leaves them.
  bn.runningMean!.data.set([5, -5]);
  bn.runningVar!.data.set([9, 0.01]);
  const T = 2, B = 3;
  const batches: Batch[] = [0, 1, 2].map((k) => ({
    x: tensor(Array.from({ length: T * B * 3 }, (_, i) => Math.sin(1.3 * i + k) * (k + 1) + k), [T, B, 3]),
    y: new Int32Array(B),
  }));
  const weightsBefore = Array.from(lin.weight.data);
  model.train(false);
  const r = trainer.recalibrateBatchNorm(batches);
  assert.deepEqual(r, { layers: 1, batches: 3, samples: 9 });
  // Expected: per batch, the linear layer's outputs over T·B rows, their mean and unbiased variance per channel; then the average.
  const W = lin.weight.data, bias = lin.bias!.data;
  const want = { mean: [0, 0], var: [0, 0] };
  for (const b of batches) {
    const x = b.x.data, M = T * B;
    for (let c = 0; c < 2; c++) {
      const ys: number[] = [];
      for (let m = 0; m < M; m++) {
        let y = bias[c]!;
        for (let i = 0; i < 3; i++) y += W[c * 3 + i]! * x[m * 3 + i]!;
        ys.push(y);
      }
      const mu = ys.reduce((a, v) => a + v, 0) / M;
      const v = ys.reduce((a, y) => a + (y - mu) ** 2, 0) / (M - 1);
      want.mean[c]! += mu / batches.length;
      want.var[c]! += v / batches.length;
    }
  }
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(bn.runningMean!.data[c]! - want.mean[c]!) < 1e-5, `mean[${c}] ${bn.runningMean!.data[c]} vs ${want.mean[c]}`);
    assert.ok(Math.abs(bn.runningVar!.data[c]! - want.var[c]!) < 1e-4 * (1 + want.var[c]!), `var[${c}] ${bn.runningVar!.data[c]} vs ${want.var[c]}`);
  }
  assert.deepEqual(Array.from(lin.weight.data), weightsBefore, 'the weights are not trained');
  assert.equal(bn.momentum, 0.1, 'the layer keeps its momentum');
  assert.equal(model.training, false, 'the model is back in the mode it was in');
  // Twice the same batches: the same statistics (the reset makes it independent of what was there).
  const first = [Array.from(bn.runningMean!.data), Array.from(bn.runningVar!.data)];
  trainer.recalibrateBatchNorm(batches);
  assert.deepEqual([Array.from(bn.runningMean!.data), Array.from(bn.runningVar!.data)], first);
});

test('recalibrateBatchNorm: a model without batch norm is left alone', () => {
  const model = new Sequential([new Linear(3, 2, new Rng(1))]);
  const trainer = new Trainer({ model, encode: (x) => x, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
  assert.deepEqual(trainer.recalibrateBatchNorm([{ x: tensor(new Array(6).fill(1), [1, 2, 3]), y: new Int32Array(2) }]), { layers: 0, batches: 0, samples: 0 });
});
