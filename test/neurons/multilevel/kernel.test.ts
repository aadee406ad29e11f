import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { levelCount } from '../../../src/neurons/multilevel/kernel.js';
import { MultiLevel, type MultiLevelOptions } from '../../../src/neurons/multilevel/index.js';
import { mul, sum } from '../../../src/ops/elementwise.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertClose } from '../../helpers.js';

/*
 * The fused kernel's count (the closed form ⌊u + ½⌋ corrected, kernel.ts) against
 * the rule's definition, the sum of D Heaviside steps, where they could part:
 * exactly on the half-integers, one ulp either side, at the integers, and for
 * non-finite and huge u; then the layer both ways on charges that land on the
 * half-integers.
 */

/** The rule's count: #{k ∈ 1..D : u − (k − ½) > 0}. */
function ruleCount(u: number, D: number): number {
  let c = 0;
  for (let k = 1; k <= D; k++) c += u - (k - 0.5) > 0 ? 1 : 0;
  return c;
}

const bits = new Float64Array(1), word = new BigInt64Array(bits.buffer);
/** The neighbouring double towards +∞ (dir 1) or −∞ (dir −1). */
function step(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  bits[0] = x;
  word[0] += (x > 0) === (dir > 0) ? 1n : -1n;
  return bits[0];
}

test('levelCount equals the sum of D steps on every half-integer, integer and their neighbours, and on non-finite and huge u', () => {
  const us: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e300, -1e300, 2 ** 51, 2 ** 52 + 1, 2 ** 53, -(2 ** 52), Number.MIN_VALUE];
  for (let k = -3; k <= 260; k++) {
    for (const base of [k, k - 0.5]) us.push(base, step(base, 1), step(base, -1), step(step(base, 1), 1));
  }
  let halves = 0;
  for (const D of [1, 2, 3, 4, 7, 15, 255]) {
    for (const u of us) {
      assert.equal(levelCount(u, D), ruleCount(u, D), `u = ${u}, D = ${D}`);
      if (u === Math.floor(u) + 0.5 && u > 0 && u < D) halves++;
    }
  }
  assert.ok(halves > 100, 'the half-integers inside the range are covered');
});

function run(opts: MultiLevelOptions, xs: number[], shape: [number, number, number], viaRule: boolean): { s: number[]; m: number[]; grads: number[][] } {
  const layer = new MultiLevel(shape[2], opts);
  layer.useStepRule = viaRule;
  layer.recordMembrane = true;
  const x = tensor(xs, shape, { requiresGrad: true });
  const w = tensor(xs.map((_, i) => Math.sin(i)), shape);
  const s = layer.forward(x);
  const m = layer.lastMembrane!;
  backward(sum(mul(s, w)));
  return { s: Array.from(s.data), m: Array.from(m.data), grads: [x, ...layer.parameters()].map((p) => Array.from(p.grad!.data)) };
}

test('the fused scan equals the step rule on charges that land exactly on k − ½ (θ = ¼ and ½, β = ½, inputs in eighths), ts and ts64', () => {
  const shape: [number, number, number] = [5, 4, 6];
  const rng = new Rng(3);
  const xs = Array.from({ length: shape[0] * shape[1] * shape[2] }, () => Math.round(rng.uniform(-0.25, 1.5) * 8) / 8);
  for (const name of ['ts', 'ts64']) {
    withBackend(getBackendByName(name), () => {
      for (const opts of [
        { levels: 4, threshold: 0.25, learnThreshold: true },
        { levels: 3, threshold: [0.5, 0.25, 0.5, 0.25, 0.5, 0.25], output: 'count', reset: 'hard', learnBeta: true },
        { levels: 1, threshold: 0.5, detachReset: false, surrogate: { name: 'triangle', height: 1, width: 0.5 } },
      ] as MultiLevelOptions[]) {
        const rule = run(opts, xs, shape, true), fused = run(opts, xs, shape, false);
        const what = `${name} ${JSON.stringify(opts)}`;
        assert.deepEqual(fused.s, rule.s, `spikes ${what}`);
        assert.deepEqual(fused.m, rule.m, `membranes ${what}`);
        fused.grads.forEach((g, i) => assertClose(g, rule.grads[i]!, 1e-6, 1e-6, `gradient ${i} ${what}`));
      }
    });
  }
  // The charges do land on the half-integers: first step, θ = ¼, v0 = 0, so u = 4x.
  const ties = xs.slice(0, shape[1] * shape[2]).filter((x) => (4 * x) % 1 === 0.5 && x > 0).length;
  assert.ok(ties >= 5, `ties at t = 0: ${ties}`);
});
