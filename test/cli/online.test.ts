import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../helpers.js';

/*
 * `spikeflow train` with the online methods and a timestep schedule, end to
 * end on the embedded digits, in a temporary folder.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-online-'));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const config = `
name: online
seed: 3
data: { dataset: mnist, batch_size: 32, test_batch_size: 128, train_limit: 384, test_limit: 128 }
encoder: { type: direct, steps: 4 }
model:
  layers:
    - { type: linear, out: 48 }
    - { type: lif, beta: 0.8 }
    - { type: linear, out: 10 }
train:
  epochs: 2
  loss: { type: ce_readout }
  optimizer: { type: adam, lr: 0.005 }
`;
const cfgPath = join(tmp, 'online.yaml');
writeFileSync(cfgPath, config);
const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('train --set train.method=sltt_k: a complete run folder that records the method; eval reproduces the accuracy', () => {
  const out = join(tmp, 'sltt-k');
  const r = run(['train', '-q', '--config', cfgPath, '--out', out, '--set', 'train.method=sltt_k', '--set', 'train.sltt_k=2']);
  assert.equal(r.code, 0, r.stderr);
  const saved = YAML.parse(readFileSync(join(out, 'config.yaml'), 'utf8'));
  assert.equal(saved.train.method, 'sltt_k');
  assert.equal(saved.train.sltt_k, 2);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.train_method, 'sltt_k');
  assert.ok(summary.accuracy > 0.5, `learns: ${summary.accuracy}`);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| Training method \| sltt_k \|/);
  const e = run(['eval', '--run', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).accuracy, summary.accuracy);
});

test('an SLTT-K run resumed from its checkpoint continues bit-exactly (its step draws included)', async () => {
  const { loadSafetensors } = await import('../../src/interop/safetensors-node.js');
  const sets = ['--set', 'train.method=sltt_k', '--set', 'train.sltt_k=2'];
  const straight = join(tmp, 'k-straight');
  const first = join(tmp, 'k-first');
  assert.equal(run(['train', '-q', '--config', cfgPath, '--out', straight, ...sets]).code, 0);
  assert.equal(run(['train', '-q', '--config', cfgPath, '--out', first, ...sets, '--set', 'train.epochs=1']).code, 0);
  const r = run(['train', '-q', '--config', cfgPath, '--out', first, ...sets, '--resume', join(first, 'checkpoint.safetensors')]);
  assert.equal(r.code, 0, r.stderr);
  const a = loadSafetensors(join(straight, 'model.safetensors'));
  const b = loadSafetensors(join(first, 'model.safetensors'));
  for (const [name, ea] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data as Float32Array), Array.from(ea.data as Float32Array), name);
});

test('train with train.timestep_schedule: one run folder, the stages in metrics and summary, the saved model at the last T', () => {
  const out = join(tmp, 'schedule');
  const r = run(['train', '-q', '--config', cfgPath, '--out', out, '--set', 'encoder.steps=1', '--set', 'train.timestep_schedule=[4, 2, 1]', '--set', 'train.stage_epochs=[2, 1, 1]', '--set', 'train.method=ottt']);
  assert.equal(r.code, 0, r.stderr);
  const metrics = lines(join(out, 'metrics.jsonl'));
  assert.deepEqual(metrics.map((m) => [m.epoch, m.stage, m.steps]), [[1, 1, 4], [2, 1, 4], [3, 2, 2], [4, 3, 1]]);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.stages.map((s: { steps: number; epochs: number }) => [s.steps, s.epochs]), [[4, 2], [2, 1], [1, 1]]);
  assert.deepEqual(summary.stages.map((s: { test_accuracy: number }) => s.test_accuracy), [metrics[1].test_accuracy, metrics[2].test_accuracy, metrics[3].test_accuracy]);
  assert.equal(summary.timesteps, 1);
  assert.equal(summary.accuracy, metrics[3].test_accuracy);
  assert.ok(summary.accuracy > 0.5, `the T = 1 model learned: ${summary.accuracy}`);
  // The weights carried over: the second stage starts far above chance.
  assert.ok(metrics[2].train_accuracy > 0.5, `stage 2 starts from stage 1's weights: ${metrics[2].train_accuracy}`);
  // eval runs the saved model at T = 1 and reproduces the last stage's score.
  const e = run(['eval', '--run', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).accuracy, summary.accuracy);
  // A schedule cannot be resumed (said before anything is written).
  const again = run(['train', '-q', '--config', join(out, 'config.yaml'), '--out', out, '--resume', join(out, 'checkpoint.safetensors')]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /--resume: runs with train.timestep_schedule cannot be resumed/);
});

test('train: an unsupported combination is a one-line error naming the layer, and leaves no run folder', () => {
  const out = join(tmp, 'bad');
  const r = run(['train', '-q', '--config', cfgPath, '--out', out, '--set', 'train.method=ottt', '--set', 'model.layers.1.type=synaptic']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /train.method ottt: model.layers\[1\] \(synaptic\) feeds model.layers\[2\] \(linear\): Synaptic filters its input/);
  assert.equal(existsSync(out), false);
  const s = run(['train', '-q', '--config', cfgPath, '--out', out, '--set', 'train.timestep_schedule=[4, 2]']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /train.timestep_schedule: the last stage runs at T = 2 but encoder.steps is 4/);
  assert.equal(existsSync(out), false);
});
