import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../src/interop/safetensors.js';
import { runCli, type Measured } from './cli-measure.js';

/*
 * Issue 18's training reproducers through the CLI, in temporary folders:
 * each is refused with one line naming the file/field (exit 2) within 5 s
 * and 512 MB, and leaves nothing behind; or, for configs embedded in
 * weights files and interrupted folders, the documented safe behaviour.
 */

const TINY = `
name: tiny
seed: 3
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 64, test_limit: 32 }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: linear, out: 16 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 1
  loss: { type: ce_rate }
  optimizer: { type: adam, lr: 0.004 }
  scheduler: { type: cosine }
`;

/** Refused cleanly: exit 2, one line on stderr matching `pattern`, within 5 s (of CPU time) and 512 MB. */
function assertRefused(r: Measured, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line expected: ${r.stderr}`);
  assert.match(lines[0]!, pattern, what);
  // 5 s of the process's own CPU time (the wall time on an idle machine; measured 2.5–4 s wall
  // while other runs loaded the machine); the wall time is bounded loosely against hangs.
  if (r.cpuMs !== null) assert.ok(r.cpuMs < 5000, `${what}: ${r.cpuMs} ms of CPU time`);
  assert.ok(r.ms < 30000, `${what}: took ${r.ms} ms`);
  if (r.peakBytes !== null) assert.ok(r.peakBytes < 512 * 2 ** 20, `${what}: peak memory ${(r.peakBytes / 2 ** 20).toFixed(0)} MB`);
}

let tmp = '';
let cfg = '';
/** A finished one-epoch run: its checkpoint and weights are what the mutations below start from. */
let base = '';

test.before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'spikeflow-harden-'));
  cfg = join(tmp, 'tiny.yaml');
  writeFileSync(cfg, TINY);
  base = join(tmp, 'base');
  const r = runCli(['train', '-q', '--config', cfg, '--out', base]);
  assert.equal(r.code, 0, r.stderr);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('--set __proto__.polluted=1 / constructor.prototype.x: refused naming the key, nothing written', () => {
  const cwd = join(tmp, 'proto');
  mkdirSync(cwd);
  for (const set of ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'data={__proto__: {polluted: 1}}']) {
    const r = runCli(['train', '--config', cfg, '--set', set], { cwd });
    assertRefused(r, /--set .*key '.*(__proto__|constructor)'? .*not allowed/, set);
  }
  assert.deepEqual(readdirSync(cwd), [], 'no run folder');
});

test('a run name that is a path is refused before anything is written', () => {
  const cwd = join(tmp, 'names', 'a', 'b');
  mkdirSync(cwd, { recursive: true });
  const r = runCli(['train', '--config', cfg, '--set', 'name=../../escaped-run'], { cwd });
  assertRefused(r, /name: run name "\.\.\/\.\.\/escaped-run" contains a path separator/, 'name');
  assert.deepEqual(readdirSync(join(tmp, 'names')), ['a'], 'nothing next to the working directory');
  assert.deepEqual(readdirSync(cwd), []);
});

/** Write a copy of the base run's checkpoint with `mutate` applied to its state/config metadata and tensors. */
function mutatedCheckpoint(name: string, mutate: (md: { state: Record<string, unknown>; config: Record<string, unknown> }, tensors: Map<string, { data: Float32Array }>) => void): string {
  const file = decodeSafetensors(new Uint8Array(readFileSync(join(base, 'checkpoint.safetensors'))));
  const md = { state: JSON.parse(file.metadata['state']!) as Record<string, unknown>, config: JSON.parse(file.metadata['config']!) as Record<string, unknown> };
  mutate(md, file.tensors as unknown as Map<string, { data: Float32Array }>);
  const dir = join(tmp, 'ckpt', name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'checkpoint.safetensors');
  writeFileSync(path, encodeSafetensors(file.tensors, { ...file.metadata, state: JSON.stringify(md.state), config: JSON.stringify(md.config) }));
  return path;
}

test('damaged checkpoints: --resume refuses each with an error naming the file and field (the other fields: test/train/checkpoint-state.test.ts, test/cli/resume-meta.test.ts)', () => {
  const cases: [string, Parameters<typeof mutatedCheckpoint>[1], RegExp][] = [
    ['negative-epoch', (m) => (m.state.epoch = -5), /checkpoint field state\.epoch: expected a non-negative integer, got -5/],
    ['zero-rng', (m) => ((m.state.rngs as Record<string, unknown>).encoder = [0, 0, 0, 0, null]), /checkpoint field state\.rngs\.encoder: expected a state with a non-zero word/],
    ['optimizer-no-steps', (m) => delete (m.state.optimizer as Record<string, unknown>).steps, /checkpoint field state\.optimizer\.steps: expected a list of step counts/],
    ['adam-negative-v', (_m, t) => (t.get('optim.0.exp_avg_sq')!.data[3] = -2), /optimizer state tensor '0\.exp_avg_sq' holds -2 at element 3; it holds squared gradients/],
    ['history-gap', (m) => ((m.config.history as Record<string, unknown>[])[0]!.epoch = 7), /checkpoint field config\.history\[0\]\.epoch: expected 1, got 7/],
  ];
  for (const [name, mutate, pattern] of cases) {
    const ckpt = mutatedCheckpoint(name, mutate);
    const out = join(tmp, 'ckpt', `${name}-out`);
    const r = runCli(['train', '-q', '--config', cfg, '--set', 'train.epochs=2', '--out', out, '--resume', ckpt]);
    assertRefused(r, new RegExp(`${ckpt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${pattern.source}`), name);
    assert.ok(!existsSync(out), `${name}: no run folder`);
  }
});

test('eval --weights: the config embedded in the weights file chooses no paths (data.dir, data.cache_dir dropped)', () => {
  const file = decodeSafetensors(new Uint8Array(readFileSync(join(base, 'model.safetensors'))));
  const evil = join(tmp, 'evil');
  // A downloaded file whose config points the data and the cache elsewhere.
  const config = file.metadata['config']!
    .replace(/^ {2}dir: null$/m, `  dir: ${JSON.stringify(join(evil, 'data'))}`)
    .replace(/^ {2}cache_dir: null$/m, `  cache_dir: ${JSON.stringify(join(evil, 'cache'))}`);
  assert.equal(config.split(evil).length, 3, 'both paths written into the embedded config');
  const weights = join(tmp, 'downloaded.safetensors');
  writeFileSync(weights, encodeSafetensors(file.tensors, { ...file.metadata, config }));
  const cwd = join(tmp, 'evalcwd');
  mkdirSync(cwd);
  const r = runCli(['eval', '--weights', weights, '--json'], { cwd, env: { SPIKEFLOW_CACHE_DIR: join(tmp, 'user-cache') } });
  assert.equal(r.code, 0, r.stderr);
  const byRun = runCli(['eval', '--run', base, '--json']);
  assert.equal(byRun.code, 0, byRun.stderr);
  assert.equal((JSON.parse(r.stdout) as { accuracy: number }).accuracy, (JSON.parse(byRun.stdout) as { accuracy: number }).accuracy, 'the embedded digits, as the run was scored');
  assert.ok(!existsSync(evil), 'nothing read or created where the file said');
  assert.deepEqual(readdirSync(cwd), []);
});

test('a run folder killed before its first checkpoint restarts in place; one with a checkpoint asks for --resume', () => {
  const dir = join(tmp, 'restart');
  mkdirSync(dir);
  // What a kill during the first checkpoint write leaves: config.yaml and a temporary file of a process that is gone.
  writeFileSync(join(dir, 'config.yaml'), 'name: tiny\n');
  writeFileSync(join(dir, '.checkpoint.safetensors.999999999.abc123.tmp'), 'partial');
  const r = runCli(['train', '-q', '--config', cfg, '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(base, 'model.safetensors'))), 'the same run as an uninterrupted one');
  const again = runCli(['train', '-q', '--config', cfg, '--out', dir]);
  assertRefused(again, /run folder already exists and holds a checkpoint: .* \(continue it with --resume .*checkpoint\.safetensors, or choose another --out\)/, 'a finished folder');
  // A folder with anything else in it is not ours to clear.
  const other = join(tmp, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'mine');
  assertRefused(runCli(['train', '-q', '--config', cfg, '--out', other]), /run folder already exists and is not empty/, 'a foreign folder');
  assert.deepEqual(readdirSync(other), ['notes.txt']);
});

test('divergence: training stops with exit 2 naming the layer, parameter and step; no model is written and the last good checkpoint stays', () => {
  // A huge rate: the weights are NaN after the second update (the loss stays finite: the layers fall silent).
  const first = join(tmp, 'diverge-first');
  const r = runCli(['train', '-q', '--config', cfg, '--out', first, '--set', 'train.optimizer.lr=1e38']);
  assertRefused(r, /^spikeflow: error: training diverged: parameter 'weight' of model\.layers\[0\] \(linear\) \(model parameter '1\.weight'\) holds (NaN|-?Infinity) \(element \d+ of \[16, 784\]\) after the optimizer update of epoch 1, batch \d \(step \d of the run\)/, 'lr 1e38');
  assert.ok(!existsSync(first), 'a run that failed in its first epoch leaves nothing');
  // Two good epochs, then the step schedule multiplies the rate by 1e37.
  const later = join(tmp, 'diverge-later');
  const r2 = runCli(['train', '-q', '--config', cfg, '--out', later, '--set', 'train.epochs=3', '--set', 'train.scheduler={type: step, step_size: 1, gamma: 1e37}']);
  assertRefused(r2, /training diverged: .* of model\.layers\[\d\] \(linear\) .* epoch 3, batch 1/, 'epoch 3');
  assert.deepEqual(readdirSync(later).sort(), ['checkpoint.safetensors', 'config.yaml', 'metrics.jsonl']);
  assert.deepEqual(readFileSync(join(later, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { epoch: number }).epoch), [1, 2]);
  // The checkpoint left is good: it resumes (to the same divergence, deterministically).
  const r3 = runCli(['train', '-q', '--config', cfg, '--out', later, '--set', 'train.epochs=3', '--set', 'train.scheduler={type: step, step_size: 1, gamma: 1e37}', '--resume', join(later, 'checkpoint.safetensors')]);
  assertRefused(r3, /training diverged: .* epoch 3, batch 1/, 'resumed');
});
