import test from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/load-node.js';
import type { RunConfig } from '../../src/config/schema.js';
import { buildSession, sessionTrainer } from '../../src/config/session.js';
import { attachTeacher, evaluateTeacher } from '../../src/config/teacher.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { datasetRegistry } from '../../src/data/registry.js';
import { makeLoader, tensorBatches } from '../../src/config/session.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { tensor } from '../../src/tensor/create.js';
import { ceMembraneLoss } from '../../src/ops/loss.js';
import { makeScores } from '../../src/train/losses.js';
import { membraneScores } from '../../src/ops/readout.js';

/*
 * train.distill as a config: the strict schema (defaults, keys named,
 * module paths as numbers, the 'blocks' shorthand), the loss entries' class
 * scores, and attachTeacher building a teacher from a config and weights
 * (browser-safe: no file is read here).
 */

function toyData(n: number): SplitDataset {
  const rng = new Rng(5);
  const split = (name: string) =>
    makeDataset({ name, images: new Float32Array(n * 6).map(() => rng.random()), labels: new Uint8Array(n).map((_, i) => i % 3), shape: [6], numClasses: 3 });
  return { train: split('toy'), test: split('toy') };
}

const base = (extra = '', hidden = 8, loss = 'ce_count'): string => `
name: d
seed: 1
data: { dataset: toy, batch_size: 4, test_batch_size: 8 }
encoder: { type: direct, steps: 3 }
model:
  layers:
    - { type: linear, out: ${hidden} }
    - { type: lif }
    - { type: linear, out: 3 }
    - { type: lif }
train:
  loss: { type: ${loss} }
${extra}`;

// Data a browser page (or this test) registers under a name its configs use.
datasetRegistry.register({ name: 'toy', doc: 'test data', temporal: false, options: {}, load: () => toyData(12) });

const parse = (text: string): RunConfig => parseConfigText(text, 'cfg.yaml');

test('train.distill schema: defaults, module paths given as numbers, blocks, and errors that name the key', () => {
  assert.equal(parse(base()).train.distill, undefined, 'absent unless given (old configs unchanged)');
  const d = parse(base('  distill: { teacher: runs/t, features: [{ student: 3, teacher: "1.body.0" }] }')).train.distill!;
  assert.deepEqual(d, { teacher: 'runs/t', temperature: 4, alpha: 0.5, features: [{ student: '3', teacher: '1.body.0', weight: 1 }] });
  assert.equal(parse(base('  distill: { teacher: t, features: blocks, alpha: 1, temperature: 2 }')).train.distill!.features, 'blocks');
  const err = (extra: string): string => {
    try {
      parse(base(extra));
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return (e as Error).message;
    }
    assert.fail(`accepted: ${extra}`);
  };
  assert.match(err('  distill: { teacher: t, temprature: 2 }'), /unknown key 'temprature' at train\.distill/);
  assert.match(err('  distill: { teacher: t, features: [{ student: 1, teacher: 1, wieght: 2 }] }'), /unknown key 'wieght' at train\.distill\.features\[0\]/);
  assert.match(err('  distill: { teacher: t, features: [{ student: 1 }] }'), /train\.distill\.features\[0\]\.teacher/);
  assert.match(err('  distill: { teacher: t, features: block }'), /train\.distill\.features: expected 'blocks' or a list/);
  assert.match(err('  distill: { teacher: t, alpha: 1.5 }'), /train\.distill\.alpha/);
  assert.match(err('  distill: { alpha: 0.5 }'), /train\.distill\.teacher/);
});

test('each loss scores classes as its class decision ranks them (counts, or the reduced membrane)', () => {
  const m = tensor([1, 3, 0.5, 2, -1, 4, 0, 0, 2, 1, 1, 1], [3, 2, 2]);
  const out = { spikes: m, membrane: m };
  // Spike losses: counts Σ_t over the three steps.
  for (const type of ['ce_rate', 'ce_count', 'mse_count']) assert.deepEqual(makeScores({ type })(out).toArray(), [2, 8, 1.5, 3], type);
  for (const reduce of ['mean', 'last', 'max', 'softmax_sum'] as const) {
    const s = makeScores({ type: 'ce_membrane', reduce })(out);
    const want = membraneScores(m, reduce);
    s.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${reduce}[${i}]`));
  }
  // Sanity of the loss the membrane scores belong to (its mean reduction is per-step CE, not CE of the scores).
  assert.ok(Number.isFinite(ceMembraneLoss(m, Int32Array.from([0, 1]), 'last').item()));
});

test('attachTeacher: builds the teacher from its config, checks it against the student, and sessionTrainer uses it', () => {
  const data = toyData(12);
  const studentCfg = parse(base('  distill: { teacher: t, alpha: 0.8, features: [{ student: 4, teacher: 4 }] }'));
  const teacherCfg = parse(base('', 16, 'ce_membrane'));
  const teacherSession = buildSession(teacherCfg, { data, backend: 'ts' });
  const weights = teacherSession.model.stateDict();

  const student = buildSession(studentCfg, { data, backend: 'ts' });
  assert.throws(() => sessionTrainer(student), (e: unknown) => e instanceof ConfigError && /train\.distill: no teacher is attached/.test((e as Error).message));
  const d = attachTeacher(student, { config: teacherCfg, loadWeights: (m) => m.loadStateDict(weights), where: 'runs/t' });
  assert.equal(student.distillation, d);
  assert.equal(d.teacher.model.training, false);
  // ce_membrane: the teacher's last neuron layer records its membrane for its scores.
  const { trainer } = sessionTrainer(student);
  const loader = makeLoader(data.train, 4, true, student.rngs.loader);
  const r = trainer.trainEpoch(tensorBatches(loader, data.train.shape, student.backend));
  assert.ok(Number.isFinite(r.loss));
  const s = d.distiller.takeStats();
  assert.equal(s.samples, 12);
  assert.ok(s.kd > 0 && s.features[0]! > 0);
  const score = evaluateTeacher(d.teacher, tensorBatches(makeLoader(data.test, 8, false), data.test.shape, student.backend), (x) => student.encoder.encode(x, new Rng(0)));
  assert.equal(score.samples, 12);

  // alpha 0 and no pairs: the teacher runs but adds nothing, and neither it nor
  // its checks draw from the run's generators, so training is bit-identical to
  // the same run without distillation.
  const trainOnce = (extra: string): number[][] => {
    const sess = buildSession(parse(base(extra)), { data, backend: 'ts' });
    if (extra) attachTeacher(sess, { config: teacherCfg, loadWeights: (m) => m.loadStateDict(weights), where: 'runs/t' });
    const { trainer: tr } = sessionTrainer(sess);
    tr.trainEpoch(tensorBatches(makeLoader(data.train, 4, true, sess.rngs.loader), data.train.shape, sess.backend));
    return sess.model.parameters().map((p) => p.toArray());
  };
  assert.deepEqual(trainOnce('  distill: { teacher: t, alpha: 0 }'), trainOnce(''));

  // Another encoder: refused, naming both.
  const other = buildSession(parse(base('  distill: { teacher: t }').replace('steps: 3', 'steps: 4')), { data, backend: 'ts' });
  assert.throws(
    () => attachTeacher(other, { config: teacherCfg, loadWeights: (m) => m.loadStateDict(weights), where: 'runs/t' }),
    (e: unknown) => e instanceof ConfigError && /train\.distill\.teacher \(runs\/t\): the teacher was trained with encoder .*"steps":3.* but this run uses .*"steps":4/.test((e as Error).message),
  );
  // A feature pair whose shapes differ (hidden 8 vs 16), raised before training.
  const mismatched = buildSession(parse(base('  distill: { teacher: t, features: [{ student: 2, teacher: 2 }] }')), { data, backend: 'ts' });
  assert.throws(
    () => attachTeacher(mismatched, { config: teacherCfg, loadWeights: (m) => m.loadStateDict(weights), where: 'runs/t' }),
    (e: unknown) => e instanceof ConfigError && /features\[0\]: student '2' outputs \[3, 1, 8\] but teacher '2' outputs \[3, 1, 16\]/.test((e as Error).message),
  );
});

test('attachTeacher: a teacher ending in a linear readout (ce_readout) builds and gives time-mean logits', () => {
  const data = toyData(12);
  const readoutTeacher = `
name: t
seed: 1
data: { dataset: toy, batch_size: 4, test_batch_size: 8 }
encoder: { type: direct, steps: 3 }
model:
  layers:
    - { type: linear, out: 8 }
    - { type: lif }
    - { type: linear, out: 3 }
train:
  loss: { type: ce_readout }
`;
  const teacherCfg = parse(readoutTeacher);
  const weights = buildSession(teacherCfg, { data, backend: 'ts' }).model.stateDict();
  const student = buildSession(parse(base('  distill: { teacher: t }')), { data, backend: 'ts' });
  const d = attachTeacher(student, { config: teacherCfg, loadWeights: (m) => m.loadStateDict(weights), where: 'runs/t' });
  assert.equal(d.teacher.model.training, false);
  const scores = makeScores(teacherCfg.train.loss);
  const out = tensor([1, 2, 3, 3, 4, 5], [2, 1, 3]);
  assert.deepEqual(Array.from(scores({ spikes: out, membrane: null }).data), [2, 3, 4], 'ce_readout scores are the mean over time');
});
