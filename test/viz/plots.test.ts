import test from 'node:test';
import assert from 'node:assert/strict';
import { spikeRaster } from '../../src/viz/raster.js';
import { membraneTraces } from '../../src/viz/traces.js';
import { firingRateHistogram, histogram, neuronHealth, spikeCountHeatmap } from '../../src/viz/rates.js';
import { trainingCurves } from '../../src/viz/curves.js';
import { classAccuracies, confusionMatrix, perClassAccuracy } from '../../src/viz/confusion.js';
import { energyBreakdown, energyUnit } from '../../src/viz/energy.js';
import { delayHistogram } from '../../src/viz/delays.js';
import { ShapeError } from '../../src/errors.js';
import { centre, marks, n, texts } from './svg-test-utils.js';

const close = (a: number, b: number, tol = 0.02): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('spikeRaster: one mark per spike, at its step and row', () => {
  // 2 steps × 3 neurons; spikes at (t 0, neuron 1) and (t 1, neuron 2).
  const svg = spikeRaster({ title: 'r', steps: 2, neurons: 3, samples: [{ spikes: [0, 1, 0, 0, 0, 1] }] }, { width: 520, height: 460 });
  const s = marks(svg, 'spike');
  assert.equal(s.length, 2);
  // Panel: x 78..500 over steps [-0.5, 1.5]; y 64..408 over rows [-0.5, 2.5], row 0 at the top.
  const [x0, y0] = centre(s[0]!);
  const [x1, y1] = centre(s[1]!);
  close(x0, 78 + 422 * (0.5 / 2));
  close(x1, 78 + 422 * (1.5 / 2));
  close(y0, 64 + 344 * (1.5 / 3));
  close(y1, 64 + 344 * (2.5 / 3));
  assert.match(svg, /3 neurons · 2 steps · 2 spikes in 1 sample/);
  assert.deepEqual(texts(svg, 'xtick'), ['0', '1']);
});

test('spikeRaster: samples side by side share the neuron axis; ids label the rows; bad sizes throw', () => {
  const svg = spikeRaster({ title: 'r', steps: 1, neurons: 2, neuronIds: [10, 20], layerNeurons: 30, samples: [{ spikes: [1, 1] }, { spikes: [0, 1] }] });
  assert.equal(marks(svg, 'spike').length, 3);
  assert.deepEqual(texts(svg, 'ytick'), ['10', '20'], 'only the first panel labels rows, by neuron id');
  assert.match(svg, /2 of 30 neurons shown/);
  assert.throws(() => spikeRaster({ title: 'r', steps: 2, neurons: 2, samples: [{ spikes: [1] }] }), ShapeError);
});

test('membraneTraces: a line per neuron, its threshold and a tick per spike', () => {
  const svg = membraneTraces({
    title: 't',
    traces: [
      { label: 'neuron 0', membrane: [0, 0.5, 1.2, 0.2], threshold: 1, spikes: [0, 0, 1, 0] },
      { label: 'neuron 1', membrane: [0, -0.5, -1, -0.5], threshold: 1 },
    ],
  });
  assert.equal(marks(svg, 'trace').length, 2);
  const thr = marks(svg, 'threshold');
  assert.equal(thr.length, 2);
  const spikes = marks(svg, 'spike');
  assert.equal(spikes.length, 1);
  // The spike tick sits at step 2 of 0..3: x = 150 + (720 - 280) × 2/3.
  close(n(spikes[0]!, 'x1'), 150 + 440 * (2 / 3));
  // The trace's third point is above its threshold line (smaller y).
  const pts = marks(svg, 'trace')[0]!.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
  assert.ok(pts[2]![1]! < n(thr[0]!, 'y1'));
  assert.deepEqual(texts(svg, 'row-label'), ['neuron 0', 'neuron 1']);
});

test('firingRateHistogram: bins count neurons; the note names dead and saturated ones', () => {
  assert.deepEqual(histogram([0, 0, 0.5, 1, 0.26], 4, 0, 1), [2, 1, 1, 1]);
  const svg = firingRateHistogram([{ name: 'L', rates: [0, 0, 0.5, 1] }], { bins: 4 });
  const bars = marks(svg, 'bar');
  assert.equal(bars.length, 3, 'empty bins draw nothing');
  // The first bar (2 neurons) is twice as tall as the others.
  close(n(bars[0]!, 'height'), 2 * n(bars[1]!, 'height'), 0.05);
  assert.match(svg, /4 neurons · dead 2 · saturated 1/);
  assert.match(svg, /L: mean 37\.5%/);
});

test('spikeCountHeatmap: one tile per channel, a cell per nonzero neuron, brightest at the maximum', () => {
  const values = [0, 1, 2, 4, 0, 0, 0, 0]; // [2, 2, 2]
  const svg = spikeCountHeatmap({ title: 'h', shape: [2, 2, 2], values, unit: 'spikes per sample' });
  assert.equal(marks(svg, 'tile').length, 2);
  const cells = marks(svg, 'cell');
  assert.equal(cells.length, 3);
  assert.equal(cells[2]!.attrs.fill, '#fde725');
  assert.throws(() => spikeCountHeatmap({ title: 'h', shape: [3], values: [1, 2], unit: 'x' }), ShapeError);
});

test('neuronHealth: stacked shares in proportion to the counts', () => {
  const svg = neuronHealth([{ name: 'a', neurons: 10, dead: 2, saturated: 3 }]);
  const w = (cls: string): number => n(marks(svg, cls)[0]!, 'width');
  close(w('dead') / w('active'), 2 / 5, 0.01);
  close(w('saturated') / w('active'), 3 / 5, 0.01);
  assert.throws(() => neuronHealth([{ name: 'a', neurons: 1, dead: 1, saturated: 1 }]), ShapeError);
});

test('trainingCurves: train and test lines in both panels, a marker per epoch', () => {
  const h = [1, 2, 3].map((e) => ({ epoch: e, train_loss: 1 / e, test_loss: 1.2 / e, train_accuracy: 0.5 + 0.1 * e, test_accuracy: 0.45 + 0.1 * e }));
  const svg = trainingCurves(h);
  assert.equal(marks(svg, 'curve').length, 4);
  assert.equal(marks(svg, 'point').filter((m) => m.tag === 'circle').length, 6);
  assert.equal(marks(svg, 'point').filter((m) => m.tag === 'rect').length, 6);
  assert.deepEqual(texts(svg, 'xtick').slice(0, 3), ['1', '2', '3']);
  assert.match(svg, /test accuracy 75\.00%/);
});

test('confusionMatrix and perClassAccuracy: cells, counts and accuracies', () => {
  const m = [
    [8, 2, 0],
    [0, 5, 0],
    [1, 0, 4],
  ];
  assert.deepEqual(classAccuracies(m), [0.8, 1, 0.8]);
  const svg = confusionMatrix(m, { classNames: ['a', 'b', 'c'] });
  assert.equal(marks(svg, 'cell').length, 9);
  assert.deepEqual(texts(svg, 'count'), ['8', '2', '5', '1', '4']);
  assert.match(svg, /20 test samples, accuracy 85\.00%/);
  // Row-normalised: the full row of class b is the top colour.
  assert.equal(marks(svg, 'cell')[4]!.attrs.fill, '#fde725');
  const bars = perClassAccuracy(m);
  assert.deepEqual(texts(bars, 'value'), ['80.0', '100.0', '80.0']);
  assert.throws(() => confusionMatrix([[1, 2]]), ShapeError);
});

test('energyBreakdown: stacked compute and memory per network, one unit for all', () => {
  assert.deepEqual(energyUnit(999), { unit: 'pJ', perPJ: 1 });
  assert.deepEqual(energyUnit(2.5e6), { unit: 'µJ', perPJ: 1e-6 });
  const svg = energyBreakdown([{ name: 'L', snn: { computePJ: 1000, memoryPJ: 3000 }, ann: { computePJ: 2000, memoryPJ: 2000 } }]);
  const [snnC, snnM, annC, annM] = [marks(svg, 'snn').filter((m) => m.attrs.class!.includes('compute'))[0]!, marks(svg, 'snn').filter((m) => m.attrs.class!.includes('memory'))[0]!, marks(svg, 'ann').filter((m) => m.attrs.class!.includes('compute'))[0]!, marks(svg, 'ann').filter((m) => m.attrs.class!.includes('memory'))[0]!];
  close(n(snnM, 'height') / n(snnC, 'height'), 3, 0.01);
  close(n(annC, 'height'), n(annM, 'height'));
  close(n(snnC, 'height') + n(snnM, 'height'), n(annC, 'height') + n(annM, 'height'));
  assert.match(svg, /energy per sample \(nJ\)/);
  assert.match(svg, /ANN \/ SNN 1\.00×/);
});

test('delayHistogram: one bar per delay value that occurs; out-of-range delays throw', () => {
  const svg = delayHistogram([{ layer: 'd', delays: new Float32Array([0, 0, 1, 3]), maxDelay: 3 }]);
  const bars = marks(svg, 'bar');
  assert.equal(bars.length, 3);
  close(n(bars[0]!, 'height'), 2 * n(bars[1]!, 'height'), 0.05);
  assert.match(svg, /d: mean 1\.00 steps/);
  assert.deepEqual(texts(svg, 'xtick'), ['0', '1', '2', '3']);
  assert.throws(() => delayHistogram([{ layer: 'd', delays: [4], maxDelay: 3 }]), /delay 4 at 0 is outside \[0, 3\]/);
});
