import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { parseConfigText } from '../../src/config/load-node.js';
import { buildSession, checkpointRngs, makeLoader, sessionTrainer, tensorBatches, trainBatches, type Session } from '../../src/config/session.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { datasetRegistry } from '../../src/data/registry.js';
import type { DataLoader } from '../../src/data/loader.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { loadTrainerCheckpoint, saveTrainerCheckpoint } from '../../src/train/checkpoint-node.js';
import type { Batch } from '../../src/train/trainer.js';

/*
 * data.augment and data.normalize through a session: the schema's keys, the
 * normalised splits, augmentation on training batches only, generators that
 * leave a run without augmentation as it was, and resuming mid-epoch from a
 * checkpoint continuing the same draws.
 */

/** `n` images [3, 6, 6] with bytes/255 values, 4 classes. */
function toyImages(n: number, seed: number): SplitDataset {
  const rng = new Rng(seed);
  const split = (m: number) => {
    const images = Float32Array.from({ length: m * 108 }, () => Math.fround(rng.int(256) / 255));
    const labels = Uint8Array.from({ length: m }, (_, i) => i % 4);
    return makeDataset({ name: 'toy-rgb', images, labels, shape: [3, 6, 6], numClasses: 4 });
  };
  return { train: split(n), test: split(8) };
}
const DATA = toyImages(20, 1);

datasetRegistry.register({ name: 'toy-rgb', doc: 'test images [3, 6, 6]', temporal: false, options: {}, load: () => DATA });

const NORMALIZE = { mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.3] };

function config(data: Record<string, unknown>, seed = 3): ReturnType<typeof configSchema.parse> {
  return configSchema.parse({
    seed,
    data: { dataset: 'toy-rgb', batch_size: 4, ...data },
    encoder: { type: 'direct', steps: 2 },
    model: { layers: [{ type: 'conv2d', out_channels: 2, kernel_size: 3 }, { type: 'lif', beta: 0.9 }, { type: 'linear', out: 4 }, { type: 'lif' }] },
    train: { optimizer: { type: 'adam', lr: 0.05 } },
  });
}

const session = (data: Record<string, unknown>, seed = 3): Session => buildSession(config(data, seed), { data: DATA, backend: 'ts' });
const params = (s: Session): number[][] => s.model.parameters().map((p) => Array.from(p.data));

test('schema: data.augment and data.normalize default to off; bad keys and values name their path', () => {
  const c = config({});
  assert.deepEqual(c.data.augment, { random_crop: null, horizontal_flip: false });
  assert.equal(c.data.normalize, null);
  const base = 'model: { layers: [{ type: linear, out: 4 }, { type: lif }] }\ndata: { dataset: toy-rgb }\n';
  const bad = (set: string, pattern: RegExp) =>
    assert.throws(() => parseConfigText(base, 'cfg.yaml', [set]), (e: Error) => e instanceof ConfigError && pattern.test(e.message), `${set}`);
  bad('data.augment.vertical_flip=true', /unknown key 'vertical_flip' at data\.augment/);
  bad('data.augment.random_crop={padding: 0}', /data\.augment\.random_crop\.padding/);
  bad('data.augment.random_crop={pad: 4}', /data\.augment\.random_crop/);
  bad('data.augment.horizontal_flip=yes please', /data\.augment\.horizontal_flip/);
  bad('data.normalize={mean: [0.5], std: [0]}', /data\.normalize\.std\[0\]|data\.normalize\.std\.0/);
  bad('data.normalize={mean: [0.5]}', /data\.normalize\.std/);
  const ok = parseConfigText(base, 'cfg.yaml', ['data.augment={random_crop: {padding: 4}, horizontal_flip: true}', 'data.normalize={mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2]}']);
  assert.deepEqual(ok.data.augment, { random_crop: { padding: 4 }, horizontal_flip: true });
});

test('session: normalize applies to both splits (a copy), augmentation to training batches only; both checked against the data before anything is built', () => {
  const s = session({ normalize: NORMALIZE, augment: { random_crop: { padding: 2 }, horizontal_flip: true } });
  for (const split of ['train', 'test'] as const) {
    const raw = DATA[split].images, got = s.data[split].images;
    for (let k = 0; k < raw.length; k++) {
      const c = Math.floor(k / 36) % 3;
      if (got[k] !== Math.fround((raw[k]! - NORMALIZE.mean[c]!) / NORMALIZE.std[c]!)) assert.fail(`${split} value ${k}: ${got[k]}`);
    }
  }
  assert.notEqual(s.data.train.images, DATA.train.images);
  // Test batches are the normalised samples as they are.
  const testLoader = makeLoader(s.data.test, 8, false);
  assert.deepEqual(Array.from(tensorBatches(testLoader, s.data.test.shape, s.backend).next().value!.x.data), Array.from(s.data.test.images));
  // Training batches: each sample is a crop/mirror of its normalised sample, not all left as they were.
  const loader = makeLoader(s.data.train, 4, true, s.rngs.loader);
  const order = loader.epochOrder().slice(0, 4);
  const x = trainBatches(s, loader).next().value!.x.data;
  const changed = [0, 1, 2, 3].filter((b) => x.subarray(b * 108, (b + 1) * 108).some((v: number, k: number) => v !== s.data.train.images[order[b]! * 108 + k]));
  assert.ok(changed.length > 0, 'some sample was augmented');

  assert.throws(() => session({ normalize: { mean: [0.5], std: [0.2] } }), /data\.normalize\.mean: 1 value for 3 channels \('toy-rgb' samples are \[3, 6, 6\]\)/);
  const flat = { train: makeDataset({ name: 'flat', images: new Float32Array(40), labels: new Uint8Array(4), shape: [10], numClasses: 4 }), test: DATA.test };
  assert.throws(() => buildSession(config({ augment: { horizontal_flip: true } }), { data: flat, backend: 'ts' }), /data\.augment: applies to images with samples \[C, H, W\]; 'flat' samples are \[10\]/);
  assert.throws(
    () => buildSession(configSchema.parse({ ...config({ augment: { horizontal_flip: true } }), encoder: { type: 'frames', steps: 6 } }), { data: DATA, backend: 'ts', temporal: true }),
    /data\.augment: applies to image datasets, not to time sequences/,
  );
});

test('session: turning augmentation on changes neither the initialisation nor the data order nor the encoder stream; its generator exists only then', () => {
  const off = session({});
  const on = session({ augment: { random_crop: { padding: 1 }, horizontal_flip: true } });
  assert.deepEqual(params(on), params(off));
  assert.deepEqual(on.rngs.loader.getState(), off.rngs.loader.getState());
  assert.deepEqual(on.rngs.encoder.getState(), off.rngs.encoder.getState());
  assert.equal(off.augment, null);
  assert.equal(off.rngs.augment, undefined);
  assert.deepEqual(Object.keys(checkpointRngs(off)), ['encoder']);
  assert.deepEqual(Object.keys(checkpointRngs(on)), ['encoder', 'augment']);
  assert.equal(on.augment!.rng, on.rngs.augment);
});

/** The first `n` batches of a generator, leaving the rest in it. */
function* first<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) return;
    yield r.value;
  }
}

test('resume: one epoch in two halves with a checkpoint between them equals the epoch straight (augmentation draws continue)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-augment-resume-'));
  try {
    const data = { normalize: NORMALIZE, augment: { random_crop: { padding: 2 }, horizontal_flip: true } };
    const loaderOf = (s: Session): DataLoader => makeLoader(s.data.train, 4, true, s.rngs.loader);

    const a = session(data);
    const ta = sessionTrainer(a).trainer;
    ta.trainEpoch(trainBatches(a, loaderOf(a)));

    // Two of the five batches, then a checkpoint.
    const b = session(data);
    const tb = sessionTrainer(b).trainer;
    const lb = loaderOf(b);
    tb.trainEpoch(first<Batch>(trainBatches(b, lb), 2));
    const path = join(dir, 'half.safetensors');
    saveTrainerCheckpoint(path, tb, { rngs: checkpointRngs(b), config: { loader: lb.getState() } });

    // Another seed: initialisation, order and draws must all come from the file.
    const resume = (rngs: (s: Session) => Record<string, Rng>): Session => {
      const c = session(data, 99);
      const tc = sessionTrainer(c).trainer;
      const lc = loaderOf(c);
      const info = loadTrainerCheckpoint(path, tc, rngs(c));
      lc.setState((info.config as { loader: ReturnType<DataLoader['getState']> }).loader);
      const r = tc.trainEpoch(trainBatches(c, lc));
      assert.equal(r.samples, 12);
      assert.deepEqual(tc.optimizer.stateDict().steps, ta.optimizer.stateDict().steps);
      return c;
    };
    const c = resume(checkpointRngs);
    assert.deepEqual(params(c), params(a));
    assert.deepEqual(c.rngs.augment!.getState(), a.rngs.augment!.getState());
    // Without the augmentation generator's state the second half draws other crops: the comparison above can fail.
    const d = resume((s) => ({ encoder: s.rngs.encoder }));
    assert.notDeepEqual(params(d), params(a));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
