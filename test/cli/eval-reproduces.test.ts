// Issue 10 §5: `spikeflow eval --run DIR` of a rate-coded run reports exactly the
// accuracy of the run's own summary (both encode the test set with the same
// generator, seeded from the config; before, eval used its own and the run the
// training encoder's, and e.g. 51.5% came out as 50.5%).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const bin = join(repoRoot(), 'bin', 'spikeflow.js');

const config = `
name: rate-eval
seed: 3
data: { dataset: mnist, batch_size: 32, train_limit: 512, test_limit: 200 }
encoder: { type: rate, steps: 6 }
model:
  layers:
    - { type: linear, out: 64 }
    - { type: lif, beta: 0.8 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.8 }
train: { epochs: 1, optimizer: { type: adam, lr: 0.005 } }
`;

test('eval --run of a rate-coded run reproduces the summary accuracy exactly, and twice the same', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-eval-rate-'));
  writeFileSync(join(tmp, 'cfg.yaml'), config);
  const sf = (args: string[]): string => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  sf(['train', '-q', '--config', 'cfg.yaml', '--out', 'run']);
  const summary = JSON.parse(readFileSync(join(tmp, 'run', 'summary.json'), 'utf8'));
  assert.ok(summary.accuracy > 0.3, `the run learns (${summary.accuracy})`);
  const a = JSON.parse(sf(['eval', '--run', 'run', '--json']));
  const b = JSON.parse(sf(['eval', '--run', 'run', '--json']));
  assert.equal(a.samples, 200);
  assert.equal(a.accuracy, summary.accuracy);
  assert.equal(a.loss, summary.loss);
  assert.equal(b.accuracy, a.accuracy);
  // The energy rows come from the same measurement as the run's summary.json.
  assert.deepEqual(a.energy, summary.energy);
  assert.equal(a.sops_per_sample, summary.sops_per_sample);
  const text = sf(['eval', '--run', 'run']);
  assert.ok(text.startsWith(`test accuracy ${(100 * summary.accuracy).toFixed(2)}%`), text);
});

test('eval --split validation scores the held-out samples; a run without them, or a bad split, is a clear error', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-eval-split-'));
  writeFileSync(join(tmp, 'cfg.yaml'), config.replace('test_limit: 200 }', 'test_limit: 200, validation: 96 }'));
  writeFileSync(join(tmp, 'plain.yaml'), config);
  const sf = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  assert.equal(sf(['train', '-q', '--config', 'cfg.yaml', '--out', 'run']).status, 0);
  const v = sf(['eval', '--run', 'run', '--split', 'validation', '--json']);
  assert.equal(v.status, 0, v.stderr);
  const val = JSON.parse(v.stdout);
  assert.equal(val.split, 'validation');
  assert.equal(val.samples, 96);
  assert.ok(val.accuracy > 0.3, `the held-out samples are scored by the trained model (${val.accuracy})`);
  const t = JSON.parse(sf(['eval', '--run', 'run', '--json']).stdout);
  assert.equal(t.split, 'test');
  assert.equal(t.samples, 200);
  assert.match(sf(['eval', '--run', 'run', '--split', 'validation']).stdout, /^validation accuracy \d+\.\d\d% .* on 96 samples/);
  const bad = sf(['eval', '--run', 'run', '--split', 'train']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--split: expected 'test' or 'validation', got 'train'/);
  assert.equal(sf(['train', '-q', '--config', 'plain.yaml', '--out', 'plain']).status, 0);
  const none = sf(['eval', '--run', 'plain', '--split', 'validation']);
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /--split validation: this run holds no validation split \(data\.validation is 0/);
});
