import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, NumericError } from '../../src/errors.js';
import { readSavedState } from '../../src/train/checkpoint-state.js';
import { Linear } from '../../src/nn/linear.js';
import { Rng } from '../../src/tensor/rng.js';
import { Adam } from '../../src/train/optim/index.js';
import { tensor } from '../../src/tensor/create.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/interop/safetensors.js';
import { encodeCheckpoint, loadCheckpointBytes } from '../../src/train/checkpoint.js';

/*
 * A checkpoint's `state` metadata is checked field by field before anything
 * is restored (src/train/checkpoint-state.ts): each damaged field is a
 * FormatError naming the file and the field.
 */

const GOOD = { epoch: 2, step: 6, optimizer: { type: 'Adam', hyper: { lr: 0.001, amsgrad: false }, steps: [6, 6] }, scheduler: { kind: 'cosine', interval: 'epoch', t: 2, baseLr: 0.001 }, rngs: { encoder: [1, 2, 3, 4, null] } };

function bad(patch: (s: Record<string, unknown>) => void, field: RegExp): void {
  const s = structuredClone(GOOD) as unknown as Record<string, unknown>;
  patch(s);
  assert.throws(() => readSavedState(s, 'ck.safetensors'), (e: unknown) => e instanceof FormatError && /^ck\.safetensors: checkpoint field /.test(e.message) && field.test(e.message), `expected a FormatError matching ${field}`);
}

test('a well-formed state reads back as written', () => {
  assert.deepEqual(readSavedState(structuredClone(GOOD), 'ck'), GOOD);
});

test('each damaged field is named', () => {
  bad((s) => (s.epoch = -5), /state\.epoch: expected a non-negative integer, got -5/);
  bad((s) => delete s.step, /state\.step: expected a non-negative integer, got undefined/);
  bad((s) => (s.optimizer = 'adam'), /state\.optimizer: expected an object/);
  bad((s) => delete (s.optimizer as Record<string, unknown>).steps, /state\.optimizer\.steps: expected a list/);
  bad((s) => ((s.optimizer as Record<string, unknown>).steps = [1, -1]), /state\.optimizer\.steps\[1\]: expected a non-negative integer/);
  bad((s) => ((s.optimizer as { hyper: Record<string, unknown> }).hyper.lr = 'fast'), /state\.optimizer\.hyper\.lr: expected a finite number or a boolean/);
  bad((s) => ((s.optimizer as { hyper: Record<string, unknown> }).hyper.lr = Infinity), /state\.optimizer\.hyper\.lr/);
  bad((s) => ((s.scheduler as Record<string, unknown>).interval = 'week'), /state\.scheduler\.interval: expected 'epoch' or 'iteration'/);
  bad((s) => ((s.scheduler as Record<string, unknown>).baseLr = -1), /state\.scheduler\.baseLr: expected a finite number ≥ 0/);
  bad((s) => ((s.rngs as Record<string, unknown>).encoder = [0, 0, 0, 0, null]), /state\.rngs\.encoder: expected a state with a non-zero word/);
  bad((s) => ((s.rngs as Record<string, unknown>).encoder = [1, 2, 3]), /state\.rngs\.encoder: expected a generator state of 5 numbers/);
  bad((s) => ((s.rngs as Record<string, unknown>).encoder = [1, 2, 2 ** 32, 4, null]), /state\.rngs\.encoder\[2\]: expected a 32-bit integer, got 4294967296/);
  bad((s) => ((s.rngs as Record<string, unknown>).encoder = [1, 2, 0.5, 4, null]), /state\.rngs\.encoder\[2\]: expected a 32-bit integer/);
  bad((s) => ((s.rngs as Record<string, unknown>).encoder = [1, 2, 3, 4, 'x']), /state\.rngs\.encoder\[4\]: expected null or a finite number/);
});

test('restoring: negative Adam second moments and non-finite weights are refused, and nothing is changed', () => {
  const rng = new Rng(1);
  const model = new Linear(3, 2, rng);
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  for (const p of model.parameters()) p.grad = tensor(new Float32Array(p.size).fill(0.5), p.shape);
  opt.step();
  const bytes = encodeCheckpoint({ model, optimizer: opt, epoch: 1, step: 1, rngs: { r: rng } });
  const file = decodeSafetensors(bytes);
  const v = file.tensors.get('optim.0.exp_avg_sq')!.data as Float32Array;
  v[1] = -0.25;
  const damaged = encodeSafetensors(file.tensors, file.metadata);
  const fresh = new Linear(3, 2, new Rng(9));
  const before = Array.from(fresh.parameters()[0]!.data);
  const freshOpt = new Adam(fresh.parameters(), { lr: 0.01 });
  assert.throws(() => loadCheckpointBytes(damaged, { model: fresh, optimizer: freshOpt, rngs: { r: new Rng(2) } }, 'ck'), (e: unknown) => e instanceof FormatError && /^ck: optimizer state tensor '0\.exp_avg_sq' holds -0\.25 at element 1/.test(e.message));
  assert.deepEqual(Array.from(fresh.parameters()[0]!.data), before, 'a refused checkpoint changes nothing');
  v[1] = 0.25;
  (file.tensors.get('param.weight')!.data as Float32Array)[2] = Infinity;
  // The safetensors decoder refuses it first (NumericError, naming the tensor and index);
  // with allowNonFinite the file decodes and the restore refuses the parameter itself.
  const inf = encodeSafetensors(file.tensors, file.metadata);
  assert.throws(() => loadCheckpointBytes(inf, { model: fresh, optimizer: freshOpt }, 'ck'), (e: unknown) => e instanceof NumericError && /^ck: tensor 'param\.weight' holds Infinity at index 2/.test(e.message));
  assert.throws(() => loadCheckpointBytes(inf, { model: fresh, optimizer: freshOpt }, 'ck', { allowNonFinite: true }), (e: unknown) => e instanceof FormatError && /tensor 'param\.weight' \(parameter 'weight' of the model\) holds Infinity at element 2/.test(e.message));
  assert.deepEqual(Array.from(fresh.parameters()[0]!.data), before, 'a refused checkpoint changes nothing');
});
