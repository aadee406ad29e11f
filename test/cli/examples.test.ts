import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText, readConfigYaml } from '../../src/config/load-node.js';
import { isLmConfig } from '../../src/lm/config.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { createEncoder } from '../../src/encoding/factory.js';
import { Rng } from '../../src/tensor/rng.js';
import { zeros } from '../../src/tensor/create.js';
import { noGrad } from '../../src/autograd/tape.js';
import { repoRoot } from '../helpers.js';
import { lossRegistry } from '../../src/train/losses.js';

const dir = join(repoRoot(), 'examples');

test('every example config validates, builds and runs one batch to its class outputs', () => {
  // Language-model configs (task: language_model) have their own schema: test/lm/examples.test.ts.
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !isLmConfig(readConfigYaml(readFileSync(join(dir, f), 'utf8'), f)));
  assert.ok(files.length >= 5, `examples: ${files.join(', ')}`);
  for (const f of files) {
    const cfg = parseConfigText(readFileSync(join(dir, f), 'utf8'), f);
    const T = cfg.encoder.steps;
    const { type, steps: _s, ...opts } = cfg.encoder;
    const enc = createEncoder({ type, ...opts }, T);
    // Event-camera data arrives as frame sequences [B, T, 2, 34, 34], SHD/SSC as [B, T, 700], spoken-digits
    // as [B, T, channels]; image datasets as [B, 1, 28, 28].
    const d = cfg.data.dataset;
    const o = (cfg.data.options ?? {}) as Record<string, number>;
    const sample =
      d === 'nmnist-emulated' || d === 'nmnist' ? [T, 2, 34, 34] : d === 'shd' || d === 'ssc' ? [T, 700] : d === 'delay-patterns' ? [T, o['channels'] ?? 8] : d === 'spoken-digits' ? [T, o['channels'] ?? 64] : d.startsWith('cifar') ? [3, 32, 32] : [1, 28, 28];
    const classes = d === 'shd' || d === 'spoken-digits' ? 20 : d === 'ssc' ? 35 : d === 'delay-patterns' ? (o['classes'] ?? 4) : d === 'cifar100' ? 100 : 10;
    const x = enc.encode(zeros([2, ...sample]), new Rng(1));
    const { model, outputShape } = buildModel(cfg.model.layers as LayerConfig[], {
      inputShape: x.shape.slice(2),
      steps: T,
      timeConstantInput: enc.outputSteps === 1 && T > 1,
      rng: new Rng(cfg.seed),
      readout: lossRegistry.get(cfg.train.loss.type).readout === true,
    });
    assert.deepEqual(outputShape, [classes], f);
    const y = noGrad(() => model.forward(x));
    // Delay layers with a tail emit that many steps after the input ends.
    const tail = (cfg.model.layers as LayerConfig[]).reduce((a, l) => a + (typeof l['tail'] === 'number' ? l['tail'] : 0), 0);
    assert.deepEqual(y.shape, [T + tail, 2, classes], f);
  }
});

test('the fashion-mnist example is the snnTorch tutorial setup', () => {
  const cfg = parseConfigText(readFileSync(join(dir, 'fashion-mnist-lif.yaml'), 'utf8'), 'fashion');
  assert.equal(cfg.encoder.type, 'rate');
  assert.equal(cfg.encoder.steps, 25);
  assert.equal(cfg.data.batch_size, 128);
  assert.equal(cfg.train.optimizer.type, 'adam');
  assert.equal(cfg.train.optimizer.lr, 5e-4);
  assert.equal(cfg.train.loss.type, 'ce_rate');
  const [l0, n0, l1, n1] = cfg.model.layers;
  assert.equal(l0!['out'], 1000);
  assert.equal(l1!['out'], 10);
  for (const n of [n0!, n1!]) {
    assert.equal(n.type, 'lif');
    assert.equal(n['beta'], 0.95);
    assert.equal(n['reset'], 'subtract');
  }
});

test('the fashion-mnist-conv example: direct encoding, conv blocks with BatchNorm, Adam + cosine, at most 3 epochs', () => {
  const cfg = parseConfigText(readFileSync(join(dir, 'fashion-mnist-conv.yaml'), 'utf8'), 'fashion-conv');
  assert.equal(cfg.data.dataset, 'fashion-mnist');
  assert.equal(cfg.encoder.type, 'direct');
  assert.ok(cfg.encoder.steps <= 8);
  assert.ok(cfg.train.epochs <= 3);
  assert.equal(cfg.train.optimizer.type, 'adam');
  assert.equal(cfg.train.scheduler.type, 'cosine');
  const types = cfg.model.layers.map((l) => l.type);
  assert.equal(types.filter((t) => t === 'conv2d').length, 2);
  assert.equal(types.filter((t) => t === 'batchnorm').length, 2);
});

test('the online-training examples differ only in train.method; the one-step example and its baseline only in the schedule', () => {
  const load = (f: string) => parseConfigText(readFileSync(join(dir, f), 'utf8'), f);
  const strip = (c: ReturnType<typeof load>, keys: string[]) => {
    const t: Record<string, unknown> = { ...c.train };
    for (const k of keys) delete t[k];
    return { ...c, name: '', train: t };
  };
  const [bptt, sltt, ottt] = ['bptt', 'sltt', 'ottt'].map((m) => load(`fashion-mnist-online-${m}.yaml`));
  assert.deepEqual([bptt!.train.method, sltt!.train.method, ottt!.train.method], ['bptt', 'sltt', 'ottt']);
  assert.equal(bptt!.encoder.steps, 6);
  assert.deepEqual(strip(sltt!, ['method']), strip(bptt!, ['method']));
  assert.deepEqual(strip(ottt!, ['method']), strip(bptt!, ['method']));
  const sched = load('fashion-mnist-one-step.yaml');
  const direct = load('fashion-mnist-one-step-direct.yaml');
  assert.deepEqual(sched.train.timestep_schedule, [5, 3, 2, 1]);
  assert.equal(sched.encoder.steps, 1);
  const stages = sched.train.stage_epochs as number[];
  assert.equal(direct.train.epochs, stages.reduce((a, b) => a + b, 0), 'the baseline trains as many epochs as the stages together');
  assert.equal(direct.train.timestep_schedule, null);
  assert.deepEqual(strip(direct, ['epochs', 'timestep_schedule', 'stage_epochs']), strip(sched, ['epochs', 'timestep_schedule', 'stage_epochs']));
});
