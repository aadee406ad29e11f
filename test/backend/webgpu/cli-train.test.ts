// `spikeflow train --backend webgpu` end to end in a child process: the
// default network on 256 training samples for one epoch writes a complete
// run folder (config, metrics, checkpoint, weights, summary, reports, plots),
// with the backend recorded and finite, sane figures. The child gets the
// same SwiftShader setting as this process (helpers.ts). A rate-coded config
// is refused before the run folder exists, naming encoder.type.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import { loadSafetensors } from '../../../src/interop/safetensors-node.js';
import { webgpuOrSkip } from './helpers.js';

test('spikeflow train --backend webgpu writes a complete run folder for the default network', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const root = repoRoot();
  const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-webgpu-cli-')), 'run');
  const args = [join(root, 'bin', 'spikeflow.js'), 'train', '-c', join(root, 'examples', 'mnist-lif.yaml'), '--backend', 'webgpu', '--set', 'data.train_limit=256', '--set', 'data.test_limit=128', '--set', 'train.epochs=1', '-q', '-o', out];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' }, timeout: 240_000 });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  for (const f of ['config.yaml', 'metrics.jsonl', 'checkpoint.safetensors', 'model.safetensors', 'summary.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, f)), `${f} is missing (have ${readdirSync(out).join(', ')})`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { backend: string; accuracy: number };
  assert.equal(summary.backend, 'webgpu');
  assert.ok(summary.accuracy > 0.1 && summary.accuracy <= 1, `test accuracy ${summary.accuracy} after one short epoch`);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { train_loss: number; test_accuracy: number });
  assert.equal(metrics.length, 1);
  assert.ok(Number.isFinite(metrics[0]!.train_loss) && metrics[0]!.train_loss > 0);
  assert.equal(metrics[0]!.test_accuracy, summary.accuracy, 'the summary reports the epoch\'s test accuracy');
  // conv weight and bias, linear weight and bias (the LIF layers' β and θ are not trained here).
  const weights = loadSafetensors(join(out, 'model.safetensors'));
  assert.ok(weights.tensors.size >= 4, `model.safetensors holds ${[...weights.tensors.keys()].join(', ')}`);
});

test('spikeflow train --backend webgpu refuses a rate-coded config by its encoder, before the run folder exists', async (t) => {
  const be = await webgpuOrSkip(t);
  if (!be) return;
  const root = repoRoot();
  const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-webgpu-cli-')), 'run');
  const args = [join(root, 'bin', 'spikeflow.js'), 'train', '-c', join(root, 'examples', 'mnist-mlp-rate.yaml'), '--backend', 'webgpu', '--set', 'data.train_limit=64', '--set', 'data.test_limit=64', '-q', '-o', out];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' }, timeout: 120_000 });
  assert.notEqual(r.status, 0, 'refused');
  assert.match(r.stderr, /encoder\.type 'rate' cannot run on the webgpu backend yet: it computes its spikes on the host/);
  assert.match(r.stderr, /train on a CPU backend/);
  assert.equal(existsSync(out), false, 'no run folder');
});
