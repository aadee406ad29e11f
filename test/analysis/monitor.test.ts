import test from 'node:test';
import assert from 'node:assert/strict';
import { SpikeMonitor } from '../../src/analysis/monitor.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Residual, Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { tensor, uniform } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { handModel, INPUT, ThresholdNeuron } from './stand-ins.js';

test('monitor: per-layer shapes, densities, spike rates, dead and saturated neurons (hand-computed)', () => {
  const model = handModel();
  const mon = new SpikeMonitor(model);
  noGrad(() => mon.forward(tensor(INPUT, [2, 2, 4])));
  const s = mon.summary();
  assert.equal(s.samples, 2);
  assert.equal(s.batches, 1);
  assert.deepEqual(
    s.layers.map((l) => l.name),
    ['0:Linear', '1:Leaky', '2:Linear', '3:Leaky'],
  );
  const [l0, n1, l2, n3] = s.layers;
  assert.deepEqual(l0!.inputShape, [2, 2, 4]);
  assert.deepEqual(l2!.outputShape, [2, 2, 2]);
  assert.equal(l0!.steps, 2);
  assert.equal(l0!.inputBinary, false);
  assert.equal(l0!.inputDensity, 7 / 16);
  assert.deepEqual(l0!.weightShape, [4, 4]);
  assert.equal(l0!.hasBias, false);
  assert.equal(l2!.hasBias, true);
  assert.equal(l0!.neuron, null);

  // First spiking layer: per-neuron counts [2, 1, 4, 0] over 4 sample-steps.
  assert.deepEqual(n1!.neuron, { neurons: 4, spikes: 7, spikesPerSample: 3.5, rate: 7 / 16, rateMin: 0, rateMax: 1, dead: 1, saturated: 1 });
  assert.deepEqual([...mon.neuronRates(1)], [0.5, 0.25, 1, 0]);
  assert.deepEqual([...mon.neuronRates('1')], [0.5, 0.25, 1, 0]);
  assert.deepEqual(mon.summary({ perNeuron: true }).layers[1]!.neuron!.rates, [0.5, 0.25, 1, 0]);
  assert.equal(n1!.neuron!.rates, undefined);
  // Its spikes feed layer 2: binary input with the same density.
  assert.equal(l2!.inputBinary, true);
  assert.equal(l2!.inputDensity, 7 / 16);
  // Second spiking layer: counts [3, 4].
  assert.deepEqual(n3!.neuron, { neurons: 2, spikes: 7, spikesPerSample: 3.5, rate: 7 / 8, rateMin: 0.75, rateMax: 1, dead: 0, saturated: 1 });
  assert.equal(s.spikesPerSample, 7);
  assert.equal(s.meanRate, 14 / 24);
  assert.throws(() => mon.neuronRates(0), /not a spiking layer/);
  assert.throws(() => mon.neuronRates(9), /no recorded layer/);
});

test('monitor: output equals model.forward; statistics accumulate over batches and reset() clears them', () => {
  const rng = new Rng(5);
  const model = new Sequential([new Linear(6, 5, rng), new ThresholdNeuron(), new Linear(5, 3, rng), new ThresholdNeuron()]);
  const mon = new SpikeMonitor(model);
  const xa = uniform([3, 2, 6], rng, -1, 2);
  const xb = uniform([3, 5, 6], rng, -1, 2);
  const ya = mon.forward(xa);
  assert.deepEqual(ya.toArray(), model.forward(xa).toArray());
  assert.equal(ya.binary, true);
  const yb = mon.forward(xb);
  assert.deepEqual(yb.toArray(), model.forward(xb).toArray());
  const s = mon.summary();
  assert.equal(s.samples, 7);
  assert.equal(s.batches, 2);
  const n1 = s.layers[1]!;
  assert.equal(n1.samples, 7);
  assert.equal(n1.steps, 3);
  // The accumulated spike count is the sum of both batches' outputs of that layer.
  const h = (x: typeof xa) => model.layers[1]!.forward(model.layers[0]!.forward(x));
  const expected = h(xa).toArray().reduce((a, b) => a + b, 0) + h(xb).toArray().reduce((a, b) => a + b, 0);
  assert.equal(n1.neuron!.spikes, expected);
  assert.equal(n1.neuron!.rate, expected / (7 * 3 * 5));
  const rates = mon.neuronRates(1);
  assert.ok(Math.abs(rates.reduce((a, b) => a + b, 0) / rates.length - n1.neuron!.rate) < 1e-12);
  // Summaries are plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  mon.reset();
  assert.deepEqual(mon.summary(), { batches: 0, samples: 0, layers: [], spikesPerSample: 0, meanRate: 0 });
});

test('monitor: nested containers are flattened and a residual block gets an Add row', () => {
  const rng = new Rng(9);
  const body = new Sequential([new Linear(4, 4, rng), new ThresholdNeuron()]);
  const model = new Sequential([new ThresholdNeuron(), new Residual(body), new Sequential([new Linear(4, 2, rng)])]);
  const mon = new SpikeMonitor(model);
  const x = uniform([2, 3, 4], rng, 0, 1);
  assert.deepEqual(mon.forward(x).toArray(), model.forward(x).toArray());
  const s = mon.summary();
  assert.deepEqual(
    s.layers.map((l) => l.name),
    ['0:Leaky', '1.body.0:Linear', '1.body.1:Leaky', '1.add:Add', '2.0:Linear'],
  );
  const add = s.layers[3]!;
  // Both operands are spikes; density is over both.
  const nz = (t: number[]) => t.filter((v) => v !== 0).length;
  const spikesIn = model.layers[0]!.forward(x);
  const spikesBody = body.forward(spikesIn);
  assert.equal(add.inputBinary, true);
  assert.equal(add.inputDensity, (nz(spikesIn.toArray()) + nz(spikesBody.toArray())) / 48);
  assert.equal(mon.moduleAt('1.add'), null);
});

test('monitor: rejects inputs that are not time-major', () => {
  const mon = new SpikeMonitor(handModel());
  assert.throws(() => mon.forward(tensor([1, 2, 3, 4], [4])), /time-major/);
});
