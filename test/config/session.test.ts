import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../helpers.js';
import { configSchema } from '../../src/config/schema.js';
import { buildSession, makeLoader, makeOptimizer, makeScheduler, tensorBatches } from '../../src/config/session.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { datasetRegistry } from '../../src/data/registry.js';
import { defineLayer } from '../../src/nn/layers.js';
import { Module } from '../../src/module/module.js';
import { scale } from '../../src/ops/elementwise.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/tensor/rng.js';
import { Trainer } from '../../src/train/trainer.js';
import { ConfigError } from '../../src/errors.js';

/** A small synthetic split: `n` samples of `shape`, 3 classes. */
function toyData(n: number, shape: number[]): SplitDataset {
  const rng = new Rng(5);
  const F = shape.reduce((a, b) => a * b, 1);
  const split = (name: string) => {
    const images = new Float32Array(n * F).map(() => rng.random());
    const labels = new Uint8Array(n).map((_, i) => i % 3);
    return makeDataset({ name, images, labels, shape, numClasses: 3 });
  };
  return { train: split('toy'), test: split('toy') };
}

/** One training batch through the session's own pieces, as the CLI's train command wires them. */
function trainOneBatch(raw: unknown, data?: SplitDataset): number {
  const config = configSchema.parse(raw);
  const s = buildSession(config, { ...(data ? { data } : {}), backend: 'ts' });
  const optimizer = makeOptimizer(config.train.optimizer, s.model.parameters());
  const scheduler = makeScheduler(config.train.scheduler, config.train.epochs, optimizer);
  const before = s.model.parameters().map((p) => Float32Array.from(p.data as Float32Array));
  const trainer = new Trainer({ model: s.model, encode: (x) => s.encoder.encode(x, s.rngs.encoder), loss: s.loss, optimizer, scheduler });
  const loader = makeLoader(s.data.train, config.data.batch_size, true, s.rngs.loader);
  const first = tensorBatches(loader, s.data.train.shape, s.backend).next().value!;
  const r = trainer.trainEpoch([first]);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
  assert.equal(r.samples, config.data.batch_size);
  const changed = s.model.parameters().some((p, i) => (p.data as Float32Array).some((v, j) => v !== before[i]![j]));
  assert.ok(changed, 'one step changes the weights');
  return r.loss;
}

// What a browser page does: register its data under a name its configs use.
// (Once a bundle registers datasets, data.dataset must name one of them.)
datasetRegistry.register({ name: 'toy-images', doc: 'test data', temporal: false, options: {}, load: () => toyData(8, [1, 4, 4]) });

const config = {
  name: 'toy',
  seed: 3,
  data: { dataset: 'toy-images', batch_size: 4 },
  encoder: { type: 'rate', steps: 3 },
  model: { layers: [{ type: 'linear', out: 8 }, { type: 'lif', beta: 0.9 }, { type: 'linear', out: 3 }, { type: 'lif' }] },
  train: { optimizer: { type: 'sgd', lr: 0.5, momentum: 0.9 }, scheduler: { type: 'cosine', warmup_epochs: 1 }, loss: { type: 'mse_count', correct_rate: 1 } },
};

test('buildSession: a session from a config object and in-memory data (no files) trains a batch, reproducibly', () => {
  // `data` given: it is used instead of the registered loader's.
  const a = trainOneBatch(config, toyData(8, [6]));
  const b = trainOneBatch(config, toyData(8, [6]));
  assert.equal(a, b, 'same config and seed, same loss');
});

test('buildSession: the data can come from a dataset registered in the browser-safe registry', () => {
  const cnn = {
    ...config,
    data: { dataset: 'toy-images', batch_size: 4 },
    model: { layers: [{ type: 'conv2d', out_channels: 2, kernel_size: 3, padding: 'same' }, { type: 'lif' }, { type: 'maxpool2d', kernel_size: 2 }, { type: 'linear', out: 3 }, { type: 'lif' }] },
    train: { loss: { type: 'ce_membrane', reduce: 'max' } },
  };
  trainOneBatch(cnn);
  // The session checks the data against the model: a wrong class count names the layers.
  assert.throws(() => buildSession(configSchema.parse({ ...config, model: { layers: [{ type: 'linear', out: 4 }, { type: 'lif' }] } }), { data: toyData(4, [6]), backend: 'ts' }), (e: unknown) => e instanceof ConfigError && /3 classes/.test(e.message));
});

/** A layer the library does not have: y = factor · x. */
class Scale extends Module {
  constructor(readonly factor: number) {
    super();
  }
  get kind(): string {
    return 'Scale';
  }
  forward(x: Tensor): Tensor {
    return scale(x, this.factor);
  }
}

test('a layer type registered through the registry is buildable from a config', () => {
  defineLayer({
    name: 'test_scale',
    doc: 'multiplies by a constant (test layer)',
    options: { factor: { type: 'number', default: 1, check: (v) => v > 0, want: 'a positive number' } },
    make: (o) => new Scale(o.factor),
  });
  const layers = [{ type: 'linear', out: 8 }, { type: 'test_scale', factor: 2 }, { type: 'lif' }, { type: 'linear', out: 3 }, { type: 'lif' }];
  trainOneBatch({ ...config, model: { layers } }, toyData(8, [6]));
  const s = buildSession(configSchema.parse({ ...config, model: { layers } }), { data: toyData(8, [6]), backend: 'ts' });
  assert.ok(s.model.namedModules().some(([, m]) => m instanceof Scale && m.factor === 2));
  // Its options are checked by the config schema like any built-in layer's.
  const bad = configSchema.safeParse({ ...config, model: { layers: [layers[0], { type: 'test_scale', factr: 2 }, layers[2]] } });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /unknown option 'factr' for layer type 'test_scale' \(accepted: factor\)/);
  assert.equal(configSchema.safeParse({ ...config, model: { layers: [layers[0], { type: 'test_scale', factor: -1 }, layers[2]] } }).success, false);
});

// (src/neurons/lif-node.ts is SpikingJelly's LIFNode, not a Node-only file: the test looks at what files import, not at names.)
test('the library session module and the config schema import nothing Node-only', () => {
  const src = join(repoRoot(), 'src');
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('node:')) offenders.push(`${file}: ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  for (const f of ['config/session.ts', 'config/schema.ts', 'nn/layers.ts', 'data/registry.ts', 'train/losses.ts', 'train/optim/registry.ts', 'train/scheduler-registry.ts']) visit(join(src, f));
  assert.deepEqual(offenders, []);
  assert.ok(seen.size > 20, `walked ${seen.size} files`);
});

test('a neuron type with a registry entry: the schema checks its options from entry.options, the builder makes it through the entry', async () => {
  const { neuronRegistry } = await import('../../src/neurons/registry.js');
  const { LIF } = await import('../../src/neurons/lif/model.js');
  let made = 0;
  neuronRegistry.register({
    name: 'test_lif',
    kind: 'LIF',
    cost: { macs: 1, acs: 2, stateWords: 1 },
    options: { beta: { type: 'number', default: 0.9 }, learnBeta: { type: 'boolean', default: false } },
    make: (f, o) => {
      made++;
      return new LIF(f, { beta: o['beta'] as number | undefined, learnBeta: o['learnBeta'] as boolean | undefined });
    },
  });
  const layers = [{ type: 'linear', out: 8 }, { type: 'test_lif', beta: 0.8, learn_beta: true }, { type: 'linear', out: 3 }, { type: 'lif' }];
  trainOneBatch({ ...config, model: { layers } }, toyData(8, [6]));
  assert.ok(made >= 1);
  const bad = configSchema.safeParse({ ...config, model: { layers: [layers[0], { type: 'test_lif', betta: 0.5 }, layers[2], layers[3]] } });
  assert.equal(bad.success, false);
  const issue = bad.error!.issues[0]!;
  assert.deepEqual(issue.path, ['model', 'layers', 1]);
  assert.match(issue.message, /unknown option 'betta' for layer type 'test_lif' \(accepted: beta, learn_beta\)/);
});
