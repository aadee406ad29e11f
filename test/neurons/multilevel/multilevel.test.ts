import test from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { backward } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { ConfigError } from '../../../src/errors.js';
import { moduleToNir } from '../../../src/interop/nir/export.js';
import { createNeuron } from '../../../src/neurons/factory.js';
import { MultiLevel, type MultiLevelOptions } from '../../../src/neurons/multilevel/index.js';
import { configSchema } from '../../../src/config/schema.js';
import { buildModel } from '../../../src/nn/builder.js';
import { Sequential } from '../../../src/nn/containers.js';
import { Linear } from '../../../src/nn/linear.js';
import { mul, sum } from '../../../src/ops/elementwise.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { full, tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Adam } from '../../../src/train/optim/index.js';
import { assertClose } from '../../helpers.js';
import { float32Backends } from '../backends.js';

const ts64 = getBackendByName('ts64');

/** Independent float64 reference: LIF charge, count = clamp(round(h/θ), 0, D) with halves rounded down, soft or hard reset. */
function reference(x: number[], T: number, N: number, o: { levels: number; beta: number; threshold: number; count: boolean; hard: boolean }): { s: number[]; v: number[] } {
  const s: number[] = [], vOut: number[] = [];
  const v = new Array<number>(N).fill(0);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      const h = o.beta * v[n]! + x[t * N + n]!;
      const c = Math.min(o.levels, Math.max(0, Math.ceil(h / o.threshold - 0.5)));
      v[n] = o.hard ? (c > 0 ? 0 : h) : h - c * o.threshold;
      s.push(o.count ? c : c / o.levels);
      vOut.push(v[n]!);
    }
  return { s, v: vOut };
}

for (const [count, hard] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  test(`MultiLevel matches a float64 reference loop (${count ? 'count' : 'normalized'}, ${hard ? 'hard' : 'soft'} reset)`, () => {
    withBackend(ts64, () => {
      const T = 12, B = 3, F = 5, N = B * F, D = 4;
      const rng = new Rng(21);
      const xs = Array.from({ length: T * N }, () => rng.uniform(-0.5, 3));
      const layer = new MultiLevel(F, { levels: D, beta: 0.6, threshold: 0.7, output: count ? 'count' : 'normalized', reset: hard ? 'zero' : 'subtract' });
      layer.recordMembrane = true;
      const spikes = layer.forward(tensor(xs, [T, B, F]));
      const ref = reference(xs, T, N, { levels: D, beta: 0.6, threshold: 0.7, count, hard });
      assert.deepEqual(Array.from(spikes.data), ref.s);
      assertClose(layer.lastMembrane!.data, ref.v, 1e-12, 0, 'membrane');
      assert.equal(spikes.binary, false, 'graded spikes are not flagged binary');
      // every level occurs, including the clamp at D
      const levels = new Set(ref.s.map((v) => (count ? v : Math.round(v * D))));
      for (let c = 0; c <= D; c++) assert.ok(levels.has(c), `count ${c} occurs`);
    });
  });
}

test('MultiLevel counts: round(h/θ) (halves down), clamped at D; a constant drive keeps its residual with soft reset', () => {
  withBackend(ts64, () => {
    const count = (x: number, opts: MultiLevelOptions = {}): number => new MultiLevel(1, { output: 'count', ...opts }).forward(full([1, 1, 1], x)).data[0]!;
    assert.deepEqual([0, 0.49, 0.5, 0.51, 1.49, 1.5, 1.51, 3.7, 4.49, 4.51, 100].map((x) => count(x)), [0, 0, 0, 1, 1, 1, 2, 4, 4, 4, 4]);
    assert.equal(count(-3), 0);
    assert.equal(count(2.6, { threshold: 0.5 }), 4, 'h/θ = 5.2 clamps at D = 4');
    assert.equal(count(2.6, { threshold: 0.5, levels: 8 }), 5);
    // x = 10 every step, θ = 1, D = 4, β = 1: c = 4 and v grows by 6 each step (soft reset removes only c·θ).
    const n = new MultiLevel(1, { output: 'count', beta: 1 });
    n.recordMembrane = true;
    const s = n.forward(full([3, 1, 1], 10));
    assert.deepEqual(Array.from(s.data), [4, 4, 4]);
    assert.deepEqual(Array.from(n.lastMembrane!.data), [6, 12, 18]);
    // normalized output is c / D
    assert.equal(new MultiLevel(1, { levels: 4 }).forward(full([1, 1, 1], 2.2)).data[0], 0.5);
  });
});

test('MultiLevel with D = 1 is a binary neuron (fires at h > θ/2) and flags its spikes binary', () => {
  withBackend(ts64, () => {
    const n = new MultiLevel(3, { levels: 1 });
    const s = n.forward(tensor([0.4, 0.6, 2], [1, 1, 3]));
    assert.deepEqual(Array.from(s.data), [0, 1, 1]);
    assert.equal(s.binary, true);
  });
});

test('MultiLevel backward: straight-through 1/θ (normalized 1/(θ·D)) on 0 < h/θ < D, zero outside; θ gets −h/θ² of it', () => {
  withBackend(ts64, () => {
    const th = 0.5, D = 4;
    const xs = [-0.3, 0.1, 0.26, 1.2, 1.9, 2.1, 3];
    for (const output of ['count', 'normalized'] as const) {
      const layer = new MultiLevel(xs.length, { levels: D, threshold: th, output, learnThreshold: true });
      const x = tensor(xs, [1, 1, xs.length], { requiresGrad: true });
      backward(sum(layer.forward(x)));
      const scale = output === 'count' ? 1 : 1 / D;
      const inside = xs.map((v) => v / th > 0 && v / th < D && !Number.isInteger(v / th));
      assert.deepEqual(Array.from(x.grad!.data), inside.map((i) => (i ? scale / th : 0)), output);
      const dth = xs.reduce((a, v, i) => a + (inside[i] ? (-scale * v) / (th * th) : 0), 0);
      assertClose(layer.getParameter('threshold')!.grad!.data, [dth], 1e-12, 0, `${output}: dθ`);
    }
  });
});

test('MultiLevel gives bit-identical spikes, membranes and gradients on ts, wasm and native; a Linear after it sees graded inputs', (t) => {
  const { backends, skipped } = float32Backends();
  if (skipped) t.diagnostic(skipped);
  const T = 6, B = 4, F = 16;
  const rng = new Rng(5);
  // Sparse drive (about 1 in 10 inputs charges the neuron) so the Linear below would take its event-driven kernel if the spikes were flagged 0/1.
  const xs = Array.from({ length: T * B * F }, () => (rng.random() < 0.1 ? rng.uniform(0.2, 2.5) : rng.uniform(-2, 0)));
  const ws = Array.from({ length: T * B * F }, () => rng.uniform(-1, 1));
  const runs = backends.map(([name, be]) =>
    withBackend(be, () => {
      const layer = new MultiLevel(F, { levels: 4, threshold: [...Array(F).keys()].map((i) => 0.3 + 0.05 * i), learnBeta: true, detachReset: false });
      layer.recordMembrane = true;
      const x = tensor(xs, [T, B, F], { requiresGrad: true });
      const s = layer.forward(x);
      backward(sum(mul(s, tensor(ws, [T, B, F]))));
      // Downstream: sparse 0/1 spikes take the event-driven kernels (and are counted as ACs); graded counts must not.
      const lin = new Linear(F, 3, new Rng(9), { bias: false });
      const y = lin.forward(s.detach()).data;
      assert.equal(lin.lastStats.eventDriven, false, `${name}: graded spikes take the dense GEMM`);
      const binary = new MultiLevel(F, { levels: 1 }).forward(tensor(xs, [T, B, F]));
      lin.forward(binary);
      assert.equal(lin.lastStats.eventDriven, true, `${name}: D = 1 spikes are binary events`);
      return { name, s: Array.from(s.data), m: Array.from(layer.lastMembrane!.data), dx: Array.from(x.grad!.data), dBeta: Array.from(layer.getParameter('beta')!.grad!.data), y: Array.from(y), w: Array.from(lin.weight.data) };
    }),
  );
  const ref = runs[0]!;
  assert.ok(ref.s.some((v) => v > 0 && v < 1), 'graded spikes occur');
  for (const r of runs.slice(1)) {
    assert.deepEqual(r.s, ref.s, `${r.name} spikes`);
    assert.deepEqual(r.m, ref.m, `${r.name} membranes`);
    assert.deepEqual(r.dx, ref.dx, `${r.name} input gradient`);
    assertClose(r.dBeta, ref.dBeta, 1e-6, 1e-6, `${r.name} β gradient`);
    // The exact product with the graded spikes (not with 0/1 events), to float32 accumulation order.
    const yRef = Array.from({ length: T * B * 3 }, (_, i) => {
      const row = Math.floor(i / 3), o = i % 3;
      let a = 0;
      for (let f = 0; f < F; f++) a += ref.s[row * F + f]! * r.w[o * F + f]!;
      return a;
    });
    assertClose(r.y, yRef, 1e-5, 1e-5, `${r.name} Linear after MultiLevel`);
  }
});

test('a YAML config with type: multilevel (snake_case options) passes the config schema, builds through buildModel and trains one step', () => {
  withBackend(getBackendByName('ts'), () => {
    const cfg = configSchema.parse(
      YAML.parse(`
model:
  layers:
    - { type: linear, out: 12 }
    - { type: multilevel, levels: 4, output: count, learn_threshold: true, learn_beta: true, beta: 0.7, threshold: 0.5, reset: hard, detach_reset: false }
    - { type: linear, out: 3 }
    - { type: ilif, levels: 2, v_reset: 0, surrogate: { name: sigmoid, slope: 4 } }
encoder: { type: rate, steps: 5 }
`),
    );
    const { model } = buildModel(cfg.model.layers, { inputShape: [6], steps: 5, timeConstantInput: true, rng: new Rng(3) });
    const ml = model.layers.find((m) => m instanceof MultiLevel) as MultiLevel;
    assert.equal(ml.levels, 4);
    assert.equal(ml.describe()['reset'], 'zero');
    // describe() lists valid options: rebuilding from it gives the same layer settings.
    const { features, ...settings } = ml.describe();
    assert.deepEqual(createNeuron('multilevel', settings, features as number[], new Rng(1)).describe(), ml.describe());
    assert.deepEqual((model.layers[model.layers.length - 1] as MultiLevel).describe()['surrogate'], { name: 'sigmoid', slope: 4 });
    const before = Array.from(ml.getParameter('threshold')!.data);
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const x = tensor(Array.from({ length: 8 * 6 }, (_, i) => ((i * 7) % 11) / 5), [1, 8, 6]);
    const loss = ceRateLoss(model.forward(x), Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]));
    assert.ok(Number.isFinite(loss.item()));
    opt.zeroGrad();
    backward(loss);
    opt.step();
    assert.notDeepEqual(Array.from(ml.getParameter('threshold')!.data), before, 'θ trained');
    assert.throws(() => buildModel([{ type: 'multilevel', level: 3 }], { inputShape: [4], steps: 2, timeConstantInput: false, rng: new Rng(1) }), (e: unknown) => e instanceof ConfigError && /'level'/.test(e.message) && /levels/.test(e.message));
    assert.throws(() => createNeuron('multilevel', { levels: 2.5 }, 3, new Rng(1)), (e: unknown) => e instanceof ConfigError && /'levels'/.test(e.message));
    assert.throws(() => createNeuron('multilevel', { output: 'spikes' }, 3, new Rng(1)), (e: unknown) => e instanceof ConfigError && /'output'/.test(e.message));
  });
});

test('NIR export refuses a MultiLevel layer with an error naming it', () => {
  const net = new Sequential([new Linear(4, 3, new Rng(1)), new MultiLevel(3)]);
  assert.throws(() => moduleToNir(net, { dt: 1e-3, inputShape: [4] }), (e: unknown) => e instanceof ConfigError && /layer 1 \(MultiLevel\)/.test(e.message) && /no NIR node/.test(e.message));
});
