import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { startTapeMemory, stopTapeMemory } from '../../src/autograd/tape.js';
import { ConfigError } from '../../src/errors.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { isWeightedLayer } from '../../src/nn/weighted.js';
import { reshape } from '../../src/ops/shape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeLoss, makeStepLoss } from '../../src/train/losses.js';
import { drawSteps, type TrainMethod } from '../../src/train/online.js';
import { Adam, SGD } from '../../src/train/optim/index.js';
import { Trainer, type Batch, type BatchObjective } from '../../src/train/trainer.js';

/*
 * The online methods in the Trainer on real layers (conv, batch norm, LIF,
 * pooling, dropout, a linear readout): the graph held at a backward is flat
 * in T for SLTT and OTTT and grows with T under BPTT; per-step updates; what
 * each method refuses, by layer.
 */

const ts = getBackendByName('ts');
const CONV: LayerConfig[] = [
  { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'conv2d', out_channels: 8, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'flatten' },
  { type: 'dropout', p: 0.2 },
  { type: 'linear', out: 3 },
];
const LOSS = { type: 'ce_readout' };

function build(layers: LayerConfig[], steps: number, seed = 1) {
  return buildModel(layers, { inputShape: [1, 8, 8], steps, timeConstantInput: true, rng: new Rng(seed), readout: true }).model;
}

function batch(B: number, seed: number): Batch {
  const rng = new Rng(seed);
  return { x: tensor(Array.from({ length: B * 64 }, () => rng.uniform(0, 1)), [B, 1, 8, 8]), y: Int32Array.from({ length: B }, (_, i) => i % 3) };
}

const direct = (x: Tensor): Tensor => reshape(x, [1, ...x.shape]);

function trainer(method: TrainMethod, steps: number, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}): Trainer {
  const model = build(CONV, steps);
  return new Trainer({
    model,
    encode: direct,
    loss: makeLoss(LOSS),
    stepLoss: method === 'bptt' || method === 'tbptt' ? null : makeStepLoss(LOSS),
    optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
    method,
    online: method === 'sltt_k' ? { k: 2, rng: new Rng(3) } : {},
    ...extra,
  });
}

/** The tape's peak at a backward over one batch, parameters excluded. */
function retained(method: TrainMethod, steps: number): number {
  return withBackend(ts, () => {
    const t = trainer(method, steps);
    startTapeMemory({ exclude: t.model.parameters() });
    t.trainEpoch([batch(4, 7)]);
    return stopTapeMemory().peakBytes;
  });
}

test('online methods: the graph held at a backward does not grow with T (SLTT, SLTT-K, OTTT); under BPTT it does', () => {
  const r: Record<string, [number, number]> = {};
  for (const m of ['bptt', 'sltt', 'sltt_k', 'ottt'] as const) r[m] = [retained(m, 4), retained(m, 16)];
  for (const m of ['sltt', 'sltt_k', 'ottt'] as const) {
    const [a, b] = r[m]!;
    assert.ok(a > 0 && b <= 1.1 * a, `${m}: ${a} → ${b} bytes from T = 4 to 16`);
    assert.ok(b < r.bptt![0], `${m} at T = 16 (${b}) holds less than BPTT at T = 4 (${r.bptt![0]})`);
  }
  const [a, b] = r.bptt!;
  assert.ok(b > 3 * a, `bptt: ${a} → ${b} bytes from T = 4 to 16`);
});

test('online methods: training lowers the loss on a toy task (SLTT, SLTT-K, OTTT with sequence and step updates)', () => {
  withBackend(ts, () => {
    const data = [batch(12, 1), batch(12, 2)];
    // Class = which image half is brighter: learnable from the input.
    for (const b of data) {
      const d = b.x.data;
      for (let i = 0; i < b.y.length; i++) for (let p = 0; p < 64; p++) d[i * 64 + p] += (p < 32) === (b.y[i] === 0) ? 1 : b.y[i] === 2 ? 0.5 : 0;
    }
    for (const [m, update] of [['sltt', 'sequence'], ['sltt_k', 'sequence'], ['ottt', 'sequence'], ['ottt', 'step']] as const) {
      const t = trainer(m, 4, { online: { update, ...(m === 'sltt_k' ? { k: 2, rng: new Rng(1) } : {}) } });
      const first = t.trainEpoch(data).loss;
      let last = first;
      for (let e = 0; e < 8; e++) last = t.trainEpoch(data).loss;
      assert.ok(last < first - 0.1, `${m} (${update}): loss ${first} → ${last}`);
    }
  });
});

test('online methods: "step" updates the weights after every step, "sequence" once per batch', () => {
  withBackend(ts, () => {
    for (const update of ['sequence', 'step'] as const) {
      const model = build(CONV, 5);
      const opt = new SGD(model.parameters(), { lr: 0.01 });
      let steps = 0;
      const step = opt.step.bind(opt);
      opt.step = () => {
        steps++;
        step();
      };
      const t = new Trainer({ model, encode: direct, loss: makeLoss(LOSS), stepLoss: makeStepLoss(LOSS), optimizer: opt, method: 'ottt', online: { update } });
      t.trainEpoch([batch(4, 1), batch(4, 2)]);
      assert.equal(steps, update === 'step' ? 10 : 2, update);
      assert.equal(t.globalStep, 2, 'the scheduler and globalStep count batches');
    }
  });
});

test('online methods: OTTT sets each weighted layer\'s trace to its presynaptic neuron\'s decay; other methods clear it', () => {
  withBackend(ts, () => {
    const t = trainer('ottt', 4);
    t.trainEpoch([batch(4, 1)]);
    const decays = t.model.namedModules().map(([, m]) => m).filter(isWeightedLayer).map((l) => l.inputTraceDecay);
    // conv1 is fed by the input (no trace), conv2 and the readout by LIF layers with β = 0.5.
    assert.deepEqual(decays, [null, 0.5, 0.5]);
    new Trainer({ model: t.model, encode: direct, loss: makeLoss(LOSS), optimizer: new SGD(t.model.parameters(), { lr: 0.1 }) });
    assert.deepEqual(t.model.namedModules().map(([, m]) => m).filter(isWeightedLayer).map((l) => l.inputTraceDecay), [null, null, null]);
  });
});

test('online methods: what each refuses is named (layer, option, method)', () => {
  withBackend(ts, () => {
    const mk = (layers: LayerConfig[], method: TrainMethod, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) => {
      const model = build(layers, 4);
      return () => new Trainer({ model, encode: direct, loss: makeLoss(LOSS), stepLoss: makeStepLoss(LOSS), optimizer: new SGD(model.parameters(), { lr: 0.1 }), method, ...extra });
    };
    const is = (re: RegExp) => (e: Error) => e instanceof ConfigError && re.test(e.message);
    const flat: LayerConfig[] = [{ type: 'flatten' }, { type: 'linear', out: 6 }];
    assert.throws(mk([...flat, { type: 'synaptic' }, { type: 'linear', out: 3 }], 'ottt'), is(/model.layers\[2\] \(synaptic\) feeds model.layers\[3\] \(linear\): Synaptic filters its input/));
    assert.throws(mk([...flat, { type: 'lif', beta: [0.5, 0.5, 0.5, 0.5, 0.5, 0.6] }, { type: 'linear', out: 3 }], 'ottt'), is(/one β per neuron/));
    const res: LayerConfig = { type: 'residual', layers: [{ type: 'linear', out: 6 }, { type: 'lif' }] };
    assert.throws(mk([...flat, { type: 'lif' }, res, { type: 'linear', out: 3 }], 'ottt'), is(/model.layers\[3\] \(residual\) nests layers; OTTT/));
    // SLTT runs that model: every layer steps with its state detached.
    mk([...flat, { type: 'lif' }, res, { type: 'linear', out: 3 }], 'sltt')();
    const delay: LayerConfig = { type: 'delay_linear', out: 3, max_delay: 4 };
    assert.throws(mk([...flat, { type: 'lif' }, delay], 'sltt'), is(/model.layers\[3\] \(delay_linear\) reads earlier steps/));
    assert.throws(mk(CONV, 'sltt_k'), is(/needs K/));
    assert.throws(mk(CONV, 'sltt', { online: { k: 2 } }), is(/option of method sltt_k/));
    assert.throws(mk(CONV, 'bptt', { online: { update: 'step' } }), is(/'step' is an option of the online methods/));
    assert.throws(mk(CONV, 'sltt', { stepLoss: null }), is(/needs stepLoss/));
    const objective = { beginBatch() {}, combine: (l: Tensor) => l, endBatch() {}, persistentTensors: () => [] } as BatchObjective;
    assert.throws(mk(CONV, 'ottt', { objective }), is(/distillation is not supported with train.method 'ottt'/));
    assert.throws(mk(CONV, 'tbptt'), is(/method tbptt needs tbptt/));
    assert.throws(mk(CONV, 'sltt', { tbptt: 2 }), is(/chunk length of method 'tbptt'/));
    // K larger than the sequence: named when the batch's T is known.
    const t = mk(CONV, 'sltt_k', { online: { k: 5, rng: new Rng(1) } })();
    assert.throws(() => t.trainEpoch([batch(2, 1)]), is(/K = 5 must be an integer in \[1, T\] with T = 4/));
  });
});

test('drawSteps: K distinct sorted steps, every step drawn about equally often', () => {
  const rng = new Rng(9);
  const counts = new Array(8).fill(0);
  for (let i = 0; i < 4000; i++) {
    const s = drawSteps(8, 3, rng);
    assert.equal(new Set(s).size, 3);
    assert.deepEqual(s, [...s].sort((a, b) => a - b));
    s.forEach((t) => counts[t]++);
  }
  for (const c of counts) assert.ok(Math.abs(c - 1500) < 150, `counts ${counts}`);
});
