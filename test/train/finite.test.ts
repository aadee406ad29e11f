import test from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { buildSession, makeLoader, sessionTrainer, tensorBatches, type Session } from '../../src/config/session.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { NumericError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { layerOrigin } from '../../src/nn/builder.js';
import { checkModelFinite, firstNonFinite } from '../../src/train/finite.js';

/*
 * The non-finite checks of training (src/train/finite.ts) on a model built
 * from a config: a NaN weight makes its spiking layer silent, the loss stays
 * finite, and only the parameter / activation checks notice, naming the
 * layer as the config wrote it.
 */

function toyData(n: number): SplitDataset {
  const rng = new Rng(5);
  const split = (name: string) => {
    const images = new Float32Array(n * 16).map(() => rng.random());
    const labels = new Uint8Array(n).map((_, i) => i % 3);
    return makeDataset({ name, images, labels, shape: [1, 4, 4], numClasses: 3 });
  };
  return { train: split('toy'), test: split('toy') };
}

function session(train: Record<string, unknown> = {}): Session {
  const config = configSchema.parse({
    name: 'finite',
    data: { dataset: 'mnist', batch_size: 4 },
    encoder: { type: 'direct', steps: 3 },
    model: { layers: [{ type: 'linear', out: 8 }, { type: 'lif' }, { type: 'linear', out: 3 }, { type: 'lif' }] },
    train: { loss: { type: 'ce_rate' }, optimizer: { type: 'sgd', lr: 0.1 }, ...train },
  });
  return buildSession(config, { data: toyData(8), backend: 'ts' });
}

/** Train one epoch (two batches); returns the error thrown, or null. */
function trainEpoch(s: Session): unknown {
  const { trainer } = sessionTrainer(s);
  const loader = makeLoader(s.data.train, s.config.data.batch_size, true, s.rngs.loader);
  try {
    const r = trainer.trainEpoch(tensorBatches(loader, s.data.train.shape, s.backend));
    assert.ok(Number.isFinite(r.loss), `the loss stays finite (${r.loss}): a silent layer`);
    return null;
  } catch (e) {
    return e;
  }
}

/** A parameter of the layer the config wrote at model.layers[index] (the built model also has the Flatten and RepeatTime the builder inserts). */
function weightOf(s: Session, index: number, name = 'weight'): Float32Array | Float64Array {
  const m = s.model.layers.find((l) => layerOrigin(l) === `model.layers[${index}] (linear)`)!;
  return m.namedParameters().find(([n]) => n === name)![1].data;
}

test('firstNonFinite finds NaN and ±Inf, and only them', () => {
  assert.equal(firstNonFinite(new Float32Array([0, -1e38, 3.4e38, 1e-45])), -1);
  assert.equal(firstNonFinite(new Float32Array([0, 1, NaN, Infinity])), 2);
  assert.equal(firstNonFinite(new Float64Array([1, -Infinity])), 1);
});

test('a NaN weight: training stops after the update that spread it, naming the config layer, parameter and step', () => {
  const s = session();
  weightOf(s, 2)[5] = NaN;
  const e = trainEpoch(s);
  assert.ok(e instanceof NumericError, `expected a NumericError, got ${String(e)}`);
  assert.match(e.message, /parameter '(weight|bias)' of model\.layers\[\d\] \(linear\)/);
  assert.match(e.message, /holds NaN .*after the optimizer update of epoch 1, batch 1 \(step 1 of the run\)/);
});

test('train.check_finite_every: 0 lets the silent model train on (the loss alone misses it); the end-of-epoch check names it', () => {
  const s = session({ check_finite_every: 0 });
  weightOf(s, 2)[5] = NaN;
  assert.equal(trainEpoch(s), null, 'without the parameter check nothing stops training');
  assert.throws(() => checkModelFinite(s.model, 'at the end of epoch 1', { buffers: true, layerOrigin }), (e: Error) => e instanceof NumericError && /model\.layers\[\d\] \(linear\).* at the end of epoch 1/.test(e.message));
});

test('train.check_activations names the first layer whose output is not finite', () => {
  const s = session({ check_activations: true, check_finite_every: 0 });
  // The bias: added to every output (a weight may meet only zero spikes, which the event-driven product skips).
  weightOf(s, 2, 'bias')[0] = Infinity;
  const e = trainEpoch(s);
  assert.ok(e instanceof NumericError, `expected a NumericError, got ${String(e)}`);
  assert.match(e.message, /the output of model\.layers\[2\] \(linear\) holds (NaN|-?Infinity) .*in the forward of epoch 1, batch 1/);
});

test('check_finite_every: 2 checks every other update (a NaN that appears at update 1 is reported at update 2)', () => {
  const s = session({ check_finite_every: 2 });
  weightOf(s, 2)[5] = NaN;
  const e = trainEpoch(s);
  assert.ok(e instanceof NumericError);
  assert.match(e.message, /batch 2 \(step 2 of the run\)/);
});

test('train.check_finite_every must be a non-negative integer', () => {
  assert.throws(() => session({ check_finite_every: -1 }), /check_finite_every/);
  assert.throws(() => session({ check_finite_every: 1.5 }), /check_finite_every/);
});
