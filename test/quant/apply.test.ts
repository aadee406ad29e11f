import test from 'node:test';
import assert from 'node:assert/strict';
import { Sequential, Residual } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Rng } from '../../src/tensor/rng.js';
import { tensor } from '../../src/tensor/create.js';
import { backward } from '../../src/autograd/tape.js';
import { sum } from '../../src/ops/elementwise.js';
import { ConfigError, FormatError, ShapeError } from '../../src/errors.js';
import { quantizeModel, quantizedLayers, weightedLayers } from '../../src/quant/apply.js';
import { readConfigOptions } from '../../src/registry/options.js';
import { QUANTIZE_OPTIONS, type QuantizeOptions } from '../../src/quant/options.js';
import { modelSize, describeModelSize } from '../../src/quant/size.js';
import { lsqInitialStep, WEIGHT_STEP } from '../../src/nn/weighted.js';

const opts = (o: Record<string, unknown>): QuantizeOptions => readConfigOptions(QUANTIZE_OPTIONS, o, 'model.quantize');

/** conv → LIF → flatten → linear → LIF → (residual: linear) → linear: four weighted layers, one nested. */
function net(seed = 1): Sequential {
  const r = new Rng(seed);
  return new Sequential([
    new Conv2d(1, 4, 3, r),
    new LIF([4, 4, 4]),
    new Flatten(),
    new Linear(64, 16, r),
    new LIF(16),
    new Residual(new Sequential([new Linear(16, 16, r), new LIF(16)])),
    new Linear(16, 3, r),
  ]);
}

test('quantizeModel: skip_first / skip_last (defaults on) and exclude pick the layers, nested ones included', () => {
  const m = net();
  assert.deepEqual(weightedLayers(m).map(([p]) => p), ['0', '3', '5.body.0', '6']);
  const q = quantizeModel(m, opts({ bits: 4 }));
  assert.deepEqual(q.map((l) => l.path), ['3', '5.body.0']);
  assert.deepEqual(quantizedLayers(m).map(([p]) => p), ['3', '5.body.0']);
  assert.deepEqual(quantizeModel(net(), opts({ bits: 4, skip_first: false, skip_last: false, exclude: ['5'] })).map((l) => l.path), ['0', '3', '6']);
  assert.deepEqual(quantizeModel(net(), opts({ bits: 8, skip_last: false, exclude: ['5.body.0'] })).map((l) => l.path), ['3', '6']);
  // first_last_bits: the skipped first and last layers at their own width (LSQ's 8-bit first and last layers).
  const mixed = net();
  assert.deepEqual(quantizeModel(mixed, opts({ bits: 3, first_last_bits: 8 })).map((l) => [l.path, l.bits]), [['0', 8], ['3', 3], ['5.body.0', 3], ['6', 8]]);
  assert.deepEqual(modelSize(mixed).layers.map((l) => l.bits), [8, 3, 3, 8]);
  assert.throws(() => opts({ bits: 4, first_last_bits: 12 }), (e: Error) => e instanceof ConfigError && /first_last_bits' must be an integer from 2 to 8, got 12/.test(e.message));
});

test('quantizeModel: the step is `<layer>.weight_step` — a parameter under lsq, a buffer after PTQ — initialised per channel', () => {
  const m = net();
  quantizeModel(m, opts({ bits: 4 }));
  const names = [...m.stateDict().keys()];
  assert.ok(names.includes('3.weight_step') && names.includes('5.body.0.weight_step'), names.join(', '));
  assert.ok(m.namedParameters().some(([n]) => n === '3.weight_step'), 'learned: a parameter the optimizer sees');
  const lin = m.layers[3] as Linear;
  assert.deepEqual(lin.weightStep!.shape, [16]);
  // 2·mean|w_c|/√Qp for each output channel.
  const w = lin.weight.data;
  for (let c = 0; c < 16; c++) {
    let s = 0;
    for (let i = 0; i < 64; i++) s += Math.abs(w[c * 64 + i]!);
    assert.equal(lin.weightStep!.data[c], Math.fround((2 * (s / 64)) / Math.sqrt(7)), `channel ${c}`);
  }
  const p = net();
  quantizeModel(p, opts({ bits: 3, method: 'minmax', per_channel: false }));
  assert.ok(!p.namedParameters().some(([n]) => n.endsWith(WEIGHT_STEP)), 'post-training steps are not trained');
  assert.ok(p.namedBuffers().some(([n]) => n === '3.weight_step'));
  assert.deepEqual((p.layers[3] as Linear).weightStep!.shape, [1]);
  const maxAbs = Math.max(...[...(p.layers[3] as Linear).weight.data].map(Math.abs));
  assert.equal((p.layers[3] as Linear).weightStep!.data[0], Math.fround(maxAbs / 3));
});

test('quantizeModel: options and selections that cannot work are ConfigErrors naming the key', () => {
  assert.throws(() => opts({ bits: 4, skip_frist: true }), (e: Error) => e instanceof ConfigError && /unknown option 'skip_frist'/.test(e.message));
  assert.throws(() => opts({ method: 'lsq' }), (e: Error) => e instanceof ConfigError && /option 'bits' is required/.test(e.message));
  assert.throws(() => opts({ bits: 16 }), (e: Error) => e instanceof ConfigError && /'bits' must be an integer from 2 to 8/.test(e.message));
  assert.throws(() => quantizeModel(net(), opts({ bits: 4, exclude: ['9'] })), (e: Error) => e instanceof ConfigError && /model\.quantize\.exclude: '9' is no weighted layer .*weighted layers: 0 \(Conv2d\), 3 \(Linear\)/.test(e.message));
  const two = new Sequential([new Linear(4, 3), new LIF(3), new Linear(3, 2), new LIF(2)]);
  assert.throws(() => quantizeModel(two, opts({ bits: 4 })), (e: Error) => e instanceof ConfigError && /leave no layer to quantize .*set skip_first or skip_last to false/.test(e.message));
});

test('a quantized layer trains its step and its float weight; the step stays positive after an update', () => {
  const lin = new Linear(5, 3, new Rng(2));
  lin.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: true });
  const x = tensor(Array.from({ length: 2 * 5 }, (_, i) => Math.sin(i)), [1, 2, 5]);
  backward(sum(lin.forward(x)));
  assert.ok(lin.weight.grad && lin.weightStep!.grad, 'both get gradients');
  assert.deepEqual(lin.weightStep!.grad!.shape, [3]);
  lin.weightStep!.data[1] = -0.5;
  lin.afterUpdate();
  assert.ok(lin.weightStep!.data[1]! > 0);
  // Detaching drops the step and restores the float forward.
  lin.setWeightQuantizer(null);
  assert.equal(lin.weightStep, null);
  assert.deepEqual([...lin.stateDict().keys()], ['weight', 'bias']);
  assert.throws(() => lin.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false }, [1, 2]), (e: Error) => e instanceof ShapeError && /2 step values for 3 output channels/.test(e.message));
  assert.throws(() => lin.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false }, [1, 0, 2]), (e: Error) => e instanceof ConfigError && /step 1 is 0/.test(e.message));
});

test('loading a non-positive step is refused naming the tensor, and nothing is loaded', () => {
  const m = net();
  quantizeModel(m, opts({ bits: 4 }));
  const sd = new Map([...m.stateDict()].map(([n, t]) => [n, t.clone()]));
  sd.get('3.weight_step')!.data[2] = 0;
  const before = (m.layers[3] as Linear).weightStep!.data[2];
  assert.throws(() => m.loadStateDict(sd, { where: 'x.safetensors' }), (e: Error) => e instanceof FormatError && /x\.safetensors: loadStateDict: tensor '3\.weight_step' holds 0 at index 2/.test(e.message));
  assert.equal((m.layers[3] as Linear).weightStep!.data[2], before);
});

test('lsqInitialStep: an all-zero channel gets a tiny positive step', () => {
  const s = lsqInitialStep(tensor([0, 0, 1, -1], [2, 2]), 7, true);
  assert.ok(s[0]! > 0 && s[0]! < 1e-6);
  assert.equal(s[1], 2 / Math.sqrt(7));
});

test('modelSize: quantized weights at b bits, steps and everything else at 32', () => {
  const m = net();
  const before = modelSize(m);
  assert.equal(before.quantizedValues, 0);
  assert.equal(before.bytes, before.fp32Bytes);
  quantizeModel(m, opts({ bits: 4 }));
  const s = modelSize(m);
  const q = 64 * 16 + 16 * 16; // the two quantized weights
  const all = [...m.stateDict().values()].reduce((a, t) => a + t.size, 0);
  assert.equal(s.values, all);
  assert.equal(s.quantizedValues, q);
  assert.equal(s.bits, q * 4 + (all - q) * 32);
  assert.equal(s.fp32Bytes, all * 4);
  assert.deepEqual(s.layers, [{ path: '3', bits: 4, weights: 1024 }, { path: '5.body.0', bits: 4, weights: 256 }]);
  assert.match(describeModelSize(s), /1280 weights in int4, the rest float32; \d\.\d\d× smaller/);
});
