import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[], cwd = root): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-cli-'));

/** A small but real run: 256 training digits, a 784-64-10 LIF net, direct encoding. */
const tinyConfig = `
name: tiny
seed: 7
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 512, test_limit: 128 }
encoder: { type: direct, steps: 4 }
model:
  layers:
    - { type: linear, out: 64 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 2
  loss: { type: ce_rate }
  optimizer: { type: adam, lr: 0.005 }
`;
const cfgPath = join(tmp, 'tiny.yaml');
writeFileSync(cfgPath, tinyConfig);

test('train writes a complete run folder and eval reproduces its accuracy', () => {
  const out = join(tmp, 'run');
  const r = run(['train', '--config', cfgPath, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['config.yaml', 'metrics.jsonl', 'model.safetensors', 'summary.json', 'report.md', 'checkpoint.safetensors']) {
    assert.ok(existsSync(join(out, f)), `${f} missing`);
  }
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  // stdout holds exactly the summary JSON (progress goes to stderr)
  assert.deepEqual(JSON.parse(r.stdout), summary);
  for (const k of ['accuracy', 'loss', 'epochs', 'wall_time_s', 'samples_per_s', 'layers', 'sops_per_sample', 'energy', 'mean_spike_rate']) assert.ok(k in summary, `summary.${k}`);
  assert.equal(summary.epochs, 2);
  assert.ok(summary.accuracy > 0.5, `tiny run should learn something, got ${summary.accuracy}`);
  assert.deepEqual(Object.keys(summary.energy), ['fp32', 'fp16', 'int8', 'int4']);
  for (const e of Object.values(summary.energy) as { snn_total_pj: number; snn_compute_pj: number; snn_weight_pj: number; snn_activation_pj: number; snn_state_pj: number; ann_fp32_total_pj: number; snn_wins: boolean }[]) {
    assert.ok(e.snn_compute_pj > 0);
    assert.ok(Math.abs(e.snn_total_pj - (e.snn_compute_pj + e.snn_weight_pj + e.snn_activation_pj + e.snn_state_pj)) < 1e-6 * e.snn_total_pj);
    assert.equal(e.ann_fp32_total_pj, summary.energy.fp32.ann_total_pj);
    assert.equal(typeof e.snn_wins, 'boolean');
  }
  const lifRates = summary.layers.filter((l: { spike_rate: number | null }) => l.spike_rate !== null);
  assert.equal(lifRates.length, 2);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(metrics.length, 2);
  assert.equal(metrics[1].test_accuracy, summary.accuracy);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(report, /\| Test accuracy \| [\d.]+% \|/);
  assert.match(report, /\| Row \| Weights \/ activations \/ state \| SNN compute/);
  assert.match(report, /### By layer \(fp32\)\n\n\| Layer \| Input density \| Spike rate/);
  const weights = loadSafetensors(join(out, 'model.safetensors'));
  assert.deepEqual(weights.tensors.get('1.weight')!.shape, [64, 784]);
  const e = run(['eval', '--run', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).accuracy, summary.accuracy);
});

test('resume from a checkpoint continues bit-exactly', () => {
  const straight = join(tmp, 'straight');
  const first = join(tmp, 'first');
  assert.equal(run(['train', '-q', '--config', cfgPath, '--out', straight]).code, 0);
  assert.equal(run(['train', '-q', '--config', cfgPath, '--out', first, '--set', 'train.epochs=1']).code, 0);
  const r = run(['train', '-q', '--config', cfgPath, '--out', first, '--resume', join(first, 'checkpoint.safetensors')]);
  assert.equal(r.code, 0, r.stderr);
  const a = loadSafetensors(join(straight, 'model.safetensors'));
  const b = loadSafetensors(join(first, 'model.safetensors'));
  for (const [name, ea] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data as Float32Array), Array.from(ea.data as Float32Array), name);
});

function expectBadInput(args: string[], pattern: RegExp, out?: string): void {
  const r = run(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  if (out) assert.equal(existsSync(out), false, `${out} must not be created`);
}

test('bad input: one line, exit 2, nothing written', () => {
  const out = join(tmp, 'bad');
  writeFileSync(join(tmp, 'unknown.yaml'), tinyConfig.replace('epochs: 2', 'epochs: 2\n  epoch: 3'));
  expectBadInput(['train', '--config', join(tmp, 'unknown.yaml'), '--out', out], /unknown key 'epoch' at train/, out);
  expectBadInput(['train', '--config', cfgPath, '--out', out, '--set', 'train.epochs=many'], /train\.epochs: expected number, got string/, out);
  expectBadInput(['train', '--config', cfgPath, '--out', out, '--set', 'model.layers.1.betta=0.5'], /model\.layers\[1\].*betta/, out);
  expectBadInput(['train', '--config', cfgPath, '--out', out, '--set', 'data.dataset=fashion-mnist', '--data-dir', join(tmp, 'nowhere')], /nowhere/, out);
  const idxDir = join(tmp, 'idx');
  mkdirSync(idxDir, { recursive: true });
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) writeFileSync(join(idxDir, f), Buffer.from([0, 0, 8, 3, 0, 0]));
  expectBadInput(['train', '--config', cfgPath, '--out', out, '--set', 'data.dataset=idx', '--data-dir', idxDir], /train-images-idx3-ubyte.*(offset|byte)/, out);
  const badCkpt = join(tmp, 'corrupt.safetensors');
  writeFileSync(badCkpt, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  expectBadInput(['train', '--config', cfgPath, '--out', out, '--resume', badCkpt], /corrupt\.safetensors/, out);
  expectBadInput(['eval', '--weights', badCkpt, '--config', cfgPath], /corrupt\.safetensors/);
  writeFileSync(join(tmp, 'syntax.yaml'), 'model: [unclosed\n');
  expectBadInput(['train', '--config', join(tmp, 'syntax.yaml'), '--out', out], /syntax\.yaml:\d+:\d+: YAML syntax error/, out);
});

test('info lists the backends and the active one', () => {
  const r = run(['info', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.ok(info.backends.includes('ts'));
  assert.equal(typeof info.active, 'string');
  // The adapter, or why there is no webgpu backend (never the chosen one: training does not run on it yet).
  assert.match(info.webgpu, /^webgpu /);
  assert.notEqual(info.active, 'webgpu');
});
