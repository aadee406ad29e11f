// Issue 10 §2: a model imported from a flat-input NIR graph evaluates, fine-tunes and
// re-exports through the CLI, with identical spikes; §5: eval of a rate-coded run
// reproduces the run's own accuracy.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { moduleToNir } from '../../src/interop/nir/export.js';
import { readNirFile, writeNirFile } from '../../src/interop/nir/file-node.js';
import { runNir } from '../../src/interop/nir/executor.js';
import '../../src/interop/nir/index.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';
import { parseConfigText } from '../../src/config/load-node.js';
import { loadModelWeights } from '../../src/cli/weights-node.js';
import { loadEmbeddedMnist } from '../../src/data/mnist-embedded-node.js';
import { rateEncode } from '../../src/encoding/rate.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { noGrad } from '../../src/autograd/tape.js';
import { scale } from '../../src/ops/elementwise.js';

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-nir-imported-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[]): string {
  const r = cli(args);
  assert.equal(r.code, 0, `spikeflow ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const T = 6;
const lif = { type: 'lif', beta: 0.8, threshold: 0.5, reset: 'zero', reset_delay: false };
const layers: LayerConfig[] = [{ type: 'linear', out: 32 }, lif, { type: 'linear', out: 10 }, lif];
const nirPath = join(tmp, 'model.nir');
const imported = join(tmp, 'm.safetensors');
// Rate-coded digits shared by every comparison: [T, B, 784].
const digits = loadEmbeddedMnist().test.images.subarray(0, 8 * 784);
const x = rateEncode(tensor(digits, [8, 784]), T, new Rng(11));

/** A flat-input network 784 → 32 → 10 as another tool would hand it over: a NIR graph with Input [784]. */
async function writeFlatGraph(): Promise<void> {
  const { model } = buildModel(layers, { inputShape: [784], steps: T, timeConstantInput: false, rng: new Rng(1) });
  // Stronger than the default initialisation so both layers spike on digits.
  for (const [name, p] of model.namedParameters()) if (name.endsWith('weight')) model.namedModules().find(([q]) => `${q}.weight` === name)![1].setTensor('weight', scale(p, 6));
  const r = moduleToNir(model.eval(), { dt: 1e-3, inputShape: [784] });
  await writeNirFile(nirPath, r.graph);
}

async function nirSpikes(path: string): Promise<number[]> {
  const { graph } = await readNirFile(path);
  const input = [...graph.nodes.values()].find((n) => n.type === 'Input')!;
  const field = 'fields' in input ? input.fields['shape'] : undefined;
  const shape = field && 'data' in field ? Array.from(field.data as ArrayLike<number>, Number) : [784];
  const out = runNir(graph, { steps: T, batch: 8, shape, data: Float64Array.from(x.data) });
  return Array.from([...out.outputs.values()][0]!.data);
}

test('nir import → eval: a flat-input graph evaluates on MNIST [1, 28, 28] (the builder\'s Flatten is matched)', async () => {
  await writeFlatGraph();
  ok(['nir', 'import', nirPath, '--out', imported, '--set', `encoder.steps=${T}`, '--set', 'data.train_limit=128', '--set', 'data.test_limit=96', '--set', 'data.batch_size=64']);
  assert.deepEqual([...loadSafetensors(imported).tensors.keys()].sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
  const text = ok(['eval', '--weights', imported]);
  assert.match(text, /^test accuracy \d+\.\d\d% \(loss [\d.]+\) on 96 samples/m);
  const json = JSON.parse(ok(['eval', '--weights', imported, '--json']));
  assert.equal(typeof json.accuracy, 'number');
  assert.ok(json.accuracy >= 0 && json.accuracy <= 1);
  assert.ok(json.layers.some((l: { spike_rate: number }) => l.spike_rate > 0), 'the imported network spikes');
});

test('nir import → nir export: the re-exported graph spikes exactly as the original', async () => {
  const back = join(tmp, 'back.nir');
  ok(['nir', 'export', '--weights', imported, '--dt', '1e-3', '--out', back]);
  const a = await nirSpikes(nirPath);
  assert.ok(a.some((v) => v === 1), 'the graph spikes');
  assert.deepEqual(await nirSpikes(back), a);
});

test('nir import → train --weights (one epoch) → eval --run reproduces the summary → nir export with identical spikes', async () => {
  const run = join(tmp, 'finetuned');
  ok(['train', '-q', '--weights', imported, '--out', run, '--set', 'train.epochs=1']);
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  assert.equal(summary.epochs, 1);
  // Started from the imported weights: one epoch of two Adam steps moves them little (a fresh init would be far).
  const before = loadSafetensors(imported).tensors.get('0.weight')!.data;
  const after = loadSafetensors(join(run, 'model.safetensors')).tensors.get('1.weight')!.data; // a Flatten sits at 0 now
  let maxDiff = 0, changed = false;
  for (let i = 0; i < before.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(Number(after[i]!) - Number(before[i]!)));
    changed ||= after[i] !== before[i];
  }
  assert.ok(changed, 'fine-tuning changed the weights');
  assert.ok(maxDiff < 0.05, `fine-tuning started from the imported weights (max change ${maxDiff})`);

  // §5: a rate-coded run; eval draws the same test encoding as the run's report.
  const e = JSON.parse(ok(['eval', '--run', run, '--json']));
  assert.equal(e.accuracy, summary.accuracy);
  assert.equal(e.samples, 96);

  const ft = join(tmp, 'finetuned.nir');
  ok(['nir', 'export', '--run', run, '--dt', '1e-3', '--out', ft]);
  const cfg = parseConfigText(readFileSync(join(run, 'config.yaml'), 'utf8'), 'config.yaml');
  const { model } = buildModel(cfg.model.layers as LayerConfig[], { inputShape: [1, 28, 28], steps: T, timeConstantInput: false, rng: new Rng(0) });
  loadModelWeights(join(run, 'model.safetensors'), model);
  const spikes = noGrad(() => model.eval().forward(x.view([T, 8, 1, 28, 28]))).toArray();
  assert.ok(spikes.some((v) => v === 1));
  assert.deepEqual(await nirSpikes(ft), spikes);
});

test('train --weights: bad combinations exit 2 and leave no run folder', () => {
  const out = join(tmp, 'bad');
  let r = cli(['train', '-q', '--weights', imported, '--resume', join(tmp, 'none.safetensors'), '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weights and --resume exclude each other/);
  r = cli(['train', '-q', '--weights', join(tmp, 'absent.safetensors'), '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weights: file not found/);
  // Weights of another architecture: the error names the tensor.
  r = cli(['eval', '--weights', imported, '--set', 'model.layers.0.out=16']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /tensor '\d\.weight' has shape \[32, 784\], the module expects \[16, 784\]|tensor '\d\.\w+' missing/);
  // A bad override of the imported config: exit 2, no weights file.
  const never = join(tmp, 'never.safetensors');
  r = cli(['nir', 'import', nirPath, '--out', never, '--set', 'encoder.steps=zero']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /encoder\.steps/);
  assert.equal(existsSync(never), false);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
});
