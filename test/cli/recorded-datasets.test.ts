// `spikeflow train` end to end on a tiny directory in the published N-MNIST
// layout (Train/<digit>/*.bin, Test/<digit>/*.bin), and the exit-2 message
// naming the layout when the folder is not there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNmnist } from '../../src/data/events/formats/nmnist.js';
import { makeDvsEvents } from '../../src/data/events/stream.js';
import { Rng } from '../../src/tensor/rng.js';
import { repoRoot } from '../helpers.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Digits 1 and 4: a vertical or a horizontal bar of events, with a little noise. */
function writeTinyNmnist(dir: string): void {
  const rng = new Rng(5);
  for (const [split, count] of [['Train', 6], ['Test', 2]] as const) {
    for (const digit of [1, 4]) {
      mkdirSync(join(dir, split, String(digit)), { recursive: true });
      for (let i = 0; i < count; i++) {
        const n = 60;
        const along = Array.from({ length: n }, () => 8 + rng.int(18));
        const across = Array.from({ length: n }, () => 15 + rng.int(3));
        const ev = makeDvsEvents({
          x: digit === 1 ? across : along,
          y: digit === 1 ? along : across,
          t: Array.from({ length: n }, (_, k) => k * 5000),
          p: Array.from({ length: n }, () => rng.int(2)),
          width: 34,
          height: 34,
        });
        writeFileSync(join(dir, split, String(digit), `${String(i).padStart(5, '0')}.bin`), encodeNmnist(ev));
      }
    }
  }
}

const CONFIG = `
name: tiny-nmnist-real
seed: 1
data: { dataset: nmnist, batch_size: 4, test_batch_size: 4, options: { downsample: 0.5 } }
encoder: { type: frames, steps: 3 }
model:
  layers:
    - { type: linear, out: 16 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 5
  loss: { type: ce_count }
  optimizer: { type: adam, lr: 0.01 }
`;

test('spikeflow train on an N-MNIST-layout folder writes a run folder and caches the frames', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sf-nmnist-real-'));
  try {
    const data = join(tmp, 'N-MNIST');
    writeTinyNmnist(data);
    const cfg = join(tmp, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const out = join(tmp, 'run');
    const cache = join(tmp, 'cache');
    const r = run(['train', '-q', '--config', cfg, '--data-dir', data, '--out', out, '--set', 'train.epochs=1', '--json'], { SPIKEFLOW_CACHE_DIR: cache });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.dataset, { name: 'nmnist', train: 12, test: 4 });
    assert.equal(summary.timesteps, 3);
    assert.ok(summary.accuracy >= 0 && summary.accuracy <= 1);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    const saved = readFileSync(join(out, 'config.yaml'), 'utf8');
    assert.match(saved, /downsample: 0\.5/);
    assert.match(saved, /epochs: 1/);
    assert.equal(readdirSync(join(cache, 'nmnist')).filter((f) => f.endsWith('.sfec')).length, 16);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('spikeflow train with a missing N-MNIST folder exits 2 naming the layout and writes nothing', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sf-nmnist-real-'));
  try {
    const cfg = join(tmp, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const out = join(tmp, 'run');
    const r = run(['train', '-q', '--config', cfg, '--data-dir', join(tmp, 'nowhere'), '--out', out], { SPIKEFLOW_CACHE_DIR: join(tmp, 'cache') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Train\/<digit 0-9>\/\*\.bin/);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(join(tmp, 'cache')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
