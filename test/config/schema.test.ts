import test from 'node:test';
import assert from 'node:assert/strict';
import { buildConfigSchema, configSchema } from '../../src/config/schema.js';
import { formatZodError, parseConfigText } from '../../src/config/load-node.js';
import { ConfigError } from '../../src/errors.js';

const layers = [{ type: 'linear', out: 10 }, { type: 'lif', beta: 0.9 }];

/** The one-line message the CLI would print for a config object. */
function problem(raw: unknown): string {
  const r = configSchema.safeParse(raw);
  assert.equal(r.success, false, 'expected the config to be rejected');
  return formatZodError((r as { error: Parameters<typeof formatZodError>[0] }).error, 'cfg.yaml');
}

test('defaults as before: optimizer and scheduler options are filled from the registry entries', () => {
  const c = configSchema.parse({ model: { layers } });
  assert.deepEqual(c.train.optimizer, { type: 'adam', lr: 5e-4, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 });
  assert.deepEqual(c.train.scheduler, { type: 'none', warmup_epochs: 0 });
  assert.deepEqual(c.train.loss, { type: 'ce_rate' });
  assert.deepEqual(c.encoder, { type: 'rate', steps: 25 });
  assert.equal(c.data.dataset, 'mnist');
  assert.deepEqual(c.model.layers, layers);
  const sgd = configSchema.parse({ model: { layers }, train: { optimizer: { type: 'sgd', lr: 0.1 }, scheduler: { type: 'step' } } });
  assert.deepEqual(sgd.train.optimizer, { type: 'sgd', lr: 0.1, momentum: 0, nesterov: false, weight_decay: 0 });
  assert.deepEqual(sgd.train.scheduler, { type: 'step', step_size: 1, gamma: 0.1, warmup_epochs: 0 });
  // A second instance behaves the same.
  assert.deepEqual(buildConfigSchema().parse({ model: { layers } }), c);
});

test('an unknown optimizer field is rejected with its path and the accepted ones', () => {
  const m = problem({ model: { layers }, train: { optimizer: { type: 'adam', lr: 0.01, momentun: 0.9 } } });
  assert.match(m, /^cfg\.yaml: train\.optimizer: unknown option 'momentun' for optimizer 'adam' \(accepted: betas, eps, lr, weight_decay\)$/);
  // Another optimizer's option with a non-default value is not silently dropped.
  assert.match(problem({ model: { layers }, train: { optimizer: { type: 'adam', momentum: 0.9 } } }), /train\.optimizer: unknown option 'momentum'/);
  assert.match(problem({ model: { layers }, train: { optimizer: { type: 'adagrad' } } }), /train\.optimizer\.type: unknown optimizer 'adagrad' \(accepted: sgd, adam, adamw\)/);
  assert.match(problem({ model: { layers }, train: { optimizer: { lr: -1 } } }), /train\.optimizer\.lr: must be a positive number/);
  assert.match(problem({ model: { layers }, train: { scheduler: { type: 'cosine', gama: 0.5 } } }), /train\.scheduler: unknown option 'gama' for scheduler 'cosine'/);
});

test('an unknown layer option is rejected with the layer path', () => {
  const m = problem({ model: { layers: [{ type: 'linear', out: 10, bais: false }, layers[1]] } });
  assert.match(m, /^cfg\.yaml: model\.layers\[0\]: unknown option 'bais' for layer type 'linear' \(accepted: bias, out\)$/);
  assert.match(problem({ model: { layers: [{ type: 'conv2d', out_channels: 4 }, layers[1]] } }), /model\.layers\[0\]\.kernel_size: option 'kernel_size' of layer type 'conv2d' is required/);
  assert.match(problem({ model: { layers: [{ type: 'dropout', p: 'half' }, layers[1]] } }), /model\.layers\[0\]\.p: expected number, got string/);
  assert.match(problem({ model: { layers: [{ type: 'dens', out: 10 }, layers[1]] } }), /model\.layers\[0\]\.type: unknown layer type 'dens' \(accepted: linear, conv1d/);
  assert.match(problem({ model: { layers }, encoder: { type: 'rate', gian: 2 } }), /encoder: unknown option 'gian' for encoder type 'rate' \(accepted: gain, offset\)/);
  assert.match(problem({ model: { layers }, train: { loss: { type: 'mse_count', correct_rate: 'high' } } }), /train\.loss\.correct_rate: expected number/);
  assert.match(problem({ model: { layers }, data: { dataset: 'cifar' } }), /data\.dataset: unknown dataset 'cifar' \(accepted: mnist/);
});

test('a run folder written before the registries still loads (full legacy optimizer / scheduler blocks)', () => {
  const text = `
model: { layers: [{ type: linear, out: 10 }, { type: lif }] }
train:
  optimizer: { type: adam, lr: 0.002, momentum: 0, nesterov: false, weight_decay: 0, betas: [0.9, 0.999], eps: 1.0e-8 }
  scheduler: { type: cosine, step_size: 1, gamma: 0.1, eta_min: 0, warmup_epochs: 0 }
`;
  const c = parseConfigText(text, 'old/config.yaml');
  assert.deepEqual(c.train.optimizer, { type: 'adam', lr: 0.002, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 });
  assert.deepEqual(c.train.scheduler, { type: 'cosine', eta_min: 0, warmup_epochs: 0 });
  assert.throws(() => parseConfigText(text.replace('momentum: 0', 'momentum: 0.5'), 'old/config.yaml'), (e: unknown) => e instanceof ConfigError && /old\/config\.yaml: train\.optimizer: unknown option 'momentum'/.test(e.message));
});
