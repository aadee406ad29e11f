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
