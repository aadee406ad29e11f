// A network trained by the CLI goes out to NIR and back with identical spikes:
// train → `nir export` → `nir import` → both models (and the NIR executor) on one input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import { parseConfigText } from '../../../src/config/load-node.js';
import { buildModel, type LayerConfig } from '../../../src/nn/builder.js';
import { configFromWeights, loadModelWeights } from '../../../src/cli/weights-node.js';
import { readNirFile } from '../../../src/interop/nir/file-node.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import '../../../src/interop/nir/index.js';
import { Rng } from '../../../src/tensor/rng.js';
import { rateEncode } from '../../../src/encoding/rate.js';
import { tensor } from '../../../src/tensor/create.js';
import { loadEmbeddedMnist } from '../../../src/data/mnist-embedded-node.js';
import { noGrad } from '../../../src/autograd/tape.js';
import type { Module } from '../../../src/module/module.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-nir-cli-'));

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

// Same-step zero reset: the LIF NIR can express exactly (snnTorch's default subtract reset is refused).
const config = `
name: nir-roundtrip
seed: 3
data: { dataset: mnist, batch_size: 64, train_limit: 256, test_limit: 64 }
encoder: { type: rate, steps: 6 }
model:
  layers:
    - { type: linear, out: 32 }
    - { type: lif, beta: 0.8, threshold: 0.5, reset: zero, reset_delay: false }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.8, threshold: 0.5, reset: zero, reset_delay: false }
train: { epochs: 2, loss: { type: ce_count }, optimizer: { type: adam, lr: 0.005 } }
`;

function model(yaml: string, weights: string, inputShape: number[]): Module {
  const cfg = parseConfigText(yaml, 'cfg');
  const { model } = buildModel(cfg.model.layers as LayerConfig[], { inputShape, steps: cfg.encoder.steps, timeConstantInput: false, rng: new Rng(0) });
  loadModelWeights(weights, model);
  return model;
}

test('CLI-trained network: export to NIR, import, identical spikes (modules and executor)', async () => {
  const cfgPath = join(tmp, 'cfg.yaml');
  writeFileSync(cfgPath, config);
  const run = join(tmp, 'run');
  cli(['train', '-q', '--config', cfgPath, '--out', run]);
  const nirPath = join(tmp, 'net.nir');
  cli(['nir', 'export', '--run', run, '--out', nirPath, '--dt', '1e-3']);
  const imported = join(tmp, 'imported.safetensors');
  cli(['nir', 'import', nirPath, '--out', imported]);

  const original = model(readFileSync(join(run, 'config.yaml'), 'utf8'), join(run, 'model.safetensors'), [1, 28, 28]);
  const back = model(configFromWeights(imported)!, imported, [784]);
  const rng = new Rng(9);
  const digits = loadEmbeddedMnist().test.images.subarray(0, 8 * 784);
  const x = rateEncode(tensor(digits, [8, 784]), 6, rng); // [T, B, 784]
  const a = noGrad(() => original.forward(x.view([6, 8, 1, 28, 28])));
  const b = noGrad(() => back.forward(x));
  assert.ok(a.toArray().some((v) => v === 1), 'the trained network spikes');
  assert.deepEqual(b.toArray(), a.toArray());

  const { graph } = await readNirFile(nirPath);
  const out = runNir(graph, { steps: 6, batch: 8, shape: [784], data: Float64Array.from(x.data) });
  const [spikes] = [...out.outputs.values()];
  assert.deepEqual(Array.from(spikes!.data), a.toArray());
});
