// train.bn_recalibration through the CLI: each epoch's metrics line records the
// re-estimation, the saved model holds the re-estimated statistics (eval reproduces the
// run's test accuracy from model.safetensors), and the weights are those of the same run
// without it (the recalibration draws from generators of its own and trains nothing).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';
import { entryValues } from '../../src/interop/safetensors.js';

const bin = join(repoRoot(), 'bin', 'spikeflow.js');

const config = (recal: number) => `
name: bn-recal
seed: 5
data: { dataset: mnist, batch_size: 32, train_limit: 256, test_limit: 128 }
encoder: { type: direct, steps: 3 }
model:
  layers:
    - { type: conv2d, out_channels: 4, kernel_size: 5, stride: 2 }
    - { type: batchnorm }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train: { epochs: 2, optimizer: { type: adam, lr: 0.005 }, bn_recalibration: ${recal} }
`;

test('train.bn_recalibration: recorded per epoch, saved, reproduced by eval; the weights are unchanged by it', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-bn-recal-'));
  writeFileSync(join(tmp, 'on.yaml'), config(3));
  writeFileSync(join(tmp, 'off.yaml'), config(0));
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };
  const sf = (args: string[]): string => {
    const r = run(args);
    return r.stdout + r.stderr;
  };
  const log = sf(['train', '--config', 'on.yaml', '--out', 'on']);
  assert.match(log, /epoch 2: batch norm statistics re-estimated on 96 training samples \(3 batches, 1 layers\)/);
  sf(['train', '-q', '--config', 'off.yaml', '--out', 'off']);
  const lines = readFileSync(join(tmp, 'on', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const l of lines) assert.deepEqual({ ...l.bn_recalibration, seconds: 0 }, { layers: 1, batches: 3, samples: 96, seconds: 0 });
  const off = readFileSync(join(tmp, 'off', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(off[0].bn_recalibration, undefined);
  // Same training: equal losses and weights; only the batch-norm buffers differ.
  assert.deepEqual(lines.map((l) => l.train_loss), off.map((l) => l.train_loss));
  const a = loadSafetensors(join(tmp, 'on', 'model.safetensors'));
  const b = loadSafetensors(join(tmp, 'off', 'model.safetensors'));
  let differ = 0;
  for (const [name, e] of a.tensors) {
    const t = Array.from(entryValues(e)), u = Array.from(entryValues(b.tensors.get(name)!));
    const same = t.length === u.length && t.every((v, i) => v === u[i]);
    if (name.includes('running_')) differ += same ? 0 : 1;
    else assert.ok(same, `${name} is the same with and without the recalibration`);
  }
  assert.equal(differ, 2, 'running_mean and running_var are re-estimated');
  const summary = JSON.parse(readFileSync(join(tmp, 'on', 'summary.json'), 'utf8'));
  const ev = JSON.parse(run(['eval', '--run', 'on', '--json', '-q']).stdout);
  assert.equal(ev.accuracy, summary.accuracy, 'eval of the saved model reproduces the run (the recalibrated statistics were saved)');
});
