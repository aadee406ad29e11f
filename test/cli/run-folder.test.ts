import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

/*
 * The run folder as a user reads it, through the CLI: metrics.jsonl logs the
 * learning rate each epoch trained with, a run resumed into a new folder
 * carries the earlier epochs, and summary.json says what the run ran on.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const LR = 0.004;
// Cosine over the run's epochs: the rate drops every epoch, and after the last
// one the scheduler has already set the next epoch's rate (η_min = 0 after a
// one-epoch schedule), which is what the log used to show.
const config = `
name: lrlog
seed: 3
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 96, test_limit: 64 }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: linear, out: 16 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 2
  loss: { type: ce_rate }
  optimizer: { type: adam, lr: ${LR} }
  scheduler: { type: cosine }
`;

interface Line {
  epoch: number;
  lr: number;
  test_accuracy: number;
}
const metrics = (dir: string): Line[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

test('run folder: lr as trained, resumed history carried into a new folder, environment in summary.json', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-runfolder-'));
  try {
    const cfg = join(tmp, 'lrlog.yaml');
    writeFileSync(cfg, config);
    const first = join(tmp, 'first');
    const r1 = run(['train', '-q', '--config', cfg, '--out', first, '--set', 'train.epochs=1', '--set', 'data.train_limit=96']);
    assert.equal(r1.code, 0, r1.stderr);
    const m1 = metrics(first);
    assert.equal(m1.length, 1);
    assert.equal(m1[0]!.epoch, 1);
    assert.equal(m1[0]!.lr, LR, 'epoch 1 trained with the initial rate');

    // Resume for the second epoch (a two-epoch cosine schedule) into a new folder.
    const second = join(tmp, 'second');
    const ckpt = join(first, 'checkpoint.safetensors');
    const r2 = run(['train', '-q', '--config', cfg, '--out', second, '--resume', ckpt, '--json']);
    assert.equal(r2.code, 0, r2.stderr);
    const m2 = metrics(second);
    assert.deepEqual(m2.map((l) => l.epoch), [1, 2], 'the new folder holds both epochs');
    assert.deepEqual(m2[0], m1[0], "epoch 1's line is carried over as it was logged");
    // Cosine with t = 1 of 2 epochs: half the base rate (the rate epoch 2 trained with, not the 0 set after it).
    assert.ok(Math.abs(m2[1]!.lr - LR / 2) < 1e-12, `epoch 2 lr ${m2[1]!.lr}`);

    const summary = JSON.parse(readFileSync(join(second, 'summary.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(r2.stdout), summary);
    assert.equal(summary['epochs'], 2);
    assert.equal(summary['accuracy'], m2[1]!.test_accuracy);
    assert.equal(summary['resumed_from'], ckpt);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(summary['spikeflow_version'], pkg.version);
    assert.equal(summary['node_version'], process.versions.node);
    assert.equal(summary['platform'], `${process.platform}-${process.arch}`);
    assert.equal(typeof summary['backend'], 'string');
    assert.notEqual(summary['backend'], 'auto', 'the backend that ran, not the setting');
    const report = readFileSync(join(second, 'report.md'), 'utf8');
    assert.match(report, new RegExp(`\\| spikeflow / Node / platform \\| ${pkg.version.replace(/\./g, '\\.')} / ${process.versions.node.replace(/\./g, '\\.')} / `));
    assert.match(report, /\| Epochs \| 2 \(resumed from .*checkpoint\.safetensors\) \|/);
    const fresh = JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(fresh['resumed_from'], null);
    assert.equal(fresh['spikeflow_version'], pkg.version);

    // Resuming in the checkpoint's own folder leaves one line per epoch (no duplicate of epoch 1).
    const r3 = run(['train', '-q', '--config', cfg, '--out', first, '--resume', ckpt]);
    assert.equal(r3.code, 0, r3.stderr);
    assert.deepEqual(metrics(first).map((l) => [l.epoch, l.lr]), m2.map((l) => [l.epoch, l.lr]));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
