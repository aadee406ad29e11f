import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../src/backend/registry.js';
import { oneCycle } from '../../src/train/schedulers.js';
import { makeTrainOptimizer, selectParams } from '../../src/train/param-groups.js';
import { encodeCheckpoint, loadCheckpointBytes } from '../../src/train/checkpoint.js';
import { DelayedLinear } from '../../src/nn/delay.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/containers.js';
import { Rng } from '../../src/tensor/rng.js';
import { tensor } from '../../src/tensor/create.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { configSchema } from '../../src/config/schema.js';
import '../../src/nn/layers.js';
import { assertClose } from '../helpers.js';

// torch 1.13 OneCycleLR(max_lr=5e-3, total_steps=8 / 20, pct_start=0.3 / 0.25), lr before each step.
const TORCH_ONE_CYCLE_8 = [0.00019999999999999966, 0.00409637552446096, 0.004859708886937616, 0.004058728269748815, 0.002779920070613508, 0.0014153049910434962, 0.00038320796917128196, 2e-8];
const TORCH_ONE_CYCLE_20 = [
  0.00019999999999999966, 0.0009029437251522861, 0.0026, 0.004297056274847714, 0.005, 0.004945369220358507, 0.004783864508651926, 0.004522544395767425, 0.004172829824591082, 0.003750005, 0.003272549395767425,
  0.002761330112884501, 0.0022386898871154994, 0.0017274706042325755, 0.0012500150000000008, 0.0008271901754089188, 0.0004774756042325754, 0.00021615549134807398, 5.465077964149312e-5, 2e-8,
];

test('one_cycle equals PyTorch OneCycleLR (cosine, two phases) step by step', () => {
  const a = oneCycle(8, 0.3);
  assertClose(TORCH_ONE_CYCLE_8.map((_, t) => a.lr(t, 5e-3)), TORCH_ONE_CYCLE_8, 1e-15, 1e-12);
  const b = oneCycle(20, 0.25);
  assertClose(TORCH_ONE_CYCLE_20.map((_, t) => b.lr(t, 5e-3)), TORCH_ONE_CYCLE_20, 1e-15, 1e-12);
});

function delayNet(): Sequential {
  const rng = new Rng(3);
  return new Sequential([new DelayedLinear(4, 5, rng, { maxDelay: 4 }), new Linear(5, 2, rng)]);
}

const train = (groups: unknown[]) =>
  configSchema.parse({
    train: {
      epochs: 10,
      optimizer: { type: 'adam', lr: 1e-3, weight_decay: 1e-5 },
      scheduler: { type: 'one_cycle' },
      param_groups: groups,
    },
    model: { layers: [{ type: 'linear', out: 2 }] },
  }).train;

test('param groups: positions train at their own rate and schedule, the rest at the main ones', () => {
  withBackend('ts', () => {
    const model = delayNet();
    const cfg = train([{ params: 'positions', lr: 0.1, weight_decay: 0, scheduler: { type: 'cosine' } }]);
    const { optimizer, scheduler } = makeTrainOptimizer(cfg, model.namedParameters());
    assert.equal(optimizer.groups.length, 1);
    const g = optimizer.groups[0]!;
    assert.deepEqual(g.indices, [1]); // 0.weight, 0.positions, 1.weight, 1.bias
    assert.equal(g.weightDecay, 0);
    // Epoch 0: one-cycle starts at peak/25, cosine at its base.
    assertClose([optimizer.lr, g.lr], [1e-3 / 25, 0.1], 1e-15);
    for (let e = 0; e < 5; e++) scheduler!.onEpoch();
    assertClose([g.lr], [0.05], 1e-12, 0, 'cosine halfway');
    // The Adam step size of each parameter is its group's rate (first step: |Δ| = lr for every element).
    const before = model.namedParameters().map(([, p]) => [...p.data]);
    for (const p of model.parameters()) p.grad = tensor(new Float32Array(p.size).fill(1), p.shape);
    optimizer.step();
    model.namedParameters().forEach(([n, p], i) => {
      const want = n.endsWith('positions') ? g.lr : optimizer.lr;
      const step = Math.abs(p.data[0]! - before[i]![0]!);
      assertClose([step], [want], want * 2e-3 + 1e-7, 0, `${n} step`);
    });
  });
});

test('param groups survive a checkpoint, and a checkpoint with other groups is refused', () => {
  withBackend('ts', () => {
    const model = delayNet();
    const { optimizer, scheduler } = makeTrainOptimizer(train([{ params: ['0.positions'], lr: 0.1, weight_decay: 0, scheduler: { type: 'cosine' } }]), model.namedParameters());
    for (const p of model.parameters()) p.grad = tensor(new Float32Array(p.size).fill(0.5), p.shape);
    optimizer.step();
    scheduler!.onEpoch();
    const bytes = encodeCheckpoint({ model, optimizer, scheduler });
    const fresh = makeTrainOptimizer(train([{ params: ['0.positions'], lr: 0.1, weight_decay: 0, scheduler: { type: 'cosine' } }]), model.namedParameters());
    loadCheckpointBytes(bytes, { model, optimizer: fresh.optimizer, scheduler: fresh.scheduler });
    assert.equal(fresh.optimizer.groups[0]!.lr, optimizer.groups[0]!.lr);
    assert.equal(fresh.optimizer.lr, optimizer.lr);
    const plain = makeTrainOptimizer(train([]), model.namedParameters());
    assert.throws(() => loadCheckpointBytes(bytes, { model, optimizer: plain.optimizer }), (e: unknown) => e instanceof FormatError && /parameter groups \[0.positions\]/.test((e as Error).message));
  });
});

test('param group patterns: last segment, full path, glob; no match and overlap are errors naming them', () => {
  withBackend('ts', () => {
    const named = delayNet().namedParameters();
    assert.deepEqual(selectParams(named, 'weight', 'g'), [0, 2]);
    assert.deepEqual(selectParams(named, '*.weight', 'g'), [0, 2]);
    assert.deepEqual(selectParams(named, ['1.bias', 'positions'], 'g'), [1, 3]);
    assert.throws(() => selectParams(named, 'delays', 'train.param_groups[0].params'), (e: unknown) => e instanceof ConfigError && /train.param_groups\[0\].params: 'delays' matches no parameter/.test((e as Error).message));
    assert.throws(
      () => makeTrainOptimizer(train([{ params: 'weight', lr: 0.1 }, { params: '0.weight', lr: 0.2 }]), named),
      (e: unknown) => e instanceof ConfigError && /is in groups 'weight' and '0.weight'/.test((e as Error).message),
    );
  });
});
