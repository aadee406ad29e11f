import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { zeros } from '../../src/tensor/create.js';
import { layerRegistry, makeLayer } from '../../src/nn/layers.js';
import { buildModel } from '../../src/nn/builder.js';
import { createEncoder, encoderRegistry } from '../../src/encoding/factory.js';
import { lossRegistry, makeLoss } from '../../src/train/losses.js';
import { makeOptimizer, optimizerRegistry } from '../../src/train/optim/registry.js';
import { makeScheduler, schedulerRegistry } from '../../src/train/scheduler-registry.js';
import { datasetRegistry } from '../../src/data/registry.js';
import { loadDataset } from '../../src/data/load-node.js';
import { SGD } from '../../src/train/optim/sgd.js';
import { AdamW } from '../../src/train/optim/adam.js';

/** Asserts a ConfigError whose message contains every fragment. */
function configError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `'${e.message}' should mention '${f}'`);
    return true;
  });
}

const params = () => [zeros([2, 2])];

test('every registry holds the built-in names', () => {
  assert.deepEqual(layerRegistry.names(), ['linear', 'conv1d', 'conv2d', 'maxpool2d', 'avgpool2d', 'sumpool2d', 'batchnorm', 'tdbn', 'dropout', 'flatten', 'delay_linear', 'residual', 'block', 'ssa', 'sdsa', 'layernorm', 'global_avgpool', 'embedding', 'rwkv', 'transformer']);
  assert.deepEqual(encoderRegistry.names(), ['rate', 'poisson', 'latency', 'delta', 'direct', 'population', 'frames']);
  assert.deepEqual(lossRegistry.names(), ['ce_rate', 'ce_count', 'mse_count', 'ce_membrane', 'ce_readout']);
  assert.deepEqual(optimizerRegistry.names(), ['sgd', 'adam', 'adamw']);
  assert.deepEqual(schedulerRegistry.names(), ['none', 'step', 'cosine', 'one_cycle']);
  // load-node.ts (imported above) registers the Node datasets.
  assert.deepEqual(datasetRegistry.names(), ['mnist', 'fashion-mnist', 'idx', 'cifar10', 'cifar100', 'nmnist-emulated', 'nmnist', 'dvs-gesture', 'cifar10-dvs', 'shd', 'ssc', 'delay-patterns', 'spoken-digits']);
  for (const d of ['nmnist', 'dvs-gesture', 'cifar10-dvs', 'shd', 'ssc', 'delay-patterns', 'spoken-digits']) assert.equal(datasetRegistry.get(d).temporal, true, d);
  assert.equal(datasetRegistry.get('nmnist-emulated').temporal, true);
  for (const d of ['mnist', 'cifar10', 'cifar100']) assert.equal(datasetRegistry.get(d).temporal, false, d);
});

test('layers: unknown names and options are ConfigErrors naming them', () => {
  const ctx = { inputShape: [4], rng: new Rng(0), where: 'model.layers[0] (linear)' };
  configError(() => layerRegistry.get('lienar', 'model.layers[0]'), 'model.layers[0]', "'lienar'", 'linear', 'conv2d');
  configError(() => makeLayer(layerRegistry.get('linear'), { out: 3, biass: false }, ctx), 'model.layers[0] (linear)', "'biass'", 'bias, out');
  configError(() => makeLayer(layerRegistry.get('linear'), {}, ctx), "'out'", 'required');
  configError(() => makeLayer(layerRegistry.get('dropout'), { p: 1 }, ctx), "'p'", '[0, 1)');
  // Config spelling is snake_case: the camelCase key of the spec is not a synonym.
  configError(() => makeLayer(layerRegistry.get('conv2d'), { outChannels: 2, kernel_size: 3 }, { ...ctx, inputShape: [1, 5, 5] }), "'outChannels'", 'out_channels');
  configError(
    () => buildModel([{ type: 'linear', out: 3 }, { type: 'flaten' }, { type: 'lif' }], { inputShape: [4], steps: 2, timeConstantInput: false, rng: new Rng(0) }),
    'model.layers[1] (flaten)',
    "unknown layer type 'flaten'",
  );
});

test('encoders: unknown names and options name them', () => {
  configError(() => createEncoder({ type: 'burst' }, 4), "'burst'", 'rate', 'population');
  configError(() => createEncoder({ type: 'population', nuerons: 4 }, 4), "encoder 'population'", "'nuerons'", 'neurons');
  configError(() => createEncoder({ type: 'delta', off: 'both' }, 4), "'off'", "'signed'");
});

test('losses: unknown names and options name them', () => {
  configError(() => makeLoss({ type: 'hinge' }), 'train.loss.type', "'hinge'", 'ce_rate', 'mse_count');
  configError(() => makeLoss({ type: 'mse_count', correct: 0.9 }), 'train.loss (mse_count)', "'correct'", 'correct_rate, incorrect_rate');
  configError(() => makeLoss({ type: 'ce_rate', reduce: 'last' }), "'reduce'", 'accepted: none');
  configError(() => makeLoss({ type: 'ce_membrane', reduce: 'min' }), "'reduce'", "'mean', 'last', 'max'");
  assert.equal(lossRegistry.get('ce_membrane').needsMembrane, true);
});

test('optimizers: names, options and defaults', () => {
  configError(() => makeOptimizer({ type: 'rmsprop' }, params()), 'train.optimizer.type', "'rmsprop'", 'sgd, adam, adamw');
  configError(() => makeOptimizer({ type: 'adam', momentum: 0.9 }, params()), 'train.optimizer (adam)', "'momentum'", 'betas');
  configError(() => makeOptimizer({ type: 'adam', betas: [0.9] }, params()), "'betas'", 'pair');
  configError(() => makeOptimizer({ type: 'sgd', lr: -1 }, params()), "'lr'", 'positive');
  const sgd = makeOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, params());
  assert.ok(sgd instanceof SGD);
  assert.equal(sgd.lr, 0.1);
  const adamw = makeOptimizer({ type: 'AdamW' }, params());
  assert.ok(adamw instanceof AdamW);
  assert.equal(adamw.lr, 5e-4);
});

test('schedulers: names, options, warmup', () => {
  const opt = () => makeOptimizer({ type: 'sgd', lr: 1 }, params());
  configError(() => makeScheduler({ type: 'linear' }, 3, opt()), 'train.scheduler.type', "'linear'", 'none, step, cosine');
  configError(() => makeScheduler({ type: 'cosine', step_size: 2 }, 3, opt()), 'train.scheduler (cosine)', "'step_size'", 'eta_min, warmup_epochs');
  assert.equal(makeScheduler({ type: 'none' }, 3, opt()), null);
  assert.notEqual(makeScheduler({ type: 'none', warmup_epochs: 1 }, 3, opt()), null);
  const o = opt();
  const s = makeScheduler({ type: 'step', step_size: 1, gamma: 0.5 }, 3, o)!;
  s.step();
  assert.equal(o.lr, 0.5);
});

test('datasets: unknown names list the registered ones', () => {
  configError(() => loadDataset('imagenet'), "'imagenet'", 'mnist, fashion-mnist, idx, cifar10, cifar100, nmnist-emulated');
  configError(() => datasetRegistry.register({ name: 'MNIST', temporal: false, options: {}, load: () => { throw new Error('unused'); } }), "'mnist' is already registered");
});

test('config spelling: snake_case keys map to the specs camelCase keys and back', async () => {
  const { camelToSnake, snakeToCamel, readConfigOptions } = await import('../../src/registry/options.js');
  for (const [camel, snake] of [['outChannels', 'out_channels'], ['V', 'V'], ['tauA', 'tau_a'], ['allToAll', 'all_to_all'], ['beta2', 'beta2'], ['learnV', 'learn_v']] as const) {
    assert.equal(camelToSnake(camel), snake);
    assert.equal(snakeToCamel(snake), camel);
  }
  const spec = { maxRate: { type: 'number', default: 100 }, V: { type: 'number', required: true } } as const;
  assert.deepEqual(readConfigOptions(spec, { V: 2 }, 'x'), { maxRate: 100, V: 2 });
  configError(() => readConfigOptions(spec, { max_rate: 1 }, 'x'), "x: option 'V' is required");
});
