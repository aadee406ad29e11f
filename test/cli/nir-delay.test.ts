// A delay network trained by the CLI goes through NIR: train → `nir export` (learned positions written
// as the rounded delays eval mode runs) → `nir inspect` shows the Delay nodes → `nir run` and `nir import` give the model's spikes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../src/autograd/tape.js';
import { configFromWeights, loadModelWeights } from '../../src/cli/weights-node.js';
import { parseConfigText } from '../../src/config/load-node.js';
import type { NirSummary } from '../../src/interop/nir/summary.js';
import '../../src/interop/nir/index.js';
import type { Module } from '../../src/module/module.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { repoRoot } from '../helpers.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[]): string {
  const r = cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const config = (cache: string): string => `
name: tiny-delay
seed: 3
data: { dataset: nmnist-emulated, batch_size: 16, test_batch_size: 16, train_limit: 32, test_limit: 16, cache_dir: ${JSON.stringify(cache)} }
encoder: { type: frames, steps: 4 }
model:
  layers:
    - { type: delay_linear, out: 12, max_delay: 3 }
    - { type: lif, beta: 0.8, threshold: 0.3, reset: zero, reset_delay: false }
    - { type: delay_linear, out: 10, max_delay: 2, mode: fixed, bias: true }
    - { type: lif, beta: 0.8, threshold: 0.3, reset: zero, reset_delay: false }
train: { epochs: 1, loss: { type: ce_count }, optimizer: { type: adam, lr: 0.005 } }
`;

function model(yaml: string, weights: string, inputShape: number[]): Module {
  const cfg = parseConfigText(yaml, 'cfg');
  const { model } = buildModel(cfg.model.layers as LayerConfig[], { inputShape, steps: cfg.encoder.steps, timeConstantInput: false, rng: new Rng(0) });
  loadModelWeights(weights, model);
  return model.eval();
}

test('CLI: a trained delay network exports, inspects, runs and imports with the same spikes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sf-nir-delay-'));
  try {
    const cfgPath = join(tmp, 'cfg.yaml');
    writeFileSync(cfgPath, config(join(tmp, 'cache')));
    const run = join(tmp, 'run');
    ok(['train', '-q', '--config', cfgPath, '--out', run]);
    const nirPath = join(tmp, 'net.nir');

    // learned positions export as the rounded delays eval mode runs: no flag needed
    ok(['nir', 'export', '--run', run, '--out', nirPath, '--dt', '1e-3']);

    const text = ok(['nir', 'inspect', nirPath]);
    assert.match(text, /delayedlinear_1_d\d+_delay \(Delay\) \[12\] → \[12\]/);
    assert.match(text, /delayedlinear_3_d0 \(Affine\)/);
    assert.match(text, /steps: \d+ \(delay \/ dt\)/);
    const summary = JSON.parse(ok(['nir', 'inspect', nirPath, '--json'])) as NirSummary;
    const delays = summary.nodes.filter((n) => n.type === 'Delay');
    assert.ok(delays.length >= 4, `${delays.length} Delay nodes`);
    for (const d of delays) {
      // one delay per branch node, in whole steps of the recorded dt
      assert.equal(d.delaySteps!.min, d.delaySteps!.max);
      assert.equal(d.delaySteps!.min, Math.round(d.params['delay']!.min! / 1e-3));
      assert.equal(d.name, `${d.name.replace(/_d\d+_delay$/, '')}_d${d.delaySteps!.min}_delay`);
    }
    // every branch of the first layer feeds the hidden LIF (NIR sums them)
    assert.equal(summary.edges.filter((e) => e.to === 'lif_2').length, delays.filter((d) => d.name.startsWith('delayedlinear_1_')).length);

    // the same input through `nir run` and through the trained model (eval: rounded integer delays)
    const T = 8, B = 3, shape = [2, 34, 34];
    const F = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(11);
    const xs = Float64Array.from({ length: T * B * F }, () => (rng.random() < 0.15 ? 1 : 0));
    const nested = Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => Array.from({ length: 2 }, (_, c) => Array.from({ length: 34 }, (_, h) => Array.from(xs.subarray(((t * B + b) * 2 + c) * 34 * 34 + h * 34, ((t * B + b) * 2 + c) * 34 * 34 + (h + 1) * 34))))));
    const inPath = join(tmp, 'in.json'), outPath = join(tmp, 'out.json');
    writeFileSync(inPath, JSON.stringify({ input: nested }));
    ok(['nir', 'run', nirPath, '--input', inPath, '--out', outPath]);
    const ran = (JSON.parse(readFileSync(outPath, 'utf8')) as { outputs: Record<string, unknown> }).outputs['output'] as number[][][];
    const original = model(readFileSync(join(run, 'config.yaml'), 'utf8'), join(run, 'model.safetensors'), shape);
    const x = tensor(xs, [T, B, ...shape]);
    const ref = noGrad(() => original.forward(x)).toArray();
    assert.ok(ref.some((v) => v === 1), 'the trained network spikes on this input');
    assert.deepEqual(ran.flat(2), ref);

    // import back: fixed DelayedLinear layers with the rounded delays, the same spikes
    const imported = join(tmp, 'imported.safetensors');
    const msg = ok(['nir', 'import', nirPath, '--out', imported]);
    assert.match(msg, /DelayedLinear\(2312 → 12, fixed delays/);
    const back = model(configFromWeights(imported)!, imported, shape);
    assert.deepEqual(noGrad(() => back.forward(x)).toArray(), ref);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
