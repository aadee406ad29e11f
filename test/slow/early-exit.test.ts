// The early-exit acceptance run (docs/early-exit.md): `npm run test:slow`
// (SPIKEFLOW_SLOW=1) trains examples/fashion-mnist-early-exit.yaml and checks
// that early exit, with the threshold chosen on the validation split for at
// most 0.5 point, cuts the mean time steps by at least 40 % at no more than
// 0.5 point of test accuracy loss against full-T inference. Skipped by `npm test`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const slow = process.env.SPIKEFLOW_SLOW === '1';
const root = repoRoot();
const fashion = '/usr/share/datasets/fashion-mnist';
const skip = (!slow && 'set SPIKEFLOW_SLOW=1 (npm run test:slow)') || (!existsSync(fashion) && `${fashion} absent (apt-get install dataset-fashion-mnist)`);

function sf(args: string[]): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'spikeflow.js'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('fashion-mnist-early-exit example: >= 40% fewer time steps at <= 0.5 point accuracy loss, threshold chosen on validation', { skip, timeout: 7_200_000 }, () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-slow-ee-')), 'run');
  const t0 = Date.now();
  const summary = JSON.parse(sf(['train', '--json', '-q', '--config', 'examples/fashion-mnist-early-exit.yaml', '--out', out]));
  const trainS = (Date.now() - t0) / 1000;
  const r = JSON.parse(sf(['eval', out, '--early-exit', '--max-accuracy-loss', '0.5', '--front', join(out, 'early-exit'), '--json']));
  const e = r.early_exit;
  process.stderr.write(
    `fashion-mnist-early-exit: trained in ${trainS.toFixed(0)} s to ${summary.accuracy}; ${e.rule} >= ${e.threshold}: ${e.early_exit.accuracy} vs ${e.full.accuracy} at T = ${e.steps}, mean steps ${e.early_exit.mean_steps} (${(100 * e.steps_saved).toFixed(1)}% fewer), SOPs ${(100 * e.sops_saved).toFixed(1)}% fewer\n`,
  );
  assert.equal(e.threshold_from, 'validation');
  assert.ok(e.steps >= 8);
  assert.ok(e.steps_saved >= 0.4, `steps saved ${e.steps_saved}`);
  assert.ok(e.accuracy_change_points >= -0.5, `accuracy change ${e.accuracy_change_points} points`);
});
