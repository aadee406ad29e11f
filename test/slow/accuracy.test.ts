// Long accuracy runs: `npm run test:slow` (SPIKEFLOW_SLOW=1). Skipped by `npm test`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const slow = process.env.SPIKEFLOW_SLOW === '1';
const root = repoRoot();

function train(args: string[]): { summary: { accuracy: number; wall_time_s: number }; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'spikeflow.js'), 'train', '--json', '-q', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return { summary: JSON.parse(r.stdout), seconds: (Date.now() - t0) / 1000 };
}

test('default run: npx spikeflow train reaches >= 95% test accuracy within 5 minutes', { skip: !slow && 'set SPIKEFLOW_SLOW=1 (npm run test:slow)', timeout: 600_000 }, () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-slow-')), 'default');
  const { summary, seconds } = train(['--out', out]);
  process.stderr.write(`default run: accuracy ${summary.accuracy}, ${seconds.toFixed(1)} s\n`);
  assert.ok(summary.accuracy >= 0.95, `accuracy ${summary.accuracy}`);
  assert.ok(seconds <= 300, `took ${seconds} s`);
});

const fashion = '/usr/share/datasets/fashion-mnist';
test('fashion-mnist example reaches >= 0.79 after one epoch', { skip: (!slow && 'set SPIKEFLOW_SLOW=1') || (!existsSync(fashion) && `${fashion} absent (apt-get install dataset-fashion-mnist)`), timeout: 3_600_000 }, () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-slow-')), 'fashion');
  const { summary, seconds } = train(['--config', 'examples/fashion-mnist-lif.yaml', '--set', 'train.epochs=1', '--out', out]);
  process.stderr.write(`fashion-mnist: accuracy ${summary.accuracy}, ${seconds.toFixed(1)} s\n`);
  assert.ok(summary.accuracy >= 0.79, `accuracy ${summary.accuracy}`);
});
