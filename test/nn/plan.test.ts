import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../src/errors.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { planModel } from '../../src/nn/plan.js';
import { Rng } from '../../src/tensor/rng.js';
import { repoRoot } from '../helpers.js';

/*
 * The shape walk that runs before the model builder: it must agree with the
 * build (output shape and parameter count) on the shipped examples, and it
 * must refuse a layer over a budget, naming it, before anything is built.
 */

function exampleLayers(name: string): LayerConfig[] {
  const cfg = YAML.parse(readFileSync(join(repoRoot(), 'examples', name), 'utf8')) as { model: { layers: LayerConfig[] } };
  return cfg.model.layers;
}

function build(layers: readonly LayerConfig[], inputShape: number[]) {
  return buildModel(layers, { inputShape, steps: 2, timeConstantInput: true, rng: new Rng(1), readout: true });
}

test('plan: output shape and parameter count agree with the built model on the examples', () => {
  for (const name of ['mnist-lif.yaml', 'mnist-conv.yaml', 'fashion-mnist-conv.yaml', 'fashion-mnist-spikformer.yaml', 'fashion-mnist-meta-spikformer.yaml', 'fashion-mnist-sdt.yaml']) {
    const layers = exampleLayers(name);
    const plan = planModel(layers, { inputShape: [1, 28, 28] });
    const built = build(layers, [1, 28, 28]);
    assert.deepEqual(plan.outputShape, built.outputShape, `${name}: output shape`);
    const params = built.model.parameters().reduce((a, p) => a + p.size, 0);
    assert.equal(plan.parameters, params, `${name}: parameters`);
  }
  // Delay layers: the shape agrees; the count adds the K-tap kernel learned delays spread into.
  const dcls = exampleLayers('shd-dcls.yaml');
  assert.deepEqual(planModel(dcls, { inputShape: [700] }).outputShape, build(dcls, [700]).outputShape);
});

test('plan: conv geometry (stride, padding, dilation, groups) and block repetition counted as built', () => {
  const layers: LayerConfig[] = [
    { type: 'conv2d', out_channels: 8, kernel_size: [3, 5], stride: [2, 1], padding: [1, 2], dilation: [1, 2] },
    { type: 'conv2d', out_channels: 8, kernel_size: 3, groups: 4, padding: 'same', bias: false },
    { type: 'avgpool2d', kernel_size: 2 },
    { type: 'block', repeat: 3, layers: [{ type: 'residual', layers: [{ type: 'conv2d', out_channels: 8, kernel_size: 1 }, { type: 'lif' }] }] },
    { type: 'linear', out: 7, bias: false },
    { type: 'lif' },
  ];
  const plan = planModel(layers, { inputShape: [2, 16, 16] });
  const built = build(layers, [2, 16, 16]);
  assert.deepEqual(plan.outputShape, built.outputShape);
  assert.equal(plan.parameters, built.model.parameters().reduce((a, p) => a + p.size, 0));
});

test('plan: a layer over the parameter budget is refused naming the layer, its shapes and its bytes, before the build allocates', () => {
  const layers: LayerConfig[] = [{ type: 'linear', out: 400_000 }, { type: 'lif' }, { type: 'linear', out: 10 }, { type: 'lif' }];
  const msg = "model.layers[0] (linear): [784] → [400000] needs 314000000 parameters (1.26 GB as float32), over the 1 GiB limit for the model's parameters (limits.parameter_bytes)";
  assert.throws(() => planModel(layers, { inputShape: [1, 28, 28] }), (e: unknown) => e instanceof ConfigError && e.message === msg);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => build(layers, [1, 28, 28]), (e: unknown) => e instanceof ConfigError && e.message === msg);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'nothing allocated');
  // The total counts: two layers each under the budget, together over it (a smaller budget).
  const two: LayerConfig[] = [{ type: 'linear', out: 100 }, { type: 'lif' }, { type: 'linear', out: 100 }, { type: 'lif' }];
  assert.throws(
    () => planModel(two, { inputShape: [784], where: 'cfg.layers', limits: { parameterBytes: 4 * 80_000 } }),
    /ConfigError: cfg\.layers\[2\] \(linear\): \[100\] → \[100\] needs 10100 parameters \(40\.40 kB as float32\), the model 88600 with the layers before \(354\.40 kB\), over the 320\.00 kB limit/,
  );
});

test('plan: a layer whose output per sample is over the activation budget is refused, naming it', () => {
  const layers: LayerConfig[] = [{ type: 'conv2d', out_channels: 16, kernel_size: 3, padding: 100_000 }, { type: 'lif' }];
  assert.throws(
    () => planModel(layers, { inputShape: [1, 28, 28] }),
    (e: unknown) => e instanceof ConfigError && /^model\.layers\[0\] \(conv2d\): \[1, 28, 28\] → \[16, 200026, 200026\] makes \d+ values per sample and time step/.test(e.message) && e.message.includes('(limits.activation_bytes)'),
  );
  // In a container the nested layer is named by its path.
  const nested: LayerConfig[] = [{ type: 'block', layers: [{ type: 'linear', out: 70_000_000 }] }];
  assert.throws(() => planModel(nested, { inputShape: [4] }), /ConfigError: model\.layers\[0\] \(block\)\.layers\[0\] \(linear\): \[4\] → \[70000000\] makes/);
});

test('plan: layers it cannot work out are left to the build, which reports them as before', () => {
  assert.equal(planModel([{ type: 'nosuchlayer' }], { inputShape: [4] }).outputShape, null);
  assert.equal(planModel([{ type: 'conv2d', out_channels: 4, kernel_size: 3 }], { inputShape: [4] }).outputShape, null);
  assert.throws(() => build([{ type: 'conv2d', out_channels: 4, kernel_size: 3 }], [4]), /input per sample must be \[C, H, W\], got \[4\]/);
});
