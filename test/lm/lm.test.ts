import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { l2wrap, tokenCrossEntropy } from '../../src/ops/lm.js';
import { sampleToken, generate } from '../../src/lm/generate.js';
import { lmLearningRate, trainLm } from '../../src/lm/train.js';
import { evaluateBpc } from '../../src/lm/evaluate.js';
import { buildLanguageModel } from '../../src/lm/model.js';
import { CharTokenizer, splitTokens } from '../../src/data/text.js';
import { Adam } from '../../src/train/optim/adam.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { validateLmConfig } from '../../src/lm/config.js';

const ts64 = getBackendByName('ts64');

test('tokenCrossEntropy: the mean of −log softmax at the targets; gradcheck', () => {
  withBackend(ts64, () => {
    const rng = new Rng(1);
    const z = tensor(Array.from({ length: 3 * 2 * 5 }, () => rng.normal()), [3, 2, 5], { requiresGrad: true });
    const y = Int32Array.from([0, 4, 2, 2, 1, 3]);
    let want = 0;
    for (let i = 0; i < 6; i++) {
      const row = Array.from(z.data.subarray(i * 5, i * 5 + 5));
      want += Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[y[i]!]!;
    }
    assert.ok(Math.abs(tokenCrossEntropy(z, y).data[0]! - want / 6) < 1e-12);
    const r = gradcheck(([a]) => tokenCrossEntropy(a!, y), [z]);
    assert.ok(r.ok, r.worst);
    assert.throws(() => tokenCrossEntropy(z, Int32Array.from([0, 5, 0, 0, 0, 0])), (e: unknown) => e instanceof ShapeError && /target 5 at position 1/.test(e.message));
  });
});

test('l2wrap adds nothing to the loss and pushes each position’s largest logit down by coefficient·max/N', () => {
  withBackend(ts64, () => {
    const z = tensor([1, 3, 2, -1, -4, -2], [1, 2, 3], { requiresGrad: true });
    const out = l2wrap(z, 0.5);
    assert.equal(out.data[0], 0);
    backward(out);
    assert.deepEqual(Array.from(z.grad!.data), [0, (0.5 * 3) / 2, 0, (0.5 * -1) / 2, 0, 0]);
  });
});

test('sampleToken: temperature 0 is greedy; top-p keeps only the nucleus; the seed fixes the draw', () => {
  const logits = [0, 5, 4.9, -3];
  assert.equal(sampleToken(logits, { temperature: 0, topP: 1 }, new Rng(1)), 1);
  const seen = new Set<number>();
  const rng = new Rng(2);
  for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.6 }, rng));
  assert.deepEqual([...seen].sort(), [1, 2], 'tokens 0 and 3 lie outside the 0.6 nucleus');
  const a = Array.from({ length: 20 }, (_, i) => sampleToken([1, 2, 3], { temperature: 1, topP: 1 }, new Rng(7 + i)));
  const b = Array.from({ length: 20 }, (_, i) => sampleToken([1, 2, 3], { temperature: 1, topP: 1 }, new Rng(7 + i)));
  assert.deepEqual(a, b);
});

test('lmLearningRate: warm-up, then exponential decay from lr to lr_final over the run', () => {
  const o = { lr: 6e-4, lrFinal: 1e-5, warmupSteps: 0 };
  assert.equal(lmLearningRate(0, 0, o), 6e-4);
  assert.ok(Math.abs(lmLearningRate(10, 1, o) - 1e-5) < 1e-18);
  assert.ok(Math.abs(lmLearningRate(10, 0.5, o) - Math.sqrt(6e-4 * 1e-5)) < 1e-15);
  assert.equal(lmLearningRate(0, 0, { ...o, warmupSteps: 4 }), 1.5e-4);
});

test('lmLearningRate: cosine and linear decays from lr to lr_final, after the same warm-up', () => {
  const o = { lr: 2e-3, lrFinal: 1e-5, warmupSteps: 0 };
  const cos = { ...o, lrSchedule: 'cosine' as const }, lin = { ...o, lrSchedule: 'linear' as const };
  for (const s of [cos, lin]) {
    assert.ok(Math.abs(lmLearningRate(0, 0, s) - 2e-3) < 1e-18);
    assert.ok(Math.abs(lmLearningRate(99, 1, s) - 1e-5) < 1e-18);
    assert.ok(Math.abs(lmLearningRate(50, 0.5, s) - (2e-3 + 1e-5) / 2) < 1e-18);
  }
  // A quarter of the way: cosine still near the top, linear three quarters up, exponential far below both.
  assert.ok(Math.abs(lmLearningRate(25, 0.25, cos) - (1e-5 + 1.99e-3 * (1 + Math.SQRT1_2) / 2)) < 1e-15);
  assert.ok(Math.abs(lmLearningRate(25, 0.25, lin) - (2e-3 - 0.25 * 1.99e-3)) < 1e-15);
  assert.ok(lmLearningRate(25, 0.25, o) < lmLearningRate(25, 0.25, lin));
  assert.equal(lmLearningRate(1, 0.25, { ...cos, warmupSteps: 4 }), (lmLearningRate(1, 0.25, cos) * 2) / 4);
});

test('a tiny SpikeGPT learns a repetitive text far below the uniform bpc, and generation continues the pattern', () => {
  const be = getBackendByName('ts');
  withBackend(be, () => {
    const text = 'the cat sat on the mat. '.repeat(60);
    const tok = CharTokenizer.fromText(text);
    const splits = splitTokens(tok.encode(text), [0.8, 0.1, 0.1], 17);
    const layers = [
      { type: 'embedding', dim: 32 },
      { type: 'rwkv', blocks: 1, ffn_mult: 2 },
      { type: 'layernorm' },
      { type: 'linear', out: 'vocab', bias: false },
    ];
    const { model } = buildLanguageModel(layers, tok.size, 16, new Rng(1));
    const before = evaluateBpc(model, splits.validation, 16, 4);
    const r = trainLm({ model, backend: be, optimizer: new Adam(model.parameters(), { lr: 3e-3, betas: [0.9, 0.99] }), train: splits.train, validation: splits.validation, context: 16, batchSize: 8, rng: new Rng(2), steps: 150, minutes: null, lr: 3e-3, lrFinal: 1e-3, lrSchedule: 'exponential', warmupSteps: 0, clipGradNorm: 1, l2wrap: 1e-4, evalEvery: 50, evalTokens: 1000, logEvery: 50 });
    assert.equal(r.steps, 150);
    assert.ok(before > 2.5, `untrained ${before} bpc (uniform: ${Math.log2(tok.size).toFixed(2)})`);
    assert.ok(r.valBpc < 1.0, `trained ${r.valBpc} bpc`);
    assert.equal(r.history.filter((h) => h.valBpc !== undefined).length, 3);
    const g = generate(model, tok.encode('the cat sat on '), { tokens: 12, temperature: 0, topP: 1, rng: new Rng(3), backend: be });
    assert.equal(tok.decode(g.ids), 'the mat. the');
  });
});

test('the LM config: unknown keys, a text corpus without a path, no run length and bad splits are errors naming the key', () => {
  const base = { task: 'language_model', data: { dataset: 'kjv' }, model: { layers: [{ type: 'embedding', dim: 8 }] }, train: { steps: 10 } };
  assert.doesNotThrow(() => validateLmConfig(base, 'c.yaml'));
  const bad = (patch: Record<string, unknown>, re: RegExp): void =>
    assert.throws(() => validateLmConfig({ ...base, ...patch }, 'c.yaml'), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(patch));
  bad({ trian: {} }, /c\.yaml: \(top\): Unrecognized key\(s\) in object: 'trian'/);
  bad({ data: { dataset: 'text' } }, /data\.path: dataset 'text' needs data\.path/);
  bad({ train: {} }, /train: give train\.steps or train\.minutes/);
  bad({ data: { dataset: 'kjv', splits: [0.5, 0.5, 0.5] } }, /data\.splits: the three fractions must sum to 1/);
});

test('buildLanguageModel: the vocabulary fills the embedding and the head; a mismatch names the layer', () => {
  const layers = [{ type: 'embedding', dim: 8 }, { type: 'rwkv', blocks: 1 }, { type: 'linear', out: 'vocab' }];
  const { outputShape } = buildLanguageModel(layers, 7, 4, new Rng(1));
  assert.deepEqual(outputShape, [7]);
  assert.throws(() => buildLanguageModel([{ type: 'embedding', dim: 8, vocab: 5 }, ...layers.slice(1)], 7, 4, new Rng(1)), (e: unknown) => e instanceof ConfigError && /model\.layers\[0\] \(embedding\): vocab 5 differs from the tokenizer's 7/.test(e.message));
  assert.throws(() => buildLanguageModel(layers.slice(0, 2), 7, 4, new Rng(1)), (e: unknown) => e instanceof ShapeError && /must output \[7\] logits/.test(e.message));
});
