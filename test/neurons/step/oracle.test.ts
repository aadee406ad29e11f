import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { add, mul, sum } from '../../../src/ops/elementwise.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers.js';
import { neuronRegistry } from '../../../src/neurons/registry.js';
import { build, F, ZOO, type ZooEntry } from '../zoo.js';

/*
 * Every model's step rule (src/neurons/<model>/rule.ts), run through the
 * generic scan, against the layer's own scan (its fused kernels): two chained
 * calls, so the state handed from one call to the next is covered too.
 * Spikes and membranes must agree bit for bit; gradients of the input, the
 * initial state path and every parameter to rounding (the fused backwards
 * carry in float64 too, but sum in another order). The models with a firing
 * rule option (fireAtThreshold) run again under both rules with inputs in
 * eighths and decays of ½ (tieOptions), where the membrane lands exactly on θ.
 */

const T = 6, B = 3;

function input(e: ZooEntry, seed: number, ties = false): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: T * B * F }, () => {
    const v = e.inputOffset + e.inputScale * rng.uniform(-1, 1);
    return ties ? Math.round(v * 8) / 8 : v;
  });
}

interface Run {
  spikes: number[];
  membranes: number[];
  grads: number[][];
}

function run(e: ZooEntry, viaRule: boolean, extra: Record<string, unknown>, ties = false): Run | null {
  const layer = build(e, extra);
  if (viaRule && !layer.stepRule(getBackendByName('ts'))) return null;
  layer.useStepRule = viaRule;
  layer.recordMembrane = true;
  const x = tensor(input(e, 21, ties), [T, B, F], { requiresGrad: true });
  const w = tensor(input(e, 22).slice(0, (T / 2) * B * F), [T / 2, B, F]);
  const half = (a: number): Tensor => tensor(x.toArray().slice(a * (T / 2) * B * F, (a + 1) * (T / 2) * B * F), [T / 2, B, F], { requiresGrad: true });
  const x1 = half(0), x2 = half(1);
  const s1 = layer.forward(x1), m1 = layer.lastMembrane!;
  const s2 = layer.forward(x2), m2 = layer.lastMembrane!;
  const mScale = e.membraneScale ?? 0.5;
  const loss = add(add(sum(mul(add(s1, s2), w)), sum(mul(m1, w))), sum(mul(m2, tensor(Array(T / 2 * B * F).fill(mScale), [T / 2, B, F]))));
  backward(loss);
  return {
    spikes: [...s1.toArray(), ...s2.toArray()],
    membranes: [...m1.toArray(), ...m2.toArray()],
    grads: [x1, x2, ...layer.parameters()].map((t) => (t.grad ? t.grad.toArray() : [])),
  };
}

for (const backendName of ['ts64', 'ts']) {
  for (const e of ZOO) {
    for (const [mode, extra] of [
      ['heaviside', {}],
      ['smooth, attached reset', { smoothSpikes: true, detachReset: false, surrogate: e.smoothSurrogate ?? { name: 'sigmoid', slope: 4 } }],
    ] as const) {
      test(`step rule == fused scan (${backendName}, ${mode}): ${e.label}`, (t) => {
        withBackend(getBackendByName(backendName), () => {
          const viaRule = run(e, true, extra);
          if (!viaRule) {
            t.skip('no elementwise step rule (all-to-all recurrence)');
            return;
          }
          const fused = run(e, false, extra)!;
          assert.deepEqual(viaRule.spikes, fused.spikes, 'spikes');
          const tol = backendName === 'ts' ? 3e-5 : 1e-9;
          assertClose(viaRule.membranes, fused.membranes, backendName === 'ts' ? 0 : 1e-12, 0, 'membranes');
          fused.grads.forEach((g, i) => assertClose(viaRule.grads[i]!, g, tol, tol, `gradient ${i}`));
        });
      });
    }
  }
}

// Ties under both firing rules, for the models that have the option.
const withRule = ZOO.filter((e) => 'fireAtThreshold' in (neuronRegistry.get(e.type).options ?? {}));
const tieCounts = new Map<string, number>();

/** Lattice-friendly settings: every decay ½ (β, α, 1/τ), θ = ½ and v_reset 0, so sums of eighths stay exact and hit θ. */
function tieOptions(e: ZooEntry): Record<string, unknown> {
  const spec = neuronRegistry.get(e.type).options ?? {};
  const o: Record<string, unknown> = { threshold: 0.5 };
  for (const [key, value] of [['beta', 0.5], ['alpha', 0.5], ['tau', 2], ['initTau', 2], ['vReset', 0]] as const) if (key in spec) o[key] = value;
  if (e.options['V'] !== undefined) o['V'] = 0.5;
  return o;
}
test('the firing-rule ties cover every model with the option', () => {
  assert.deepEqual([...new Set(withRule.map((e) => neuronRegistry.get(e.type).name))].sort(), ['if', 'lif', 'plif', 'rleaky', 'sjlif', 'synaptic']);
});
for (const backendName of ['ts64', 'ts']) {
  for (const e of withRule) {
    test(`step rule == fused scan (${backendName}, ties under h > θ and h ≥ θ): ${e.label}`, (t) => {
      withBackend(getBackendByName(backendName), () => {
        const spikes: number[][] = [];
        for (const fireAtThreshold of [false, true]) {
          const viaRule = run(e, true, { ...tieOptions(e), fireAtThreshold }, true);
          if (!viaRule) {
            t.skip('no elementwise step rule (all-to-all recurrence)');
            return;
          }
          const fused = run(e, false, { ...tieOptions(e), fireAtThreshold }, true)!;
          assert.deepEqual(viaRule.spikes, fused.spikes, `spikes, fireAtThreshold ${fireAtThreshold}`);
          assertClose(viaRule.membranes, fused.membranes, backendName === 'ts' ? 0 : 1e-12, 0, `membranes, fireAtThreshold ${fireAtThreshold}`);
          const tol = backendName === 'ts' ? 3e-5 : 1e-9;
          fused.grads.forEach((g, i) => assertClose(viaRule.grads[i]!, g, tol, tol, `gradient ${i}, fireAtThreshold ${fireAtThreshold}`));
          spikes.push(fused.spikes);
        }
        tieCounts.set(`${backendName} ${e.label}`, spikes[0]!.filter((s, i) => s !== spikes[1]![i]).length);
      });
    });
  }
}
test('the tie inputs make the two rules disagree in most configurations, every SpikingJelly-style one included (the cases above are not vacuous)', () => {
  const differ = [...tieCounts.values()].filter((n) => n > 0).length;
  assert.ok(tieCounts.size > 0 && differ >= 0.75 * tieCounts.size, `rules differ in ${differ} of ${tieCounts.size} configurations`);
  for (const [label, n] of tieCounts) if (/ (IF|LIFNode|PLIF) /.test(label)) assert.ok(n > 0, `${label}: the rules give the same spikes`);
});
