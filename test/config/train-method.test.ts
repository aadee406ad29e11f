import test from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { buildSession, checkpointRngs, sessionTrainer, stageSession, trainStages } from '../../src/config/session.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { ConfigError } from '../../src/errors.js';
import { RepeatTime } from '../../src/nn/repeat-time.js';
import { Rng } from '../../src/tensor/rng.js';
import { tensor } from '../../src/tensor/create.js';

/*
 * train.method and its keys, the timestep schedule's stages, and what the
 * session builds from them.
 */

function toyData(n: number): SplitDataset {
  const rng = new Rng(5);
  const split = (name: string) => makeDataset({ name, images: new Float32Array(n * 36).map(() => rng.random()), labels: new Uint8Array(n).map((_, i) => i % 3), shape: [1, 6, 6], numClasses: 3 });
  return { train: split('toy'), test: split('toy') };
}

const base = (train: Record<string, unknown>, encoder: Record<string, unknown> = { type: 'direct', steps: 4 }) => ({
  data: { dataset: 'toy', batch_size: 6 },
  encoder,
  model: { layers: [{ type: 'conv2d', out_channels: 2, kernel_size: 3 }, { type: 'lif', beta: 0.5 }, { type: 'flatten' }, { type: 'linear', out: 3 }] },
  train: { loss: { type: 'ce_readout' }, ...train },
});

const issues = (raw: unknown): string[] => {
  const r = configSchema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('train.method: defaults and the old tbptt key resolve to a method; the parsed config always holds it', () => {
  assert.equal(configSchema.parse(base({})).train.method, 'bptt');
  const old = configSchema.parse(base({ tbptt: 3 })).train;
  assert.equal(old.method, 'tbptt');
  assert.equal(old.tbptt, 3);
  const k = configSchema.parse(base({ method: 'sltt_k', sltt_k: 2, online_update: 'step' })).train;
  assert.deepEqual([k.method, k.sltt_k, k.online_update], ['sltt_k', 2, 'step']);
  assert.equal(configSchema.parse(base({ method: 'ottt' })).train.online_update, 'sequence');
});

test('train.method: a key of another method is an error saying whose it is', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ method: 'bptt', tbptt: 4 }, /^tbptt: a chunk length \(4\) is the option of train.method 'tbptt', but the method is 'bptt'/],
    [{ method: 'tbptt' }, /^tbptt: train.method 'tbptt' needs the chunk length/],
    [{ method: 'sltt', tbptt: 2 }, /^tbptt: .* the method is 'sltt'/],
    [{ method: 'sltt_k' }, /^sltt_k: train.method 'sltt_k' needs K/],
    [{ method: 'ottt', sltt_k: 2 }, /^sltt_k: K is the option of train.method 'sltt_k', but the method is 'ottt'/],
    [{ online_update: 'step' }, /^online_update: 'step' updates are an option of the online methods/],
    [{ method: 'sltt', distill: { teacher: 'x' } }, /^distill: distillation is not supported with train.method 'sltt'/],
    [{ method: 'online' }, /^method: Invalid enum value. Expected 'bptt' \| 'tbptt' \| 'sltt' \| 'sltt_k' \| 'ottt'/],
    [{ stage_epochs: 2 }, /^stage_epochs: stage epochs need train.timestep_schedule/],
    [{ timestep_schedule: [4, 2, 1], stage_epochs: [1, 2] }, /^stage_epochs: 2 stage epochs for 3 stages/],
    [{ timestep_schedule: [] }, /^timestep_schedule: Array must contain at least 1/],
  ];
  for (const [train, re] of cases) {
    const got = issues(base(train)).map((m) => m.replace(/^train\./, ''));
    assert.ok(got.some((m) => re.test(m)), `${JSON.stringify(train)}: ${got.join(' | ')}`);
  }
});

test('trainStages: the schedule with its epochs, checked against encoder.steps, the encoder and SLTT-K', () => {
  const cfg = (train: Record<string, unknown>, encoder?: Record<string, unknown>) => configSchema.parse(base({ epochs: 3, ...train }, encoder));
  assert.deepEqual(trainStages(cfg({})), [{ steps: 4, epochs: 3 }]);
  const enc1 = { type: 'direct', steps: 1 };
  assert.deepEqual(trainStages(cfg({ timestep_schedule: [5, 3, 1] }, enc1)), [{ steps: 5, epochs: 3 }, { steps: 3, epochs: 3 }, { steps: 1, epochs: 3 }]);
  assert.deepEqual(trainStages(cfg({ timestep_schedule: [5, 1], stage_epochs: 2 }, enc1)).map((s) => s.epochs), [2, 2]);
  assert.deepEqual(trainStages(cfg({ timestep_schedule: [5, 1], stage_epochs: [4, 1] }, enc1)).map((s) => s.epochs), [4, 1]);
  assert.throws(() => trainStages(cfg({ timestep_schedule: [5, 3, 1] })), (e: Error) => e instanceof ConfigError && /last stage runs at T = 1 but encoder.steps is 4; .* set encoder.steps: 1/.test(e.message));
  assert.throws(() => trainStages(cfg({ timestep_schedule: [4] }, { type: 'frames', steps: 4 })), /'frames' encoder/);
  assert.throws(() => trainStages(cfg({ method: 'sltt_k', sltt_k: 3, timestep_schedule: [5, 2] }, { type: 'direct', steps: 2 })), /K = 3 .* a stage of train.timestep_schedule runs at T = 2/);
  assert.throws(() => trainStages(cfg({ method: 'sltt_k', sltt_k: 5 })), /the encoder runs at T = 4/);
});

test('buildSession: a schedule ending at T = 1 still gets RepeatTime; stageSession sets T everywhere and shares the weights', () => {
  const config = configSchema.parse(base({ timestep_schedule: [5, 2, 1] }, { type: 'direct', steps: 1 }));
  const s = buildSession(config, { data: toyData(12), backend: 'ts' });
  const repeats = s.model.namedModules().map(([, m]) => m).filter((m): m is RepeatTime => m instanceof RepeatTime);
  assert.equal(repeats.length, 1);
  const stages = trainStages(config);
  const s5 = stageSession(s, stages[0]!);
  assert.equal(s5.steps, 5);
  assert.equal(repeats[0]!.steps, 5);
  assert.equal(s5.model, s.model);
  assert.equal(s5.config.encoder.steps, 5);
  const x = tensor(new Array(2 * 36).fill(0.5), [2, 1, 6, 6]);
  assert.equal(s5.model.forward(s5.encoder.encode(x, new Rng(0))).shape[0], 5);
  const s1 = stageSession(s, stages[2]!);
  assert.equal(s1.model.forward(s1.encoder.encode(x, new Rng(0))).shape[0], 1);
  // Without a schedule, T = 1 direct coding needs no RepeatTime (the builder's rule as before).
  const plain = buildSession(configSchema.parse(base({}, { type: 'direct', steps: 1 })), { data: toyData(12), backend: 'ts' });
  assert.equal(plain.model.namedModules().filter(([, m]) => m instanceof RepeatTime).length, 0);
});

test('buildSession: SLTT-K gets a generator of its own (forked last, saved in checkpoints); a loss without a per-step form is refused', () => {
  const k = buildSession(configSchema.parse(base({ method: 'sltt_k', sltt_k: 2 })), { data: toyData(12), backend: 'ts' });
  assert.ok(k.rngs.online);
  assert.deepEqual(Object.keys(checkpointRngs(k)), ['encoder', 'online']);
  const plain = buildSession(configSchema.parse(base({})), { data: toyData(12), backend: 'ts' });
  assert.equal(plain.rngs.online, undefined);
  // The other generators are those of a run without SLTT-K.
  assert.deepEqual(k.rngs.loader.getState(), plain.rngs.loader.getState());
  const { trainer } = sessionTrainer(k);
  assert.equal(trainer.method, 'sltt_k');
  const bad = base({ method: 'sltt', loss: { type: 'ce_membrane', reduce: 'softmax_sum' } });
  bad.model.layers.push({ type: 'lif', beta: 0.5 });
  assert.throws(() => buildSession(configSchema.parse(bad), { data: toyData(12), backend: 'ts' }), (e: Error) => e instanceof ConfigError && /softmax_sum/.test(e.message));
});

test('docs/config.md documents every train key', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../helpers.js');
  const doc = readFileSync(join(repoRoot(), 'docs', 'config.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## `train`'), doc.indexOf('## The run folder'));
  for (const key of Object.keys(configSchema.parse(base({})).train)) assert.ok(section.includes(`| \`${key}`), `docs/config.md train table lacks '${key}'`);
});

test('buildSession: a schedule under rate coding inserts no RepeatTime (the encoder makes every step itself)', () => {
  const config = configSchema.parse(base({ timestep_schedule: [4, 1] }, { type: 'rate', steps: 1 }));
  const s = buildSession(config, { data: toyData(12), backend: 'ts' });
  assert.equal(s.model.namedModules().filter(([, m]) => m instanceof RepeatTime).length, 0);
  const s4 = stageSession(s, trainStages(config)[0]!);
  const x = tensor(new Array(2 * 36).fill(0.5), [2, 1, 6, 6]);
  assert.equal(s4.model.forward(s4.encoder.encode(x, new Rng(0))).shape[0], 4);
});
