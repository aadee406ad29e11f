// Synaptic delays through NIR: DelayedLinear → Linear/Affine → Delay branches → executor and importer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../../src/autograd/tape.js';
import { withBackend } from '../../../src/backend/registry.js';
import { ConfigError, FormatError } from '../../../src/errors.js';
import { splitByDelay } from '../../../src/interop/nir/delay.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { moduleToNir } from '../../../src/interop/nir/export.js';
import { nirToModule } from '../../../src/interop/nir/import.js';
import { readNir } from '../../../src/interop/nir/read.js';
import { writeNir } from '../../../src/interop/nir/write.js';
import { emptyGraph, isGraph, nirArray, nirInts, type NirGraph, type NirPrimitive } from '../../../src/interop/nir/types.js';
import type { Module } from '../../../src/module/module.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Sequential } from '../../../src/nn/containers.js';
import { DelayedLinear } from '../../../src/nn/delay.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { mismatches } from './common.js';

const DT = 1e-3;

function spikeInput(rng: Rng, T: number, B: number, F: number, density: number): Float64Array {
  return Float64Array.from({ length: T * B * F }, () => (rng.random() < density ? 1 : 0));
}

/** Parameters rounded to float32, so the float32 file holds them exactly (on a float64 backend too). */
function toFloat32(m: Module): void {
  for (const [, p] of m.namedParameters()) for (let j = 0; j < p.data.length; j++) p.data[j] = Math.fround(p.data[j]!);
}

/** DelayedLinear (learned, rounded, bias) → LIF → DelayedLinear (fixed) → LIF. */
function delayNetwork(seed: number, I: number, H: number, O: number): { net: Sequential; d1: DelayedLinear; d2: DelayedLinear } {
  const rng = new Rng(seed);
  const d1 = new DelayedLinear(I, H, rng, { maxDelay: 6, bias: true });
  d1.round();
  const d2 = new DelayedLinear(H, O, rng, { maxDelay: 4, mode: 'fixed' });
  const net = new Sequential([d1, new LIF(H, { beta: 0.85, threshold: 0.6, reset: 'zero' }), d2, new LIF(O, { beta: 0.9, threshold: 0.5, reset: 'zero' })]);
  toFloat32(net);
  return { net, d1, d2 };
}

const nodeTypes = (g: NirGraph): string[] => [...g.nodes.values()].map((n) => n.type);

for (const backend of ['ts64', 'ts'] as const) {
  test(`random 2-layer delay networks (${backend}): export → writeNir → read → executor and → import, spikes identical`, async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      await withBackend(backend, async () => {
        const I = 7, H = 9, O = 4, T = 30, B = 3;
        const { net, d1, d2 } = delayNetwork(seed, I, H, O);
        net.eval();
        const rng = new Rng(100 + seed);
        const xs = spikeInput(rng, T, B, I, 0.3);
        const x = tensor(xs, [T, B, I]);
        const ref = noGrad(() => net.forward(x));
        const hidden = noGrad(() => {
          net.resetState();
          return (net.children()[1]![1] as LIF).forward(d1.forward(x));
        });
        net.resetState();
        assert.ok(ref.data.some((v) => v === 1) && hidden.data.some((v) => v === 1), `seed ${seed}: the network spikes`);
        assert.ok(new Set(d1.delays()).size > 2 && new Set(d2.delays()).size > 2, 'several distinct delays per layer');

        const { graph, approximations } = moduleToNir(net, { dt: DT, inputShape: [I] });
        assert.deepEqual(approximations, []);
        const doc = await readNir(await writeNir(graph), { source: `seed ${seed}` });
        // the executor: output and the hidden LIF's spikes
        const r = runNir(doc.graph, { steps: T, batch: B, shape: [I], data: xs }, { recordAll: true });
        assert.deepEqual(mismatches(r.outputs.get('output')!.data, ref.data), [], `seed ${seed}: executor output`);
        assert.deepEqual(mismatches(r.nodes.get('lif_1')!.data, hidden.data), [], `seed ${seed}: executor hidden layer`);
        // the importer: one DelayedLinear per bundle, the same delays and weights, the same spikes
        const imp = nirToModule(doc.graph);
        assert.deepEqual(imp.layers.map((l) => l.type), ['delay_linear', 'lif', 'delay_linear', 'lif']);
        const mods = imp.model.children().map(([, m]) => m);
        for (const [k, orig] of [[0, d1], [2, d2]] as const) {
          const back = mods[k] as DelayedLinear;
          assert.ok(back instanceof DelayedLinear && back.mode === 'fixed');
          assert.deepEqual(Array.from(back.weight.data), Array.from(orig.weight.data), `layer ${k} weights`);
          assert.deepEqual(Array.from(back.delays()), Array.from(orig.delays()), `layer ${k} delays`);
          assert.deepEqual(back.bias ? Array.from(back.bias.data) : null, orig.bias ? Array.from(orig.bias.data) : null, `layer ${k} bias`);
        }
        const again = noGrad(() => imp.model.eval().forward(x));
        assert.deepEqual(mismatches(again.data, ref.data), [], `seed ${seed}: imported model`);
      });
    }
  });
}

/** Σ of the branches' separately rounded sums, the way a node would add its inputs without fusion. */
function naiveBranchSum(g: NirGraph, xs: Float64Array, I: number, t: number, o: number): number {
  let total = 0;
  for (const [a, b] of g.edges) {
    const n = g.nodes.get(a)!;
    if (b !== 'output' || isGraph(n) || n.type !== 'Delay') continue;
    const lin = g.nodes.get(g.edges.find(([, to]) => to === a)![0]) as NirPrimitive;
    const d = Math.round((n.fields['delay'] as { data: Float64Array }).data[o]! / DT);
    if (t < d) continue;
    const W = (lin.fields['weight'] as { data: Float64Array }).data;
    let s = 0;
    for (let i = 0; i < I; i++) s += W[o * I + i]! * xs[(t - d) * I + i]!;
    total += s;
  }
  return total;
}

test("the executor sums a node's delay branches in the layer's order: its input is the layer's output bit for bit", async () => {
  await withBackend('ts64', async () => {
    // The layer's accumulator takes delay 2 first, then delay 0: 1 + 2^53 rounds to 2^53, minus 2^53 is 0.
    // Adding the branches' own sums instead gives 1 + (2^53 − 2^53) = 1 from step 2 on.
    const I = 4, O = 1, T = 5;
    const layer = new DelayedLinear(I, O, new Rng(1), { maxDelay: 2, mode: 'fixed', delays: [2, 0, 0, 0] });
    layer.weight.data.set([1, 2 ** 53, 0, -(2 ** 53)]);
    const net = new Sequential([layer]).eval();
    const xs = new Float64Array(T * I).fill(1);
    const ref = noGrad(() => net.forward(tensor(xs, [T, 1, I])));
    assert.deepEqual(Array.from(ref.data), [0, 0, 0, 0, 0]);
    const { graph } = moduleToNir(net, { dt: DT, inputShape: [I] });
    assert.deepEqual(nodeTypes(graph), ['Input', 'Linear', 'Delay', 'Linear', 'Delay', 'Output']);
    const out = runNir(graph, { steps: T, batch: 1, shape: [I], data: xs }).outputs.get('output')!.data;
    assert.deepEqual(Array.from(out), Array.from(ref.data));
    // The check can fail: branch by branch (edge order), the same graph sums to 1 from step 2.
    const naive = Array.from({ length: T }, (_, t) => naiveBranchSum(graph, xs, I, t, 0));
    assert.deepEqual(naive, [0, 0, 1, 1, 1]);
  });
});
