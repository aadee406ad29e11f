import test from 'node:test';
import assert from 'node:assert/strict';
import { readResumeMeta, restoreLoader } from '../../src/cli/resume-meta.js';
import { makeDataset } from '../../src/data/dataset.js';
import { DataLoader } from '../../src/data/loader.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';

// The train command's metadata in a checkpoint (loader position, epoch history, teacher), checked field by field on --resume.

const rec = (epoch: number) => ({ epoch, train_loss: 1, train_accuracy: 0.5, test_loss: 1, test_accuracy: 0.5, lr: 0.01, seconds: 1, samples_per_s: 10 });

function loader(): DataLoader {
  const ds = makeDataset({ name: 'toy', images: new Float32Array(12 * 4), labels: new Uint8Array(12), shape: [4], numClasses: 2 });
  return new DataLoader(ds, { batchSize: 4, shuffle: true, rng: new Rng(3) });
}

/** As the checkpoint stores it: through JSON (the generator's NaN 'no cached normal' becomes null). */
function meta() {
  return JSON.parse(JSON.stringify({ run: {}, loader: loader().getState(), history: [rec(1), rec(2)], teacher: null })) as Record<string, unknown>;
}

function bad(patch: (m: Record<string, unknown>) => void, re: RegExp, epochs = 2): void {
  const m = meta();
  patch(m);
  assert.throws(() => readResumeMeta(m, epochs, 'ck.safetensors'), (e: unknown) => e instanceof FormatError && /^ck\.safetensors: checkpoint field config/.test(e.message) && re.test(e.message), `expected a FormatError matching ${re}`);
}

test('a checkpoint written by train reads back; one without metadata (the library) gives nothing to restore', () => {
  const m = readResumeMeta(meta(), 2, 'ck');
  assert.deepEqual(m.history.map((r) => r.epoch), [1, 2]);
  assert.equal(m.teacher, null);
  assert.deepEqual(readResumeMeta(null, 3, 'ck'), { loader: null, history: [], teacher: undefined });
  const l = loader();
  restoreLoader(l, m.loader!, 'ck');
  assert.deepEqual(l.getState(), m.loader);
});

test('each damaged field is named', () => {
  bad((m) => (m.loader = 'x'), /config\.loader: expected an object/);
  bad((m) => ((m.loader as Record<string, unknown>).position = -1), /config\.loader\.position: expected a non-negative integer, got -1/);
  bad((m) => ((m.loader as Record<string, unknown>).batchSize = 0), /config\.loader\.batchSize: expected a positive integer/);
  bad((m) => ((m.loader as Record<string, unknown>).epochRng = [0, 0, 0, 0, null]), /config\.loader\.epochRng: expected a state with a non-zero word/);
  bad((m) => (m.history = {}), /config\.history: expected a list of epoch records/);
  bad((m) => ((m.history as unknown[])[1] = rec(3)), /config\.history\[1\]\.epoch: expected 2, got 3/);
  bad((m) => (((m.history as Record<string, unknown>[])[0]!).test_accuracy = 'high'), /config\.history\[0\]\.test_accuracy: expected a number/);
  bad(() => {}, /config\.history: expected 3 epoch records \(state\.epoch\), got "2 records"/, 3);
  bad((m) => (m.teacher = { dir: 'x' }), /config\.teacher: expected null or \{ dir, sha256 \} strings/);
});

test("a loader state for other data is a ConfigError naming the checkpoint (another train_limit or batch_size)", () => {
  const m = readResumeMeta(meta(), 2, 'ck');
  const ds = makeDataset({ name: 'toy', images: new Float32Array(8 * 4), labels: new Uint8Array(8), shape: [4], numClasses: 2 });
  const other = new DataLoader(ds, { batchSize: 4, shuffle: true, rng: new Rng(3) });
  assert.throws(() => restoreLoader(other, m.loader!, 'ck'), (e: unknown) => e instanceof ConfigError && /^--resume: ck: checkpoint field config\.loader: state is for a dataset of 12 samples, 'toy' has 8/.test(e.message));
});
