import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { startTapeMemory, stopTapeMemory } from '../../src/autograd/tape.js';
import { ConfigError } from '../../src/errors.js';
import { isNeuron } from '../../src/neurons/base.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { reshape } from '../../src/ops/shape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeLoss, makeStepLoss } from '../../src/train/losses.js';
import type { TrainMethod } from '../../src/train/online.js';
import { SGD } from '../../src/train/optim/index.js';
import { Trainer, type Batch } from '../../src/train/trainer.js';
import { parseConfigText } from '../../src/config/load-node.js';

/*
 * train.online_chunk: the online methods run c steps per forward/backward,
 * the neurons detaching their state between steps. The gradients must equal
 * those of the step-by-step backwards (float64, so only summation order
 * differs), for a time-constant input (layers before RepeatTime run once)
 * and for a sequence input, with an uneven last chunk; the graph held stays
 * flat in T; the options it cannot serve are refused.
 */

const ts64 = getBackendByName('ts64');

// A conv net without batch norm or dropout (their statistics and masks differ per call by design).
const CONV: LayerConfig[] = [
  { type: 'conv2d', out_channels: 3, kernel_size: 3, padding: 1 },
  { type: 'lif', beta: 0.6 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'flatten' },
  { type: 'linear', out: 8 },
  { type: 'plif', init_tau: 2 },
  { type: 'linear', out: 3 },
];
const MLP: LayerConfig[] = [
  { type: 'linear', out: 12 },
  { type: 'lif', beta: 0.8, threshold: 0.5 },
  { type: 'linear', out: 3 },
  { type: 'lif', beta: 0.7, threshold: 0.5 },
];

function imageBatch(B: number, seed: number): Batch {
  const rng = new Rng(seed);
  return { x: tensor(Array.from({ length: B * 64 }, () => rng.uniform(0, 2)), [B, 1, 8, 8]), y: Int32Array.from({ length: B }, (_, i) => i % 3) };
}

/** A sequence input [B, T·16] whose encoder lays it out time-major [T, B, 16]. */
function seqBatch(B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  return { x: tensor(Array.from({ length: B * T * 16 }, () => (rng.uniform(0, 1) < 0.3 ? 1 : 0)), [T, B, 16]), y: Int32Array.from({ length: B }, (_, i) => i % 3) };
}

interface Setup {
  layers: LayerConfig[];
  loss: { type: string; [k: string]: unknown };
  sequence: boolean;
}
const IMAGE: Setup = { layers: CONV, loss: { type: 'ce_readout' }, sequence: false };
const SEQ: Setup = { layers: MLP, loss: { type: 'ce_rate' }, sequence: true };

function trainer(setup: Setup, method: TrainMethod, T: number, chunk: number): Trainer {
  const model = buildModel(setup.layers, setup.sequence
    ? { inputShape: [16], steps: T, timeConstantInput: false, rng: new Rng(5) }
    : { inputShape: [1, 8, 8], steps: T, timeConstantInput: true, rng: new Rng(5), readout: true }).model;
  return new Trainer({
    model,
    encode: setup.sequence ? (x: Tensor) => x : (x: Tensor) => reshape(x, [1, ...x.shape]),
    loss: makeLoss(setup.loss),
    stepLoss: makeStepLoss(setup.loss),
    optimizer: new SGD(model.parameters(), { lr: 0.5 }),
    method,
    online: { chunk },
  });
}

/** Parameters after one SGD step on one batch, and the batch's loss. */
function afterOneBatch(setup: Setup, method: TrainMethod, T: number, chunk: number): { params: number[][]; loss: number } {
  return withBackend(ts64, () => {
    const t = trainer(setup, method, T, chunk);
    const b = setup.sequence ? seqBatch(5, T, 9) : imageBatch(5, 9);
    const loss = t.trainEpoch([b]).loss;
    for (const n of t.model.namedModules().map(([, m]) => m).filter(isNeuron)) assert.equal(n.detachBetweenSteps, false, 'the neurons run whole sequences again after the batch');
    return { params: t.model.parameters().map((p) => Array.from(p.data)), loss };
  });
}

for (const [name, setup] of [['time-constant input (conv)', IMAGE], ['sequence input (MLP)', SEQ]] as const) {
  for (const method of ['sltt', 'ottt'] as const) {
    test(`online_chunk (${method}, ${name}): the same update as step by step, for chunks of 3 and 4 of T = 6`, () => {
      const ref = afterOneBatch(setup, method, 6, 1);
      for (const c of [3, 4]) {
        const got = afterOneBatch(setup, method, 6, c);
        assert.ok(Math.abs(got.loss - ref.loss) < 1e-12, `chunk ${c}: loss ${got.loss} vs ${ref.loss}`);
        let moved = 0;
        got.params.forEach((p, i) => p.forEach((v, j) => {
          const r = ref.params[i]![j]!;
          assert.ok(Math.abs(v - r) <= 1e-10 * (1 + Math.abs(r)), `chunk ${c}: parameter ${i}[${j}] ${v} vs ${r}`);
        }));
        // The update did something (a test of equal no-ops would pass with a broken backward).
        const init = withBackend(ts64, () => trainer(setup, method, 6, 1).model.parameters().map((p) => Array.from(p.data)));
        init.forEach((p, i) => p.forEach((v, j) => (moved += Math.abs(v - got.params[i]![j]!))));
        assert.ok(moved > 1e-3, `chunk ${c}: the parameters moved by ${moved}`);
      }
    });
  }
}

test('online_chunk: the graph held at a backward is c steps\', whatever T', () => {
  const peak = (T: number, c: number): number => withBackend(ts64, () => {
    const t = trainer(IMAGE, 'sltt', T, c);
    startTapeMemory({ exclude: t.model.parameters() });
    t.trainEpoch([imageBatch(4, 2)]);
    return stopTapeMemory().peakBytes;
  });
  const c2 = [peak(4, 2), peak(16, 2)];
  assert.ok(c2[0]! > 0 && c2[1]! <= 1.1 * c2[0]!, `chunk 2: ${c2[0]} → ${c2[1]} bytes from T = 4 to 16`);
  const c1 = peak(16, 1);
  assert.ok(c2[1]! > c1, `chunk 2 holds more than single steps (${c2[1]} vs ${c1})`);
});

test('online_chunk: refused where steps cannot share a forward (sltt_k, step updates, bptt), in the Trainer and the config', () => {
  const model = buildModel(MLP, { inputShape: [16], steps: 4, timeConstantInput: false, rng: new Rng(1) }).model;
  const base = { model, encode: (x: Tensor) => x, loss: makeLoss({ type: 'ce_rate' }), stepLoss: makeStepLoss({ type: 'ce_rate' }), optimizer: new SGD(model.parameters(), { lr: 0.1 }) };
  assert.throws(() => new Trainer({ ...base, method: 'sltt_k', online: { chunk: 2, k: 1, rng: new Rng(1) } }), (e: Error) => e instanceof ConfigError && /online_chunk.*sltt_k/.test(e.message));
  assert.throws(() => new Trainer({ ...base, method: 'ottt', online: { chunk: 2, update: 'step' } }), (e: Error) => e instanceof ConfigError && /online_chunk.*'sequence'/.test(e.message));
  assert.throws(() => new Trainer({ ...base, stepLoss: null, method: 'bptt', online: { chunk: 2 } }), (e: Error) => e instanceof ConfigError && /online_chunk.*'bptt'/.test(e.message));
  assert.throws(() => new Trainer({ ...base, method: 'sltt', online: { chunk: 0 } }), (e: Error) => e instanceof ConfigError && /positive integer/.test(e.message));
  const cfg = (train: string) => `data: { dataset: mnist }\nencoder: { type: direct, steps: 4 }\nmodel: { layers: [ { type: linear, out: 10 }, { type: lif } ] }\ntrain: ${train}\n`;
  assert.throws(() => parseConfigText(cfg('{ method: bptt, online_chunk: 2 }'), 'c.yaml'), /train\.online_chunk.*'bptt'/);
  assert.throws(() => parseConfigText(cfg('{ method: ottt, online_update: step, online_chunk: 2 }'), 'c.yaml'), /train\.online_chunk.*'sequence'/);
  assert.equal(parseConfigText(cfg('{ method: sltt, online_chunk: 3 }'), 'c.yaml').train.online_chunk, 3);
});
