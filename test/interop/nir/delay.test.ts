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

test('export: one branch per distinct delay, delay descending, seconds = steps·dt, the bias on a delay-0 Affine', () => {
  const rng = new Rng(4);
  // No synapse has delay 0: the bias gets an all-zero-weight delay-0 branch.
  const layer = new DelayedLinear(3, 2, rng, { maxDelay: 4, mode: 'fixed', delays: [1, 3, 1, 3, 3, 1], bias: true });
  const { graph } = moduleToNir(new Sequential([layer]), { dt: 2e-4, inputShape: [3] });
  assert.deepEqual([...graph.nodes.keys()], ['input', 'delayedlinear_0_d3', 'delayedlinear_0_d3_delay', 'delayedlinear_0_d1', 'delayedlinear_0_d1_delay', 'delayedlinear_0_d0', 'delayedlinear_0_d0_delay', 'output']);
  assert.deepEqual(nodeTypes(graph), ['Input', 'Linear', 'Delay', 'Linear', 'Delay', 'Affine', 'Delay', 'Output']);
  const data = (n: string, f: string): number[] => {
    const v = (graph.nodes.get(n) as NirPrimitive).fields[f]!;
    assert.equal(v.kind, 'array');
    return v.kind === 'array' ? Array.from(v.data) : [];
  };
  assert.deepEqual(data('delayedlinear_0_d3_delay', 'delay'), [Math.fround(3 * 2e-4), Math.fround(3 * 2e-4)]);
  assert.deepEqual(data('delayedlinear_0_d0_delay', 'delay'), [0, 0]);
  const w = Array.from(layer.weight.data, (v) => Math.fround(v));
  assert.deepEqual(data('delayedlinear_0_d3', 'weight'), [0, w[1], 0, w[3], w[4], 0]);
  assert.deepEqual(data('delayedlinear_0_d1', 'weight'), [w[0], 0, w[2], 0, 0, w[5]]);
  assert.deepEqual(data('delayedlinear_0_d0', 'weight'), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(data('delayedlinear_0_d0', 'bias'), Array.from(layer.bias!.data, (v) => Math.fround(v)));
  assert.deepEqual(graph.edges.filter(([, b]) => b === 'output').map(([a]) => a), ['delayedlinear_0_d3_delay', 'delayedlinear_0_d1_delay', 'delayedlinear_0_d0_delay']);
  // splitByDelay: zero weights make no branch; a layer without weights or bias still feeds the next node
  assert.deepEqual(splitByDelay([0, 0], [2, 1], 1, 2, null).map((b) => b.steps), [0]);
  assert.deepEqual(splitByDelay([1, 0, 2], [2, 1, 2], 1, 3, null).map((b) => [b.steps, Array.from(b.weight)]), [[2, [1, 0, 2]]]);
});

test('export: learned positions are written as the rounded delays eval mode runs; a layer evaluating unrounded needs roundDelays', async () => {
  const rng = new Rng(8);
  const layer = new DelayedLinear(5, 4, rng, { maxDelay: 6 });
  const net = new Sequential([layer, new LIF(4, { beta: 0.8, threshold: 0.3, reset: 'zero' })]);
  toFloat32(net);
  const r = moduleToNir(net, { dt: DT, inputShape: [5] });
  assert.deepEqual(r.approximations, []);
  assert.equal(layer.rounded, false, 'the model is not changed');
  const T = 25, B = 2;
  const xs = spikeInput(new Rng(2), T, B, 5, 0.4);
  const ref = noGrad(() => net.eval().forward(tensor(xs, [T, B, 5])));
  assert.ok(ref.data.some((v) => v === 1));
  const out = runNir((await readNir(await writeNir(r.graph))).graph, { steps: T, batch: B, shape: [5], data: xs });
  assert.deepEqual(mismatches(out.outputs.get('output')!.data, ref.data), []);
  // a layer that evaluates unrounded (roundAtEval false) exports rounded only as a recorded approximation
  const soft = new DelayedLinear(5, 4, rng, { maxDelay: 6, roundAtEval: false });
  assert.throws(
    () => moduleToNir(new Sequential([soft]), { dt: DT, inputShape: [5] }),
    (e: unknown) => e instanceof ConfigError && /layer 0 \(DelayedLinear\)/.test(e.message) && /round\(\)/.test(e.message) && /--round-delays/.test(e.message),
  );
  const a = moduleToNir(new Sequential([soft]), { dt: DT, inputShape: [5], roundDelays: true });
  assert.equal(a.approximations.length, 1);
  assert.match(a.graph.metadata['approximations']?.kind === 'string' ? a.graph.metadata['approximations'].value : '', /roundAtEval/);
  // tail steps: exact, but the runner must pad; metadata says how many
  const tailed = new DelayedLinear(5, 4, rng, { maxDelay: 2, mode: 'fixed', tail: 1 });
  const t = moduleToNir(new Sequential([tailed]), { dt: DT, inputShape: [5] });
  assert.equal(t.notes.length, 1);
  assert.deepEqual(t.graph.metadata['delay_tail_steps'], { kind: 'array', dtype: 'int64', shape: [], data: Float64Array.of(1) });
});

/** input [F] → (branches) → lif → output, built by hand. */
function handGraph(F: number, I: number, branches: { w?: number[]; bias?: number[]; delay: number[] }[]): NirGraph {
  const g = emptyGraph({ dt: { kind: 'array', dtype: 'float64', shape: [], data: Float64Array.of(DT) } });
  g.nodes.set('input', { type: 'Input', fields: { shape: nirInts([I]) }, metadata: {} });
  branches.forEach((b, k) => {
    let src = 'input';
    if (b.w) {
      const node: NirPrimitive = b.bias ? { type: 'Affine', fields: { weight: nirArray(b.w, [F, I]), bias: nirArray(b.bias, [F]) }, metadata: {} } : { type: 'Linear', fields: { weight: nirArray(b.w, [F, I]) }, metadata: {} };
      g.nodes.set(`w${k}`, node);
      g.edges.push(['input', `w${k}`]);
      src = `w${k}`;
    }
    g.nodes.set(`d${k}`, { type: 'Delay', fields: { delay: nirArray(b.delay, [F]) }, metadata: {} });
    g.edges.push([src, `d${k}`], [`d${k}`, 'lif']);
  });
  const p = (v: number): NirPrimitive['fields'][string] => nirArray(new Array<number>(F).fill(v), [F]);
  g.nodes.set('lif', { type: 'LIF', fields: { tau: p(5 * DT), r: p(5), v_leak: p(0), v_threshold: p(0.5), v_reset: p(0) }, metadata: {} });
  g.nodes.set('output', { type: 'Output', fields: { shape: nirInts([F]) }, metadata: {} });
  g.edges.push(['lif', 'output']);
  return g;
}

test('import: a bare Delay becomes a DelayedLinear with identity weights (per-element delays); module and executor agree', async () => {
  const g = handGraph(3, 3, [{ delay: [0, 2 * DT, 5 * DT] }]);
  const doc = await readNir(await writeNir(g));
  const imp = nirToModule(doc.graph);
  assert.deepEqual(imp.layers.map((l) => l.type), ['delay_linear', 'lif']);
  const d = imp.model.children()[0]![1] as DelayedLinear;
  assert.deepEqual(Array.from(d.weight.data), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(d.delays()).filter((_, s) => s % 4 === 0), [0, 2, 5]);
  const T = 12, B = 2;
  const xs = spikeInput(new Rng(5), T, B, 3, 0.5);
  const ref = runNir(doc.graph, { steps: T, batch: B, shape: [3], data: xs }).outputs.get('output')!.data;
  assert.ok(ref.some((v) => v === 1));
  const got = noGrad(() => imp.model.eval().forward(tensor(xs, [T, B, 3])));
  assert.deepEqual(mismatches(got.data, ref), []);
});

test('import: per-element delays on a Linear branch, and the refusals (shared synapse, delayed bias, fractional delay)', async () => {
  // two branches, per-output delays; synapse (o, i) takes the delay of its output in its branch
  const ok = handGraph(2, 2, [
    { w: [1, 0, 0, 2], bias: [0.1, 0.2], delay: [0, 0] },
    { w: [0, 3, 4, 0], delay: [DT, 3 * DT] },
  ]);
  const imp = nirToModule(ok);
  const d = imp.model.children()[0]![1] as DelayedLinear;
  assert.deepEqual(Array.from(d.delays()), [0, 1, 3, 0]);
  assert.deepEqual(Array.from(d.weight.data), [1, 3, 4, 2]);
  assert.deepEqual(Array.from(d.bias!.data), [Math.fround(0.1), Math.fround(0.2)]);
  const T = 10, B = 1;
  const xs = spikeInput(new Rng(6), T, B, 2, 0.5);
  assert.deepEqual(mismatches(noGrad(() => imp.model.eval().forward(tensor(xs, [T, B, 2]))).data, runNir(ok, { steps: T, batch: B, shape: [2], data: xs }).outputs.get('output')!.data), []);

  const shared = handGraph(2, 2, [{ w: [1, 0, 0, 2], delay: [0, 0] }, { w: [5, 3, 4, 0], delay: [DT, DT] }]);
  assert.throws(() => nirToModule(shared), (e: unknown) => e instanceof ConfigError && /synapse \(out 0, in 0\) has weights in 'w0' and 'w1'/.test(e.message));
  const delayedBias = handGraph(2, 2, [{ w: [1, 0, 0, 2], bias: [0.5, 0], delay: [2 * DT, 0] }]);
  assert.throws(() => nirToModule(delayedBias), (e: unknown) => e instanceof ConfigError && /node 'w0' \(Affine\): bias 0\.5 at output 0 passes a Delay of 2 steps/.test(e.message));
  const fractional = handGraph(2, 2, [{ w: [1, 0, 0, 2], delay: [1.5 * DT, 0] }]);
  assert.throws(() => nirToModule(fractional), (e: unknown) => e instanceof ConfigError && /node 'd0' \(Delay\): field 'delay'.*not a whole number of steps/.test(e.message));
  // negative delays are malformed files
  const neg = handGraph(2, 2, [{ w: [1, 0, 0, 2], delay: [-DT, 0] }]);
  await assert.rejects(writeNir(neg), (e: unknown) => e instanceof FormatError && /node 'd0' \(Delay\): field 'delay' holds -0\.001/.test(e.message));
});
