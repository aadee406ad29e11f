import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { Conv1d, Conv2d } from '../../src/nn/conv.js';
import { AvgPool2d, MaxPool2d, SumPool2d } from '../../src/nn/pool.js';
import { BatchNorm1d, BatchNorm2d, TdBatchNorm } from '../../src/nn/norm.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Sequential } from '../../src/nn/containers.js';
import { conv2d } from '../../src/ops/conv.js';
import { sum } from '../../src/ops/elementwise.js';
import { backward } from '../../src/autograd/tape.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';
import { randomArray } from './naive.js';

const ts64 = getBackendByName('ts64');

test('Conv2d/Conv1d: PyTorch init bounds, parameters, describe, outputShape, forward over [T, B, ...]', () => {
  withBackend(ts64, () => {
    const conv = new Conv2d(4, 6, [3, 2], new Rng(1), { stride: 2, padding: 1, groups: 2 });
    const bound = 1 / Math.sqrt(2 * 3 * 2);
    assert.deepEqual(conv.weight.shape, [6, 2, 3, 2]);
    assert.ok(conv.weight.toArray().every((v) => Math.abs(v) <= bound));
    assert.ok(conv.bias!.toArray().every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...conv.weight.toArray().map(Math.abs)) > bound / 2, 'init spans the bound');
    assert.deepEqual(conv.parameters().map((p) => p.name), ['weight', 'bias']);
    assert.deepEqual(conv.describe(), { in: 4, out: 6, kernel: [3, 2], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2, bias: true });
    assert.deepEqual(conv.outputShape([4, 9, 8]), [6, 5, 5]);
    const rng = new Rng(2);
    const x = tensor(randomArray(3 * 2 * 4 * 9 * 8, () => rng.uniform(-1, 1)), [3, 2, 4, 9, 8]);
    const y = conv.forward(x);
    assert.deepEqual(y.shape, [3, 2, 6, 5, 5]);
    assertClose(y.data, conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1, groups: 2 }).data, 0, 0, 'module = op');
    backward(sum(y));
    assert.deepEqual(conv.weight.grad!.shape, [6, 2, 3, 2]);
    // Same seed → same init.
    assert.deepEqual(new Conv2d(4, 6, [3, 2], new Rng(1), { groups: 2 }).weight.toArray(), conv.weight.toArray());
    // Replaced tensors are picked up by forward.
    const w2 = zeros([6, 2, 3, 2]);
    conv.setTensor('weight', w2);
    assert.equal(conv.weight, w2);

    const c1 = new Conv1d(2, 3, 4, new Rng(3), { padding: 'same', bias: false });
    assert.equal(c1.bias, null);
    assert.deepEqual(c1.outputShape([2, 10]), [3, 10]);
    assert.deepEqual(c1.forward(zeros([2, 5, 2, 10])).shape, [2, 5, 3, 10]);
    assert.equal(c1.describe().padding, 'same');
  });
});

test('layer shape errors name the layer and the offending shape', () => {
  withBackend(ts64, () => {
    const conv = new Conv2d(3, 8, 3, new Rng(1));
    assert.throws(() => conv.forward(zeros([2, 3, 5, 5])), (e: unknown) => e instanceof ShapeError && e.message.startsWith('Conv2d: input must be [T, B, 3, H, W], got [2, 3, 5, 5]'));
    assert.throws(() => conv.forward(zeros([1, 2, 4, 5, 5])), (e: unknown) => e instanceof ShapeError && /Conv2d\(3 → 8\): expected input features \[3, H, W\], got \[4, 5, 5\]/.test(e.message));
    assert.throws(() => conv.outputShape([3, 2, 2]), /Conv2d\(3 → 8\): input spatial size \[2, 2\] is too small/);
    assert.throws(() => new Conv2d(3, 8, 3, new Rng(1), { groups: 2 }), /groups=2 must divide both channel counts/);
    assert.throws(() => new Conv2d(3, 8, 3, new Rng(1), { stride: 2, padding: 'same' }), ConfigError);
    assert.throws(() => new MaxPool2d(2).forward(zeros([2, 3, 4])), /MaxPool2d: input must be \[T, B, C, H, W\], got \[2, 3, 4\]/);
    assert.throws(() => new AvgPool2d(2, { padding: 2 }), ConfigError);
    assert.throws(() => new BatchNorm2d(4).forward(zeros([1, 2, 3, 4, 4])), /BatchNorm2d\(4\): input must be \[T, B, C, H, W\] with C = 4, got \[1, 2, 3, 4, 4\]/);
    assert.throws(() => new BatchNorm1d(4).outputShape([4, 2, 2]), /BatchNorm1d\(4\)/);
    assert.throws(() => new Flatten().forward(zeros([2, 3])), /Flatten: input must be \[T, B, \.\.\.features\]/);
    assert.throws(() => new Flatten({ startDim: 2 }).outputShape([3, 4]), /Flatten\(startDim=2, endDim=-1\): cannot flatten input features \[3, 4\]/);
  });
});

test('pooling, flatten and dropout modules: shapes, settings, train/eval', () => {
  withBackend(ts64, () => {
    const x = tensor(randomArray(2 * 3 * 2 * 6 * 6, () => 1), [2, 3, 2, 6, 6]);
    for (const P of [MaxPool2d, AvgPool2d, SumPool2d]) {
      const pool = new P(2);
      assert.deepEqual(pool.outputShape([2, 6, 6]), [2, 3, 3]);
      assert.deepEqual(pool.forward(x).shape, [2, 3, 2, 3, 3]);
      assert.deepEqual(pool.parameters(), []);
    }
    assert.equal(new SumPool2d(2).forward(x).data[0], 4);
    assert.deepEqual(new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).describe(), { kernel: [3, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false });

    const flat = new Flatten();
    const f = flat.forward(x);
    assert.deepEqual(f.shape, [2, 3, 72]);
    assert.deepEqual(flat.outputShape([2, 6, 6]), [72]);
    assert.deepEqual(new Flatten({ startDim: 1 }).outputShape([2, 6, 6]), [2, 36]);

    const drop = new Dropout(0.5, new Rng(4));
    const yd = drop.forward(x);
    assert.ok(yd.toArray().some((v) => v === 0));
    drop.eval();
    assert.equal(drop.forward(x), x);
    assert.deepEqual(drop.describe(), { p: 0.5 });
    assert.throws(() => new Dropout(-0.1, new Rng(1)), ConfigError);
    // Two modules with equally seeded generators drop the same units.
    assert.deepEqual(new Dropout(0.3, new Rng(8)).forward(x).toArray(), new Dropout(0.3, new Rng(8)).forward(x).toArray());
  });
});

test('BatchNorm modules: running stats buffers update in training, are used in eval; tdBN scales by alpha·threshold', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const x = tensor(randomArray(4 * 2 * 3 * 2 * 2, () => rng.uniform(0, 4)), [4, 2, 3, 2, 2]);
    const bn = new BatchNorm2d(3, { momentum: 0.2 });
    assert.deepEqual(bn.namedBuffers().map(([n]) => n), ['running_mean', 'running_var']);
    assert.deepEqual(bn.parameters().map((p) => p.name), ['weight', 'bias']);
    const y = bn.forward(x);
    // Training output has zero mean and unit (biased) variance per channel.
    for (let c = 0; c < 3; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 8; n++) for (let p = 0; p < 4; p++) vals.push(y.data[(n * 3 + c) * 4 + p]!);
      const m = vals.reduce((a, v) => a + v, 0) / vals.length;
      const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / vals.length;
      assert.ok(Math.abs(m) < 1e-12 && Math.abs(v - 1) < 1e-4, `channel ${c}: mean ${m} var ${v}`);
    }
    const rm = bn.runningMean!.toArray();
    assert.ok(rm.every((v) => v > 0.2 && v < 0.6), `running mean moved 20% towards ~2: ${rm}`);
    bn.eval();
    const ye = bn.forward(x);
    assert.deepEqual(bn.runningMean!.toArray(), rm, 'eval does not update');
    assert.notDeepEqual(ye.toArray(), y.toArray());

    const bn1 = new BatchNorm1d(3, { affine: false, trackRunningStats: false });
    assert.deepEqual(bn1.parameters(), []);
    assert.deepEqual(bn1.forward(zeros([2, 2, 3])).shape, [2, 2, 3]);
    assert.deepEqual(bn1.forward(tensor(randomArray(2 * 2 * 3 * 5, () => rng.random()), [2, 2, 3, 5])).shape, [2, 2, 3, 5]);

    const td = new TdBatchNorm(3, { alpha: 0.5, threshold: 2, dims: 2 });
    const plain = new BatchNorm2d(3);
    const td2 = new TdBatchNorm(3, { alpha: 0.5, threshold: 3 });
    assertClose(td2.forward(x).data, plain.forward(x).data.map((v) => 1.5 * v), 1e-12, 0, 'tdBN = 1.5 × BN');
    assert.deepEqual(td.describe(), { features: 3, eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true, dims: 2, alpha: 0.5, threshold: 2 });
    assert.equal(new TdBatchNorm(4, { dims: 1 }).forward(zeros([3, 2, 4])).shape.length, 3);

    // A conv → BN → pool → flatten stack trains end to end.
    const net = new Sequential([new Conv2d(3, 4, 3, new Rng(6), { padding: 1 }), new BatchNorm2d(4), new MaxPool2d(2), new Flatten()]);
    const out = net.forward(x);
    assert.deepEqual(out.shape, [4, 2, 4]);
    backward(sum(out));
    assert.ok(net.parameters().every((p) => p.grad !== null));
  });
});
