// Issue 12: a DCLS delay network trains, evaluates and reports through the CLI; bad delay weights are refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';
import { encodeSafetensors } from '../../src/interop/safetensors.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-delays-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const small = ['--set', 'data.options.train_size=192', '--set', 'data.options.test_size=64', '--set', 'train.epochs=4', '--set', 'model.layers.0.out=16', '--quiet', '--json'];

test('train a DCLS network on delay-patterns: σ decays, positions stay in range, eval reproduces the summary', () => {
  const out = join(tmp, 'run');
  const r = cli(['train', '--config', join(root, 'examples', 'delay-patterns-dcls.yaml'), '--out', out, ...small]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { accuracy: number; epochs: number };
  assert.equal(summary.epochs, 4);
  const w = loadSafetensors(join(out, 'model.safetensors'));
  for (const name of ['0.positions', '4.positions']) {
    const p = w.tensors.get(name);
    assert.ok(p, `${name} saved`);
    // max_delay 16 → K = 17 taps, positions within ±8.
    assert.ok([...(p.data as Float32Array)].every((v) => v >= -8 && v <= 8), `${name} within [-8, 8]`);
  }
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { lr: number });
  // one_cycle on the weights: the rate rises from peak/25 over the first epochs.
  assert.ok(metrics[1]!.lr > metrics[0]!.lr);
  const ev = cli(['eval', '--run', out, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal((JSON.parse(ev.stdout) as { accuracy: number }).accuracy, summary.accuracy);
});

test('a weights file with a delay position out of range: eval exits 2 naming the tensor', () => {
  const out = join(tmp, 'run');
  if (!existsSync(join(out, 'model.safetensors'))) return; // the training test failed first and says why
  const w = loadSafetensors(join(out, 'model.safetensors'));
  const p = w.tensors.get('0.positions')!;
  const bad = Float32Array.from(p.data as Float32Array);
  bad[5] = 30;
  const tensors = new Map(w.tensors);
  tensors.set('0.positions', { ...p, data: bad });
  const file = join(tmp, 'bad.safetensors');
  writeFileSync(file, encodeSafetensors(tensors, w.metadata));
  const r = cli(['eval', '--weights', file, '--config', join(out, 'config.yaml')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad\.safetensors.*tensor '0\.positions' holds delay position 30 at index 5, outside/);
});
