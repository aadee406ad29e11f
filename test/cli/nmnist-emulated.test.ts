import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load-node.js';
import { loadSessionData } from '../../src/cli/session-node.js';
import { ConfigError } from '../../src/errors.js';
import { repoRoot } from '../helpers.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The example's network on 48 emulated recordings, T = 3, one epoch. */
function tinyConfig(cacheDir: string): string {
  return `
name: tiny-nmnist
seed: 3
data: { dataset: nmnist-emulated, batch_size: 16, test_batch_size: 32, train_limit: 48, test_limit: 16, cache_dir: ${JSON.stringify(cacheDir)} }
encoder: { type: frames, steps: 3 }
model:
  layers:
    - { type: conv2d, out_channels: 4, kernel_size: 5 }
    - { type: maxpool2d, kernel_size: 2 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 1
  loss: { type: ce_count }
  optimizer: { type: adam, lr: 0.002 }
`;
}

test('spikeflow train runs end to end on nmnist-emulated and caches the generated samples', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sf-nmnist-cli-'));
  try {
    const cache = join(tmp, 'cache');
    const cfg = join(tmp, 'tiny.yaml');
    writeFileSync(cfg, tinyConfig(cache));
    const out = join(tmp, 'run');
    const r = run(['train', '-q', '--config', cfg, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.dataset, { name: 'nmnist-emulated', train: 48, test: 16 });
    assert.equal(summary.timesteps, 3);
    assert.equal(summary.encoder, 'frames');
    assert.ok(summary.accuracy >= 0 && summary.accuracy <= 1);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    // One cache entry per split (each limit fits in one block), written atomically.
    const entries = readdirSync(join(cache, 'nmnist-emulated'));
    assert.equal(entries.filter((f) => f.endsWith('.sfnm')).length, 2, entries.join(', '));
    assert.deepEqual(entries.filter((f) => f.endsWith('.tmp')), []);
    // eval rebuilds the session from the run's config: same cached data, same accuracy.
    const e = run(['eval', '--run', out, '--json']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).accuracy, summary.accuracy);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('event datasets need the frames encoder with data.frames = encoder.steps', () => {
  const base = readFileSync(join(root, 'examples', 'nmnist-emulated-conv.yaml'), 'utf8');
  const cfg = parseConfigText(base, 'nmnist-emulated-conv.yaml');
  assert.equal(cfg.data.dataset, 'nmnist-emulated');
  assert.equal(cfg.encoder.type, 'frames');
  assert.throws(() => loadSessionData({ ...cfg, encoder: { ...cfg.encoder, type: 'rate' } }), (e: unknown) => e instanceof ConfigError && /encoder type 'frames'/.test(e.message));
  assert.throws(() => loadSessionData({ ...cfg, data: { ...cfg.data, frames: cfg.encoder.steps + 1 } }), (e: unknown) => e instanceof ConfigError && /data\.frames/.test(e.message));
  const mnist = parseConfigText(readFileSync(join(root, 'examples', 'mnist-lif.yaml'), 'utf8'), 'mnist-lif.yaml');
  assert.throws(() => loadSessionData({ ...mnist, data: { ...mnist.data, frames: 4 } }), ConfigError);
});
