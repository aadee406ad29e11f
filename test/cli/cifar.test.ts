import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';
import { writeCifar10, writeCifar100 } from '../data/cifar-files.js';

/*
 * `spikeflow train` on generated CIFAR files through --data-dir: a tiny conv
 * net with augmentation and normalisation trains a few batches and is
 * evaluated; a resumed run matches a straight one bit for bit (the
 * augmentation generator is in the checkpoint); bad input exits 2 with one
 * line and writes nothing.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-cli-cifar-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function expectBadInput(args: string[], pattern: RegExp, out: string): void {
  const r = run(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.equal(existsSync(out), false, `${out} must not be created`);
}

const dataDir = join(tmp, 'cifar');
writeCifar10(join(dataDir, 'cifar-10-batches-bin'));

const config = `
name: tiny-cifar
seed: 5
data:
  dataset: cifar10
  batch_size: 16
  test_batch_size: 16
  train_limit: 48
  augment: { random_crop: { padding: 4 }, horizontal_flip: true }
  normalize: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: conv2d, out_channels: 4, kernel_size: 3, stride: 2 }
    - { type: lif, beta: 0.9 }
    - { type: maxpool2d, kernel_size: 3 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 2
  optimizer: { type: adam, lr: 0.01 }
`;
const cfg = join(tmp, 'cifar.yaml');
writeFileSync(cfg, config);

test('train --data-dir on generated CIFAR-10 with augmentation and normalisation, then eval reproduces the accuracy', () => {
  const out = join(tmp, 'run');
  const r = run(['train', '--config', cfg, '--data-dir', dataDir, '--out', out, '--json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.epochs, 2);
  assert.ok(summary.accuracy >= 0 && summary.accuracy <= 1, `accuracy ${summary.accuracy}`);
  assert.ok(Number.isFinite(summary.loss), `loss ${summary.loss}`);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(metrics.length, 2);
  const saved = readFileSync(join(out, 'config.yaml'), 'utf8');
  assert.match(saved, /random_crop:\s+padding: 4/);
  assert.match(saved, /horizontal_flip: true/);
  const e = run(['eval', '--run', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const ev = JSON.parse(e.stdout);
  assert.equal(ev.samples, 20);
  assert.equal(ev.accuracy, summary.accuracy);
});

test('resume: two epochs straight equal one epoch, a checkpoint and a resumed epoch, with augmentation on', () => {
  const straight = join(tmp, 'straight');
  const first = join(tmp, 'first');
  assert.equal(run(['train', '-q', '--config', cfg, '--data-dir', dataDir, '--out', straight]).code, 0);
  assert.equal(run(['train', '-q', '--config', cfg, '--data-dir', dataDir, '--out', first, '--set', 'train.epochs=1']).code, 0);
  const r = run(['train', '-q', '--config', cfg, '--data-dir', dataDir, '--out', first, '--resume', join(first, 'checkpoint.safetensors')]);
  assert.equal(r.code, 0, r.stderr);
  const a = loadSafetensors(join(straight, 'model.safetensors'));
  const b = loadSafetensors(join(first, 'model.safetensors'));
  for (const [name, ea] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data as Float32Array), Array.from(ea.data as Float32Array), name);
});

test('cifar100 with coarse labels: 20 classes through data.options', () => {
  const dir100 = writeCifar100(join(tmp, 'c100'));
  const out = join(tmp, 'run100');
  const r = run([
    'train', '-q', '--config', cfg, '--data-dir', dir100, '--out', out, '--json',
    '--set', 'data.dataset=cifar100', '--set', 'data.options.labels=coarse', '--set', 'model.layers.3.out=20', '--set', 'train.epochs=1',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).dataset.name, 'cifar100-coarse');
});

test('bad CIFAR input: missing folder, truncated file, normalisation of the wrong length: exit 2, one line, nothing written', () => {
  const out = join(tmp, 'bad');
  expectBadInput(['train', '--config', cfg, '--data-dir', join(tmp, 'nowhere'), '--out', out], /nowhere.*does not exist.*data_batch_1\.bin/, out);
  const cut = writeCifar10(join(tmp, 'cut'), 4);
  truncateSync(join(cut, 'test_batch.bin'), 4 * 3073 - 1);
  expectBadInput(['train', '--config', cfg, '--data-dir', cut, '--out', out], /test_batch\.bin: 12291 bytes is not a whole number of 3073-byte records.*record 3/, out);
  expectBadInput(['train', '--config', cfg, '--data-dir', dataDir, '--out', out, '--set', 'data.normalize.mean=[0.5]'], /data\.normalize\.mean: 1 value for 3 channels/, out);
  expectBadInput(['train', '--config', cfg, '--data-dir', dataDir, '--out', out, '--set', 'data.augment.random_crop.padding=-4'], /data\.augment\.random_crop\.padding/, out);
});
