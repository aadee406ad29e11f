import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backward } from '../../../src/autograd/tape.js';
import type { Backend } from '../../../src/backend/backend.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { configSchema } from '../../../src/config/schema.js';
import { buildModel } from '../../../src/nn/builder.js';
import { NeuronModule } from '../../../src/neurons/base.js';
import { createNeuron } from '../../../src/neurons/factory.js';
import type { ScanNeuron, StateDict } from '../../../src/neurons/scan-neuron.js';
import { add, mul, sum } from '../../../src/ops/elementwise.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertClose, repoRoot } from '../../helpers.js';
import { float32Backends } from '../backends.js';

/*
 * SpikingJelly's heaviside is x ≥ 0, so its IF / LIF / ParametricLIF nodes fire
 * when the charged membrane reaches the threshold; snnTorch's is x > 0. The
 * SpikingJelly-style models (IF, LIFNode, PLIF) follow SpikingJelly by default
 * (fireAtThreshold), the snnTorch-style ones snnTorch. Integer-valued inputs
 * (spike counts, as in spiking transformers' attention neurons) make h = θ
 * common, so the rule decides many spikes. Every run here goes through the
 * fused scan, the step rule (the oracle) and T one-step calls, on every
 * backend (ts64, ts, wasm, native when built).
 */

const { backends: f32 } = float32Backends();
const BACKENDS: [string, Backend][] = [['ts64', getBackendByName('ts64')], ...f32];

type Layer = ScanNeuron<StateDict>;

/** Spikes and membranes of one [T, 1, 1] sequence, fused, through the step rule and streamed one step at a time (all must agree). */
function run(type: string, options: Record<string, unknown>, xs: number[], be: Backend): { spikes: number[]; membrane: number[] } {
  return withBackend(be, () => {
    const outputs = (['fused', 'rule', 'streamed'] as const).map((how) => {
      const layer = createNeuron(type, options, 1, new Rng(0)) as unknown as Layer;
      layer.useStepRule = how === 'rule';
      layer.recordMembrane = true;
      if (how !== 'streamed') {
        const s = layer.forward(tensor(xs, [xs.length, 1, 1]));
        return { spikes: s.toArray(), membrane: layer.lastMembrane!.toArray() };
      }
      const spikes: number[] = [], membrane: number[] = [];
      for (const x of xs) {
        spikes.push(...layer.step(tensor([x], [1, 1])).toArray());
        membrane.push(...layer.lastMembrane!.toArray());
      }
      return { spikes, membrane };
    });
    assert.deepEqual(outputs[1], outputs[0], `${type} ${be.name}: step rule == fused scan`);
    assert.deepEqual(outputs[2], outputs[0], `${type} ${be.name}: streamed == fused`);
    return outputs[0]!;
  });
}

/*
 * Expected values written out from SpikingJelly's equations (docs/equations.md §1):
 * charge h, fire s = H(h − θ) with H(0) = 1 (or 0 with fire_at_threshold: false),
 * then the reset; the recorded membrane is v after the reset.
 */
const HAND: { label: string; type: string; options: Record<string, unknown>; x: number[]; spikes: number[]; v: number[]; strictSpikes: number[]; strictV: number[] }[] = [
  {
    // h = 0.5, 1.0 (= θ: spike, v = 0), 0.5, 1.0 (spike). Strict: 0.5, 1.0, 1.5 (spike, v = 0), 0.5.
    label: 'IF θ = 1, input 0.5 each step, hard reset',
    type: 'if', options: { threshold: 1 }, x: [0.5, 0.5, 0.5, 0.5],
    spikes: [0, 1, 0, 1], v: [0.5, 0, 0.5, 0],
    strictSpikes: [0, 0, 1, 0], strictV: [0.5, 1, 0, 0.5],
  },
  {
    // h = 1, 1 − 1 = 0 after each soft reset. Strict: h = 1, 2 (spike, v = 1), 2 (spike, v = 1).
    label: 'IF θ = 1, soft reset, input 1 each step',
    type: 'if', options: { threshold: 1, reset: 'soft' }, x: [1, 1, 1],
    spikes: [1, 1, 1], v: [0, 0, 0],
    strictSpikes: [0, 1, 1], strictV: [1, 1, 1],
  },
  {
    // The spiking transformers' attention LIF: τ = 2, θ = 0.5, h = v + (x − v)/2 = 0.5 from v = 0 with x = 1: a spike every step.
    // Strict: h = 0.5 (v stays 0.5), 0.75 (spike, v = 0), 0.5, 0.75 (spike).
    label: 'LIFNode τ = 2, θ = 0.5, input 1 each step',
    type: 'lifnode', options: { tau: 2, threshold: 0.5 }, x: [1, 1, 1, 1],
    spikes: [1, 1, 1, 1], v: [0, 0, 0, 0],
    strictSpikes: [0, 1, 0, 1], strictV: [0.5, 0, 0.5, 0],
  },
  {
    // decay_input false: h = v − v/2 + x; x = 0.5 reaches θ = 0.5 from rest.
    label: 'LIFNode τ = 2, decay_input false, θ = 0.5, input 0.5, 0.25, 0.5',
    type: 'lifnode', options: { tau: 2, threshold: 0.5, decayInput: false }, x: [0.5, 0.25, 0.5],
    // h = 0.5 (spike, v = 0), 0.25, 0.125 + 0.5 = 0.625 (spike). Strict: 0.5 (v 0.5), 0.25 + 0.25 = 0.5 (v 0.5), 0.25 + 0.5 = 0.75 (spike).
    spikes: [1, 0, 1], v: [0, 0.25, 0],
    strictSpikes: [0, 0, 1], strictV: [0.5, 0.5, 0],
  },
  {
    // PLIF with init_tau 2: 1/τ = sigmoid(0) = 1/2 exactly, so the LIFNode case above.
    label: 'PLIF init_tau 2, θ = 0.5, input 1 each step',
    type: 'plif', options: { initTau: 2, threshold: 0.5 }, x: [1, 1, 1, 1],
    spikes: [1, 1, 1, 1], v: [0, 0, 0, 0],
    strictSpikes: [0, 1, 0, 1], strictV: [0.5, 0, 0.5, 0],
  },
  {
    // v_reset = −0.5 (the start and the hard reset) with θ = 0.5: IF h = −0.5 + 0.5 + 0.5 = 0.5 at the second step.
    label: 'IF θ = 0.5, v_reset −0.5, input 0.5 each step',
    type: 'if', options: { threshold: 0.5, vReset: -0.5 }, x: [0.5, 0.5, 0.5, 0.5],
    spikes: [0, 1, 0, 1], v: [0, -0.5, 0, -0.5],
    strictSpikes: [0, 0, 1, 0], strictV: [0, 0.5, -0.5, 0],
  },
];

for (const c of HAND) {
  test(`SpikingJelly's rule by hand: ${c.label}: spikes at h = θ by default, not with fire_at_threshold false`, () => {
    for (const [name, be] of BACKENDS) {
      const sj = run(c.type, c.options, c.x, be);
      assert.deepEqual(sj.spikes, c.spikes, `${name}: spikes`);
      assert.deepEqual(sj.membrane, c.v, `${name}: v`);
      const strict = run(c.type, { ...c.options, fireAtThreshold: false }, c.x, be);
      assert.deepEqual(strict.spikes, c.strictSpikes, `${name}: strict spikes`);
      assert.deepEqual(strict.membrane, c.strictV, `${name}: strict v`);
    }
  });
}

test("snnTorch-style models keep snnTorch's h > θ; fire_at_threshold true opts in to H(0) = 1", () => {
  // snnTorch Leaky, β = 0.5, θ = 1, delayed subtract reset: mem[t] = β·mem[t−1] + x[t] − R[t]·θ, R[t] = H(mem[t−1] − θ).
  const x = [1, 0.5, 0.5, 0.5];
  for (const [name, be] of BACKENDS) {
    const strict = run('lif', { beta: 0.5 }, x, be);
    // mem = 1, 0.5·1 + 0.5 = 1, 1, 1: exactly θ every step, no spike.
    assert.deepEqual(strict.spikes, [0, 0, 0, 0], `${name}: Leaky default`);
    assert.deepEqual(strict.membrane, [1, 1, 1, 1], `${name}: Leaky default mem`);
    const at = run('lif', { beta: 0.5, fireAtThreshold: true }, x, be);
    // mem = 1 (spike); R = H(1 − 1) = 1: 0.5 + 0.5 − 1 = 0; 0 + 0.5 = 0.5; 0.25 + 0.5 = 0.75.
    assert.deepEqual(at.spikes, [1, 0, 0, 0], `${name}: Leaky fireAtThreshold`);
    assert.deepEqual(at.membrane, [1, 0, 0.5, 0.75], `${name}: Leaky fireAtThreshold mem`);
    for (const type of ['synaptic', 'rleaky']) {
      // Synaptic with α = 0 and RLeaky with V = 0 reduce to Leaky.
      const extra = type === 'synaptic' ? { alpha: 0 } : { allToAll: false, V: 0 };
      assert.deepEqual(run(type, { beta: 0.5, ...extra }, x, be).spikes, [0, 0, 0, 0], `${name}: ${type} default`);
      assert.deepEqual(run(type, { beta: 0.5, fireAtThreshold: true, ...extra }, x, be).spikes, [1, 0, 0, 0], `${name}: ${type} fireAtThreshold`);
    }
  }
});

test('fire_at_threshold: defaults per family, describe(), and the config key', () => {
  const rng = new Rng(1);
  for (const type of ['if', 'lifnode', 'plif']) assert.equal(createNeuron(type, {}, 2, rng).describe()['fireAtThreshold'], true, type);
  for (const type of ['lif', 'synaptic', 'rleaky']) assert.equal(createNeuron(type, {}, 2, rng).describe()['fireAtThreshold'], false, type);
  const cfg = configSchema.parse({ model: { layers: [{ type: 'linear', out: 2 }, { type: 'if', fire_at_threshold: false }, { type: 'linear', out: 2 }, { type: 'lif', fire_at_threshold: true }] } });
  const m = buildModel(cfg.model.layers, { inputShape: [3], steps: 2, timeConstantInput: false, rng });
  const neurons = m.model.children().map(([, c]) => c).filter((c): c is NeuronModule => c instanceof NeuronModule);
  assert.deepEqual(neurons.map((n) => n.describe()['fireAtThreshold']), [false, true]);
  assert.equal(configSchema.safeParse({ model: { layers: [{ type: 'lifnode', fire_at_threshold: 'yes' }] } }).success, false, 'a non-boolean is refused');
});

/* The fixture: SpikingJelly's equations in PyTorch (test/fixtures/make_spikingjelly_ties.py) on tie-heavy inputs. */

interface TieCase {
  name: string;
  model: 'if' | 'lifnode' | 'plif';
  params: { threshold: number; v_reset: number; reset: 'zero' | 'subtract'; detach_reset: boolean; tau?: number; decay_input?: boolean; init_tau?: number };
  dtype: 'float32' | 'float64';
  ties: number;
  input: number[][][];
  g_s: number[][][];
  g_v: number[][][];
  spikes: number[][][];
  v: number[][][];
  dx: number[][][];
  dw?: number;
}

const fixture = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'spikingjelly-ties', 'ties.json'), 'utf8')) as { cases: TieCase[] };
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

function options(c: TieCase): Record<string, unknown> {
  const p = c.params;
  const o: Record<string, unknown> = { threshold: p.threshold, vReset: p.v_reset, reset: p.reset, detachReset: p.detach_reset };
  if (c.model === 'lifnode') Object.assign(o, { tau: p.tau, decayInput: p.decay_input });
  if (c.model === 'plif') Object.assign(o, { initTau: p.init_tau, decayInput: p.decay_input });
  return o;
}

/** The case's forward and the gradients of sum(s·g_s) + sum(v·g_v) on one backend. */
function runCase(c: TieCase, be: Backend, extra: Record<string, unknown>, viaRule: boolean): { spikes: number[]; v: number[]; dx: number[]; dw: number | null } {
  return withBackend(be, () => {
    const [T, B, F] = [c.input.length, c.input[0]!.length, c.input[0]![0]!.length];
    const layer = createNeuron(c.model, { ...options(c), ...extra }, F, new Rng(0)) as unknown as Layer;
    layer.useStepRule = viaRule;
    layer.recordMembrane = true;
    const x = tensor(flat(c.input), [T, B, F], { requiresGrad: true });
    const s = layer.forward(x);
    const v = layer.lastMembrane!;
    backward(add(sum(mul(s, tensor(flat(c.g_s), [T, B, F]))), sum(mul(v, tensor(flat(c.g_v), [T, B, F])))));
    const w = layer.parameters()[0];
    return { spikes: s.toArray(), v: v.toArray(), dx: x.grad!.toArray(), dw: w?.grad ? w.grad.toArray()[0]! : null };
  });
}

test('the SpikingJelly fixture has ties in every case (so it tests the firing rule)', () => {
  assert.equal(fixture.cases.length, 44);
  for (const c of fixture.cases) assert.ok(c.ties > 0, `${c.name} ${c.dtype}: ${c.ties} ties`);
});

for (const c of fixture.cases) {
  test(`SpikingJelly fixture ${c.name} (${c.dtype}): spikes and membranes exact, gradients close, on every ${c.dtype} backend`, () => {
    const list = c.dtype === 'float64' ? BACKENDS.filter(([n]) => n === 'ts64') : BACKENDS.filter(([n]) => n !== 'ts64');
    const tol = c.dtype === 'float64' ? 1e-12 : 2e-6;
    for (const [name, be] of list) {
      for (const viaRule of [false, true]) {
        const what = `${name}${viaRule ? ' step rule' : ''}`;
        const r = runCase(c, be, {}, viaRule);
        assert.deepEqual(r.spikes, flat(c.spikes), `${what}: spikes`);
        // Every charge is exact (quarters, 1/τ = ½), so the membranes are too (float32 values are
        // written as their shortest decimal, which reads back as the same float32).
        assert.deepEqual(r.v, flat(c.v).map(c.dtype === 'float32' ? Math.fround : (a: number) => a), `${what}: v`);
        assertClose(r.dx, flat(c.dx), tol, tol, `${what}: dx`);
        if (c.dw !== undefined) assertClose([r.dw!], [c.dw], tol * 10, tol, `${what}: dw`);
      }
      // The other rule disagrees at the first tie (same history up to there), so the fixture does test it.
      assert.notDeepEqual(runCase(c, be, { fireAtThreshold: false }, false).spikes, flat(c.spikes), `${name}: h > θ differs`);
    }
  });
}
