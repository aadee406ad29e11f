import { configSchema } from '../../src/config/schema.js';
import { buildSession, makeLoader, sessionTrainer, tensorBatches, trainBatches, type Session } from '../../src/config/session.js';
import { take, type SplitDataset } from '../../src/data/dataset.js';
import { loadEmbeddedMnist } from '../../src/data/mnist-embedded-node.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/containers.js';
import { LIF } from '../../src/neurons/lif/model.js';
import type { EncodedBatch } from '../../src/early-exit/run.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

let digits: SplitDataset | null = null;

/** 800 embedded MNIST training digits (the last 200 held out by data.validation when asked) and 96 test digits. */
function smallMnist(): SplitDataset {
  digits ??= loadEmbeddedMnist();
  return { train: take(digits.train, 800), test: take(digits.test, 96) };
}

/** The three readouts the losses give: spike counts, a membrane reduced over time, a real-valued head. */
export const READOUTS = {
  // Direct coding: the conv runs once in front of RepeatTime.
  counts: {
    encoder: { type: 'direct', steps: 6 },
    layers: [{ type: 'conv2d', out_channels: 4, kernel_size: 5, stride: 3 }, { type: 'lif', beta: 0.6 }, { type: 'linear', out: 10 }, { type: 'lif', beta: 0.6 }],
    loss: { type: 'ce_count' },
  },
  // Rate coding: a new spike frame every step.
  membrane: {
    encoder: { type: 'rate', steps: 6 },
    layers: [{ type: 'linear', out: 24 }, { type: 'lif', beta: 0.8 }, { type: 'linear', out: 10 }, { type: 'lif', beta: 0.8 }],
    loss: { type: 'ce_membrane', reduce: 'max' },
  },
  readout: {
    encoder: { type: 'direct', steps: 5 },
    layers: [{ type: 'linear', out: 24 }, { type: 'lif', beta: 0.7 }, { type: 'linear', out: 10 }],
    loss: { type: 'ce_readout', reduce: 'per_step' },
  },
} as const;

/** A session for one of READOUTS on real digits, trained for one epoch (a few seconds). */
export function trainedTiny(kind: keyof typeof READOUTS, opts: { validation?: number } = {}): Session {
  const r = READOUTS[kind];
  const config = configSchema.parse({
    name: `tiny-${kind}`,
    seed: 7,
    data: { dataset: 'mnist', batch_size: 32, test_batch_size: 32, validation: opts.validation ?? 0 },
    encoder: r.encoder,
    model: { layers: r.layers },
    train: { epochs: 1, loss: r.loss, optimizer: { type: 'adam', lr: 0.005 } },
  });
  const s = buildSession(config, { data: smallMnist() });
  const { trainer } = sessionTrainer(s);
  trainer.trainEpoch(trainBatches(s, makeLoader(s.data.train, config.data.batch_size, true, s.rngs.loader)));
  return s;
}

/** A split's batches encoded with a generator of fixed seed: the same spikes on every call. */
export function encodedBatches(s: Session, which: 'test' | 'validation' = 'test', batchSize = 32): EncodedBatch[] {
  const ds = which === 'test' ? s.data.test : s.data.validation!;
  const rng = new Rng(99);
  const out: EncodedBatch[] = [];
  for (const b of tensorBatches(makeLoader(ds, batchSize, false), ds.shape, s.backend)) out.push({ x: s.encoder.encode(b.x, rng), y: b.y });
  return out;
}

/** The batches one sample at a time, the same encoded inputs. */
export function oneByOne(batches: readonly EncodedBatch[], pick: (x: Tensor, b: number) => Tensor): EncodedBatch[] {
  return batches.flatMap((b) => Array.from({ length: b.y.length }, (_, i) => ({ x: pick(b.x, i), y: b.y.subarray(i, i + 1) })));
}

/**
 * A network whose output spikes are its input spikes: Linear C→C with the
 * identity weight, then LIF with β = 0, θ = 0.5 and no reset (v_t = I_t, a
 * spike where the input is 1). Its outputs, and so the readout, are chosen
 * by the test.
 */
export function identityNet(C: number): Sequential {
  const lin = new Linear(C, C, { bias: false });
  const w = lin.weight.data;
  for (let i = 0; i < C * C; i++) w[i] = i % (C + 1) === 0 ? 1 : 0;
  return new Sequential([lin, new LIF(C, { beta: 0, threshold: 0.5, reset: 'none' })]);
}
