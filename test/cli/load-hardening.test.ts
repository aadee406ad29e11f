import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load-node.js';
import { checkpointRngs, sessionTrainer } from '../../src/config/session.js';
import { createSession } from '../../src/cli/session-node.js';
import { saveModelWeights } from '../../src/cli/weights-node.js';
import { saveTrainerCheckpoint } from '../../src/train/checkpoint-node.js';
import { runMeasured, REFUSAL, type MeasuredRun } from './measured-run.js';

/*
 * What the CLI loads, refused as one line with exit 2 before anything is
 * written: weights and checkpoints holding NaN or infinities (unless
 * --allow-non-finite), a layer too large to allocate, a config path that is
 * a folder and an --out that is a file.
 */

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-loadhard-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG = `
name: tiny
seed: 1
backend: ts
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 64, test_limit: 64 }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train: { epochs: 1, loss: { type: ce_rate }, optimizer: { type: adam, lr: 0.01 } }
`;

/** A one-line refusal with exit 2 inside the time and memory bounds. */
function assertRefused(r: MeasuredRun, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stderr.split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.ok(r.seconds < REFUSAL.seconds, `took ${r.seconds.toFixed(2)} s`);
  assert.ok(r.maxRssBytes < REFUSAL.maxRssBytes, `peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
}

/** A fresh empty working folder. */
function cwd(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d);
  return d;
}

// Written once: a model whose first weight holds a NaN, and a checkpoint of it.
const config = parseConfigText(CONFIG, 'tiny.yaml');
const session = createSession(config);
const [pname, p] = session.model.namedParameters()[0]!;
p.storage.data[5] = NaN;
const weights = join(tmp, 'nan.safetensors');
saveModelWeights(weights, session.model, config);
const cfgFile = join(tmp, 'tiny.yaml');
writeFileSync(cfgFile, CONFIG);
const ckpt = join(tmp, 'ckpt', 'checkpoint.safetensors');
mkdirSync(join(tmp, 'ckpt'));
saveTrainerCheckpoint(ckpt, sessionTrainer(session).trainer, { rngs: checkpointRngs(session), config: { run: config, history: [] } });

test('CLI: eval --weights of a model.safetensors holding NaN exits 2 naming the file and the tensor; --allow-non-finite evaluates it', () => {
  const d = cwd('eval');
  const esc = weights.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assertRefused(runMeasured(['eval', '--weights', weights, '--quiet'], d), new RegExp(`^spikeflow: error: ${esc}: tensor '${pname}' holds NaN at index 5 \\(\\[0, 5\\]\\); pass --allow-non-finite`));
  const ok = runMeasured(['eval', '--weights', weights, '--quiet', '--allow-non-finite', '--json'], d);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { samples: number }).samples, 64);
});

test('CLI: train --weights and --resume of files holding NaN exit 2 and leave no run folder', () => {
  const d = cwd('train');
  assertRefused(runMeasured(['train', '--weights', weights, '--out', 'run1', '--quiet'], d), new RegExp(`tensor '${pname}' holds NaN at index 5`));
  assertRefused(runMeasured(['train', '--config', cfgFile, '--resume', ckpt, '--out', 'run2', '--quiet'], d), new RegExp(`checkpoint\\.safetensors: tensor 'param\\.${pname.replace('.', '\\.')}' holds NaN at index 5`));
  assert.deepEqual(readdirSync(d), []);
});

test('CLI: --set model.layers.3.out=300000 is refused from the shape walk, naming the layer and its size, before allocating', () => {
  const d = cwd('layers');
  assertRefused(
    runMeasured(['train', '--set', 'model.layers.3.out=300000', '--out', 'run', '--quiet'], d),
    /^spikeflow: error: model\.layers\[3\] \(linear\): \[2304\] → \[300000\] needs 691500000 parameters \(2\.77 GB as float32\), the model 691500416 with the layers before \(2\.77 GB\), over the 1 GiB limit for the model's parameters \(limits\.parameter_bytes\)$/,
  );
  // Within the budget the class check comes before the build as well.
  assertRefused(runMeasured(['train', '--set', 'model.layers.3.out=1000', '--out', 'run', '--quiet'], d), /the network outputs \[1000\] per sample, but 'mnist' has 10 classes: the last layers must produce 10 features$/);
  // The budget is a config key.
  assertRefused(runMeasured(['train', '--set', 'model.layers.3.out=1000', '--set', 'limits.parameter_bytes=1000000', '--out', 'run', '--quiet'], d), /model\.layers\[3\] \(linear\): \[2304\] → \[1000\] needs 2305000 parameters \(9\.22 MB as float32\), the model 2305416 with the layers before \(9\.22 MB\), over the 1\.00 MB limit/);
  assert.deepEqual(readdirSync(d), []);
});

test('CLI: --config DIR and --out FILE are one-line errors with exit 2, not raw errnos', () => {
  const d = cwd('paths');
  mkdirSync(join(d, 'conf.d'));
  assertRefused(runMeasured(['train', '--config', 'conf.d', '--quiet'], d), /^spikeflow: error: config file .*conf\.d is a folder; give the path of a YAML file$/);
  writeFileSync(join(d, 'taken'), 'x');
  assertRefused(runMeasured(['train', '--config', cfgFile, '--out', 'taken', '--quiet'], d), /^spikeflow: error: --out: .*taken is a file, not a folder \(choose another --out\)$/);
  assertRefused(runMeasured(['train', '--config', cfgFile, '--out', 'taken/run', '--quiet'], d), /--out: .*taken is a file, so .*taken\/run cannot be a folder under it/);
  assertRefused(runMeasured(['nir', 'export', '--weights', weights, '--dt', '1e-3', '--out', 'conf.d'], d), /^spikeflow: error: --out: .*conf\.d is a folder; give the path of a file to write$/);
  assertRefused(runMeasured(['eval', '--weights', weights, '--early-exit', '--front', 'taken'], d), /^spikeflow: error: --front: .*taken is a file, not a folder \(choose another --front\)$/);
  assert.deepEqual(readdirSync(d).sort(), ['conf.d', 'taken']);
  assert.equal(existsSync(join(d, 'conf.d', 'x')), false);
});
