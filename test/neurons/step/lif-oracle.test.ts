import test from 'node:test';
import assert from 'node:assert/strict';
import { backward } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { ResetMode } from '../../../src/backend/kernels/neuron.js';
import { lifScan } from '../../../src/neurons/lif/scan.js';
import { add, mul, sum } from '../../../src/ops/elementwise.js';
import { surrogateCode, fastSigmoid, sigmoid } from '../../../src/neurons/surrogate.js';
import { lifRule, type LifRuleSettings } from '../../../src/neurons/lif/rule.js';
import { scanRule } from '../../../src/neurons/step/scan.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers.js';

/*
 * The LIF-family step rule is the oracle of the fused LIF kernels: running it
 * through the generic scan must give the fused scan's spikes and membranes
 * bit for bit, and its gradients (float64 carries in both) to rounding.
 * Each Heaviside case runs a second time on tie data (x, v0 in eighths,
 * β ∈ {½, ¾}, θ ∈ {½, 1}: h = θ and v = θ exactly at many elements) under
 * both firing rules (LifConfig.fireAtThreshold, the step context's H(0)).
 */

const T = 7, B = 3, F = 4;
const CASES: { label: string; k: LifRuleSettings; perNeuron: boolean; smooth?: boolean }[] = [
  { label: 'snnTorch Leaky (delayed subtract)', k: { resetMode: ResetMode.subtract, delayedReset: true, detachReset: true, inputLeak: false, vReset: 0 }, perNeuron: false },
  { label: 'delayed zero, attached', k: { resetMode: ResetMode.zero, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: true },
  { label: 'delayed zeroAfter (RLeaky/Synaptic)', k: { resetMode: ResetMode.zeroAfter, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: false },
  { label: 'same-step subtract, attached', k: { resetMode: ResetMode.subtract, delayedReset: false, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: true },
  { label: 'SpikingJelly LIFNode (same-step hard, decay input, vReset)', k: { resetMode: ResetMode.zero, delayedReset: false, detachReset: false, inputLeak: true, vReset: -0.1 }, perNeuron: false },
  { label: 'no reset', k: { resetMode: ResetMode.none, delayedReset: false, detachReset: true, inputLeak: false, vReset: 0 }, perNeuron: true },
  { label: 'smooth forward, delayed subtract attached', k: { resetMode: ResetMode.subtract, delayedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: true, smooth: true },
  // snnTorch's same-step form (reset_delay=False): R of the previous membrane, then the (s − R) correction.
  { label: 'snnTorch same-step subtract (detached R)', k: { resetMode: ResetMode.subtract, delayedReset: false, correctedReset: true, detachReset: true, inputLeak: false, vReset: 0 }, perNeuron: false },
  { label: 'snnTorch same-step zero (Leaky), attached R', k: { resetMode: ResetMode.zero, delayedReset: false, correctedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: true },
  { label: 'snnTorch same-step zeroAfter (RLeaky/Synaptic)', k: { resetMode: ResetMode.zeroAfter, delayedReset: false, correctedReset: true, detachReset: true, inputLeak: false, vReset: 0 }, perNeuron: false },
  { label: 'corrected same-step zero, decay input, vReset', k: { resetMode: ResetMode.zero, delayedReset: false, correctedReset: true, detachReset: false, inputLeak: true, vReset: -0.1 }, perNeuron: true },
  { label: 'smooth forward, snnTorch same-step subtract attached', k: { resetMode: ResetMode.subtract, delayedReset: false, correctedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: true, smooth: true },
  { label: 'smooth forward, snnTorch same-step zeroAfter attached', k: { resetMode: ResetMode.zeroAfter, delayedReset: false, correctedReset: true, detachReset: false, inputLeak: false, vReset: 0 }, perNeuron: false, smooth: true },
];

function rand(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => rng.uniform(lo, hi));
}

function eighths(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => Math.round(rng.uniform(lo, hi) * 8) / 8);
}

function pick(rng: Rng, n: number, values: number[]): number[] {
  return Array.from({ length: n }, () => values[Math.floor(rng.uniform(0, values.length))]!);
}

const VARIANTS = [
  { name: '', ties: false, fire: false },
  { name: ', ties, h > θ', ties: true, fire: false },
  { name: ', ties, h ≥ θ', ties: true, fire: true },
];

for (const backendName of ['ts', 'ts64']) {
  for (const c of CASES) {
    for (const variant of VARIANTS.filter((v) => !v.ties || !c.smooth)) {
      test(`LIF step rule == fused LIF scan (${backendName}): ${c.label}${variant.name}`, () => {
        withBackend(getBackendByName(backendName), () => {
          const rng = new Rng(3);
          const nP = c.perNeuron ? F : 1;
          const mk = (): Tensor[] => variant.ties ? [
            tensor(eighths(new Rng(5), T * B * F, -0.4, 1.6), [T, B, F], { requiresGrad: true }),
            tensor(eighths(new Rng(6), B * F, -0.5, 1.5), [B, F], { requiresGrad: true }),
            tensor(pick(new Rng(7), nP, [0.5, 0.75]), [nP], { requiresGrad: true }),
            tensor(pick(new Rng(8), nP, [0.5, 1]), [nP], { requiresGrad: true }),
          ] : [
            tensor(rand(new Rng(5), T * B * F, -0.4, 1.6), [T, B, F], { requiresGrad: true }),
            tensor(rand(new Rng(6), B * F, -0.5, 1.5), [B, F], { requiresGrad: true }),
            tensor(rand(new Rng(7), nP, 0.6, 0.95), [nP], { requiresGrad: true }),
            tensor(rand(new Rng(8), nP, 0.8, 1.2), [nP], { requiresGrad: true }),
          ];
          const k = { ...c.k, fireAtThreshold: variant.fire };
          const sg = surrogateCode(c.smooth ? sigmoid({ slope: 4 }) : fastSigmoid(), c.smooth);
          const weights = tensor(rand(rng, T * B * F, -1, 1), [T, B, F]);
          const wState = tensor(rand(rng, B * F, -1, 1), [B, F]);
          const run = (fused: boolean): { spikes: number[]; mem: number[]; grads: number[][] } => {
            const [x, v0, beta, thr] = mk() as [Tensor, Tensor, Tensor, Tensor];
            let spikes: Tensor, mem: Tensor, vT: Tensor;
            if (fused) {
              const r = lifScan(x, { v: v0, s: null }, { beta, threshold: thr }, { ...k, surrogate: sg });
              spikes = r.spikes; mem = r.membrane; vT = r.state.v;
            } else {
              const r = scanRule(lifRule, c.k, sg, x, [v0], [beta, thr], variant.fire);
              spikes = r.spikes; mem = r.membrane; vT = r.state[0]!;
            }
            const l = sum(mul(mem, weights));
            const l2 = sum(mul(spikes, weights));
            const l3 = sum(mul(vT, wState));
            backward(sum(tensorSum([l, l2, l3])));
            return { spikes: spikes.toArray(), mem: mem.toArray(), grads: [x, v0, beta, thr].map((t) => t.grad!.toArray()) };
          };
          const a = run(true), b = run(false);
          assert.deepEqual(b.spikes, a.spikes, 'spikes');
          assert.deepEqual(b.mem, a.mem, 'membranes');
          const tol = backendName === 'ts' ? 2e-5 : 1e-10;
          ['dx', 'dv0', 'dbeta', 'dthreshold'].forEach((name, i) => assertClose(b.grads[i]!, a.grads[i]!, tol, tol, name));
        });
      });
    }
  }
}

function tensorSum(ts: Tensor[]): Tensor {
  return ts.slice(1).reduce((acc, t) => add(acc, t), ts[0]!);
}
