import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';

// data.drop_last: the last, smaller training batch of each epoch is skipped (PyTorch's
// drop_last=True), so a training set that the batch size divides trains the same either way.
const root = repoRoot();
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-droplast-'));

/** The trained tensors' values, in name order (the file's metadata holds the config, which differs). */
function values(path: string): number[] {
  const t = loadSafetensors(path).tensors;
  return [...t.keys()].sort().flatMap((k) => Array.from(t.get(k)!.data as ArrayLike<number>));
}

function trainWeights(limit: number, dropLast: boolean): { weights: number[]; trainAccuracy: number } {
  const cfg = join(tmp, `c-${limit}-${dropLast}.yaml`);
  writeFileSync(cfg, `
name: drop-last
seed: 3
data: { dataset: mnist, batch_size: 16, test_batch_size: 64, train_limit: ${limit}, test_limit: 32, drop_last: ${dropLast} }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: linear, out: 16 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train: { epochs: 1, loss: { type: ce_rate }, optimizer: { type: adam, lr: 0.01 } }
`);
  const out = join(tmp, `run-${limit}-${dropLast}`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'spikeflow.js'), 'train', '-q', '--config', cfg, '--out', out, '--backend', 'ts', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { train_accuracy: number };
  return { weights: values(join(out, 'model.safetensors')), trainAccuracy: summary.train_accuracy };
}

test('data.drop_last skips the short batch and changes nothing when the batch size divides the set', () => {
  assert.deepEqual(trainWeights(32, true).weights, trainWeights(32, false).weights, '32 samples, batch 16: the same two steps');
  const dropped = trainWeights(40, true);
  const kept = trainWeights(40, false);
  assert.notDeepEqual(dropped.weights, kept.weights, '40 samples: the third (8-sample) step is skipped');
  // train accuracy counts the samples trained on: 32 with drop_last, 40 without
  assert.ok(Math.abs(dropped.trainAccuracy * 32 - Math.round(dropped.trainAccuracy * 32)) < 1e-9, `accuracy ${dropped.trainAccuracy} over 32 samples`);
});
