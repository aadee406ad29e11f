import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Rng } from '../../src/tensor/rng.js';
import { tensor } from '../../src/tensor/create.js';
import { noGrad } from '../../src/autograd/tape.js';
import { quantLevels } from '../../src/ops/quantize.js';
import { calibrateMse, clipValues, MSE_RATIOS, percentileOf, ptqStep } from '../../src/quant/ptq.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { WeightedLayer } from '../../src/nn/weighted.js';

test('percentileOf: linear interpolation between order statistics (numpy default)', () => {
  const v = Float64Array.from([4, 1, 3, 2, 5]);
  assert.equal(percentileOf(v, 100), 5);
  assert.equal(percentileOf(v, 50), 3);
  assert.equal(percentileOf(v, 90), 4.6);
  assert.equal(percentileOf(v, 25), 2);
});

test('minmax and percentile steps per channel: clip / Qp', () => {
  const w = tensor([0.5, -2, 1, 0.25, 0.1, -0.3, 0.2, 0], [2, 4]);
  const L = quantLevels(4);
  const f = Math.fround; // the weights live in float32
  assert.deepEqual([...clipValues(w, true)], [2, f(0.3)]);
  assert.deepEqual([...ptqStep(w, L, true)], [2 / 7, f(0.3) / 7]);
  assert.deepEqual([...ptqStep(w, L, false)], [2 / 7]);
  // 75th percentile of |w| per channel: [0.25, 0.5, 1, 2] → 1.25; [0, 0.1, 0.2, 0.3] → 0.225.
  const p = ptqStep(w, L, true, { percentile: 75 });
  assert.ok(Math.abs(p[0]! - 1.25 / 7) < 1e-15 && Math.abs(p[1]! - (f(0.2) + 0.25 * (f(0.3) - f(0.2))) / 7) < 1e-15, [...p].join(', '));
});

/** Σ (layer(x; w_q) − layer(x; w))² over the inputs, computed directly. */
function outputError(layer: WeightedLayer, xs: Tensor[]): number {
  return noGrad(() => {
    let e = 0;
    for (const x of xs) {
      const a = layer.forwardWith(x, layer.effectiveWeight()).data;
      const b = layer.forwardWith(x, layer.weight).data;
      for (let i = 0; i < a.length; i++) e += (a[i]! - b[i]!) ** 2;
    }
    return e;
  });
}

test('calibrateMse: measures each channel on the layer\'s real inputs and never does worse than minmax', () => {
  withBackend(getBackendByName('ts64'), () => {
    const rng = new Rng(3);
    const lin = new Linear(32, 6, rng);
    // Heavy-tailed channels: one outlier weight each, which minmax spends most levels on.
    for (let c = 0; c < 6; c++) lin.weight.data[c * 32 + c] = 1.5 + c;
    const conv = new Conv2d(2, 3, 3, rng);
    conv.weight.data[0] = 3;
    const xsLin = Array.from({ length: 4 }, () => tensor(Array.from({ length: 3 * 2 * 32 }, () => rng.uniform(-1, 1)), [3, 2, 32]));
    const xsConv = Array.from({ length: 3 }, () => tensor(Array.from({ length: 2 * 2 * 2 * 6 * 6 }, () => rng.uniform(-1, 1)), [2, 2, 2, 6, 6]));
    for (const [layer, xs] of [[lin, xsLin], [conv, xsConv]] as const) {
      layer.setWeightQuantizer({ bits: 3, perChannel: true, learnStep: false }, ptqStep(layer.weight, quantLevels(3), true));
      const minmaxErr = outputError(layer, xs);
      const r = calibrateMse([layer], () => noGrad(() => xs.forEach((x) => layer.forward(x))));
      assert.equal(r.batches[0], xs.length);
      const mseErr = outputError(layer, xs);
      assert.ok(mseErr <= minmaxErr, `${layer.kind}: ${mseErr} ≤ ${minmaxErr}`);
      assert.ok(r.ratios[0]!.some((v) => v < 1), `${layer.kind}: some channel clips (${[...r.ratios[0]!].join(', ')})`);
      // The chosen ratio is the best of the grid for each channel: no grid point does better on that channel.
      const C = layer.weight.shape[0]!;
      const max = clipValues(layer.weight, true);
      const chosenStep = Float64Array.from(layer.weightStep!.data);
      const perChannel = (steps: Float64Array): Float64Array => {
        layer.setWeightStep(steps);
        const e = new Float64Array(C);
        noGrad(() => {
          for (const x of xs) {
            const a = layer.forwardWith(x, layer.effectiveWeight()).data;
            const b = layer.forwardWith(x, layer.weight).data;
            const inner = layer instanceof Linear ? 1 : a.length / (x.shape[0]! * x.shape[1]! * C);
            for (let i = 0; i < a.length; i++) e[Math.floor(i / inner) % C] += (a[i]! - b[i]!) ** 2;
          }
        });
        return e;
      };
      const best = perChannel(chosenStep);
      for (const ratio of [1, 0.8, MSE_RATIOS[MSE_RATIOS.length - 1]!]) {
        const e = perChannel(Float64Array.from(max, (m) => (m * ratio) / 3));
        for (let c = 0; c < C; c++) assert.ok(best[c]! <= e[c]! + 1e-12, `${layer.kind} channel ${c}: ratio ${ratio} is not better`);
      }
      layer.setWeightStep(chosenStep);
      assert.equal(layer.inputObserver, null, 'observers removed');
    }
  });
});

test('calibrateMse restores the quantizers when the calibration pass fails', () => {
  const lin = new Linear(4, 2, new Rng(1));
  lin.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false }, [0.1, 0.2]);
  assert.throws(() => calibrateMse([lin], () => {
    throw new Error('data ran out');
  }), /data ran out/);
  assert.deepEqual([...lin.weightStep!.data], [0.1, 0.2].map(Math.fround));
  assert.equal(lin.inputObserver, null);
  assert.throws(() => calibrateMse([lin], () => {}), /never reached the Linear layer/);
});
