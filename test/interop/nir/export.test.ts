import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import YAML from 'yaml';
import { noGrad } from '../../../src/autograd/tape.js';
import { gradcheck } from '../../../src/autograd/gradcheck.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { registerNirCommands } from '../../../src/cli/commands/nir-node.js';
import { saveModelWeights } from '../../../src/cli/weights-node.js';
import { configSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/errors.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { moduleToNir } from '../../../src/interop/nir/export.js';
import { featureAffine } from '../../../src/interop/nir/feature-affine.js';
import { readNirFile } from '../../../src/interop/nir/file-node.js';
import { nirToModule } from '../../../src/interop/nir/import.js';
import { readNir } from '../../../src/interop/nir/read.js';
import { writeNir } from '../../../src/interop/nir/write.js';
import { loadSafetensors } from '../../../src/interop/safetensors-node.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Synaptic } from '../../../src/neurons/synaptic/index.js';
import { buildModel } from '../../../src/nn/builder.js';
import { Sequential } from '../../../src/nn/containers.js';
import { Conv2d } from '../../../src/nn/conv.js';
import { Flatten } from '../../../src/nn/flatten.js';
import { Linear } from '../../../src/nn/linear.js';
import { SumPool2d } from '../../../src/nn/pool.js';
import { IF } from '../../../src/neurons/if/index.js';
import { LIFNode } from '../../../src/neurons/lifnode/index.js';
import { tensor, uniform } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { mismatches, nirDir } from './common.js';

const DT = 1e-3;

/**
 * conv → IF → sumpool → flatten → linear → LIF (zero reset) → linear → Synaptic (same-step zero reset).
 * The IF fires at v > θ, NIR's rule, so the export is exact (its default, v ≥ θ, is recorded as an approximation).
 */
function network(): Sequential {
  const rng = new Rng(7);
  return new Sequential([
    new Conv2d(1, 3, 3, rng, { padding: 1 }),
    new IF([3, 6, 6], { threshold: 0.5, fireAtThreshold: false }),
    new SumPool2d(2),
    new Flatten(),
    new Linear(27, 8, rng),
    new LIF(8, { beta: 0.8, threshold: 0.4, reset: 'zero' }),
    new Linear(8, 3, rng, { bias: false }),
    new Synaptic(3, { alpha: 0.5, beta: [0.7, 0.8, 0.9], threshold: 0.3, reset: 'zero', resetDelay: false }),
  ]);
}

test('a spikeflow network exports, re-imports and gives identical spikes (module and executor)', async () => {
  const net = network();
  const rng = new Rng(3);
  const T = 20, B = 2;
  const x = uniform([T, B, 1, 6, 6], rng, 0, 1.5);
  const ref = noGrad(() => net.forward(x));
  assert.ok(ref.data.some((s) => s === 1), 'test input makes the output spike');
  const { graph, approximations } = moduleToNir(net, { dt: DT, inputShape: [1, 6, 6] });
  assert.deepEqual(approximations, []);
  const doc = await readNir(await writeNir(graph));
  assert.equal(doc.graph.metadata['dt']?.kind === 'array' && doc.graph.metadata['dt'].data[0], DT);
  const imp = nirToModule(doc.graph);
  assert.deepEqual(imp.layers.map((l) => l.type), ['conv2d', 'if', 'sumpool2d', 'flatten', 'linear', 'lif', 'linear', 'synaptic']);
  const again = noGrad(() => imp.model.forward(x));
  assert.deepEqual(mismatches(again.data, ref.data), []);
  const ex = runNir(doc.graph, { steps: T, batch: B, shape: [1, 6, 6], data: Float64Array.from(x.data) });
  assert.deepEqual(mismatches(ex.outputs.get('output')!.data, ref.data), []);
  // the layer configs rebuild the same network with the builder
  const built = buildModel(imp.layers, { inputShape: [1, 6, 6], steps: T, timeConstantInput: false, rng: new Rng(1) });
  for (const [n, p] of imp.model.namedParameters()) built.model.namedParameters().find(([m]) => m === n)![1].data.set(p.data);
  assert.deepEqual(mismatches(noGrad(() => built.model.forward(x)).data, ref.data), []);
});

test('reset by subtraction is refused unless approximateReset, which records it in metadata', async () => {
  const rng = new Rng(1);
  const net = new Sequential([new Linear(4, 3, rng), new LIF(3, { beta: 0.9 })]);
  assert.throws(() => moduleToNir(net, { dt: DT, inputShape: [4] }), (e: unknown) => e instanceof ConfigError && /subtraction/.test(e.message) && /approximate/i.test(e.message));
  const r = moduleToNir(net, { dt: DT, inputShape: [4] , approximateReset: true });
  assert.equal(r.approximations.length, 1);
  const back = await readNir(await writeNir(r.graph));
  const md = back.graph.metadata['approximations'];
  assert.ok(md && md.kind === 'string' && /subtraction/.test(md.value));
  const delayedSyn = new Sequential([new Linear(4, 3, rng), new Synaptic(3, { reset: 'zero' })]);
  assert.throws(() => moduleToNir(delayedSyn, { dt: DT, inputShape: [4] }), /reset_delay/);
});

test("SpikingJelly's firing rule (v ≥ θ, the IF/LIFNode/PLIF default) is written with an approximation note; imports fire at v > θ", async () => {
  const rng = new Rng(2);
  const net = new Sequential([new Linear(2, 2, rng), new IF(2, { threshold: 0.5 }), new Linear(2, 2, rng), new LIFNode(2, { tau: 2, threshold: 0.5 })]);
  const r = moduleToNir(net, { dt: DT, inputShape: [2] });
  assert.equal(r.approximations.length, 2);
  assert.ok(r.approximations.every((a) => /v >= v_threshold/.test(a)), r.approximations.join('; '));
  const back = await readNir(await writeNir(r.graph));
  const md = back.graph.metadata['approximations'];
  assert.ok(md && md.kind === 'string' && /fire_at_threshold/.test(md.value));
  const ifNode = [...back.graph.nodes.values()].find((n) => n.type === 'IF')!;
  assert.equal(ifNode.metadata['approximated_firing']?.kind, 'string');
  // The importer builds NIR's rule, so module and executor agree.
  const imp = nirToModule(back.graph);
  const ifLayer = imp.layers.find((l) => l.type === 'if')!;
  assert.equal(ifLayer['fire_at_threshold'], false);
  // An input that lands exactly on θ: the exported IF (v ≥ θ) spikes, the graph's rule (v > θ) does not.
  const exact = new Sequential([new IF(1, { threshold: 0.5 })]);
  const x = tensor([0.25, 0.25, 0.25, 0.25], [4, 1, 1]);
  assert.deepEqual(Array.from(noGrad(() => exact.forward(x)).data), [0, 1, 0, 1]);
  const g = moduleToNir(exact, { dt: DT, inputShape: [1] }).graph;
  const ex = runNir(g, { steps: 4, batch: 1, shape: [1], data: Float64Array.from(x.data) });
  assert.deepEqual(Array.from(ex.outputs.get('output')!.data), [0, 0, 1, 0]);
  assert.deepEqual(Array.from(noGrad(() => nirToModule(g).model.forward(x)).data), [0, 0, 1, 0]);
  // With fire_at_threshold false the export is exact.
  assert.deepEqual(moduleToNir(new Sequential([new IF(1, { threshold: 0.5, fireAtThreshold: false })]), { dt: DT, inputShape: [1] }).approximations, []);
});

test('featureAffine gradient (finite differences, ts64)', () => {
  withBackend(getBackendByName('ts64'), () => {
    const x = uniform([3, 2, 4], new Rng(5), -1, 1);
    x.requiresGrad = true;
    const g = Float64Array.of(0.5, -2, 1.5, 3), b = Float64Array.of(0.1, 0, -0.3, 2);
    const r = gradcheck(([t]) => featureAffine(t!, g, b), [x]);
    assert.ok(r.ok, JSON.stringify(r));
  });
});

test('CLI `nir import` writes a model.safetensors with its config; `nir export --weights --config` writes a .nir', { skip: nirDir() ? false : 'fixtures absent' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-nir-cli-'));
  const run = (args: string[]): Promise<unknown> => {
    const p = new Command().exitOverride();
    registerNirCommands(p);
    return p.parseAsync(args, { from: 'user' });
  };
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const st = join(dir, 'model.safetensors');
    await run(['nir', 'import', join(nirDir()!, 'iii_conv_if_sumpool_flatten_affine_lif.nir'), '--dt', '1e-4', '--out', st]);
    const f = loadSafetensors(st);
    assert.ok(f.tensors.has('0.weight'));
    assert.match(f.metadata['config']!, /type: nir/);

    // export: a small model on the embedded digits, written with saveModelWeights and a config
    const cfg = configSchema.parse({ model: { layers: [{ type: 'linear', out: 10 }, { type: 'lif', beta: 0.9, reset: 'zero' }] }, encoder: { type: 'rate', steps: 4 } });
    const cfgPath = join(dir, 'config.yaml');
    writeFileSync(cfgPath, YAML.stringify(cfg));
    const model = buildModel(cfg.model.layers, { inputShape: [1, 28, 28], steps: 4, timeConstantInput: false, rng: new Rng(2) }).model;
    const wPath = join(dir, 'w.safetensors');
    saveModelWeights(wPath, model, cfg);
    const out = join(dir, 'net.nir');
    await run(['nir', 'export', '--weights', wPath, '--config', cfgPath, '--out', out, '--dt', '1e-3']);
    const doc = await readNirFile(out);
    assert.deepEqual([...doc.graph.nodes.values()].map((n) => n.type).sort(), ['Affine', 'Flatten', 'Input', 'LIF', 'Output']);
    assert.equal(doc.graph.edges.length, 4);
    await assert.rejects(run(['nir', 'export', '--weights', wPath, '--config', cfgPath, '--out', out]), ConfigError);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
});


test('a quantized network exports its weights on the grid (q·step): the re-imported float network gives identical spikes', async () => {
  const net = network();
  for (const i of [0, 4, 6]) (net.layers[i] as Linear | Conv2d).setWeightQuantizer({ bits: 3, perChannel: true, learnStep: true });
  const x = uniform([12, 2, 1, 6, 6], new Rng(4), 0, 1.5);
  const ref = noGrad(() => net.forward(x));
  const { graph, approximations } = moduleToNir(net, { dt: DT, inputShape: [1, 6, 6] });
  assert.deepEqual(approximations, []);
  const imp = nirToModule((await readNir(await writeNir(graph))).graph);
  const w = imp.model.namedParameters().find(([n]) => n === '4.weight')![1].data;
  assert.deepEqual([...w], [...noGrad(() => (net.layers[4] as Linear).effectiveWeight()).data], 'the dequantized weights, not the latent float ones');
  assert.deepEqual(mismatches(noGrad(() => imp.model.forward(x)).data, ref.data), []);
});
