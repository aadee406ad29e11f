import type { RunPlotData } from '../../src/viz/run.js';

/** A tiny run: 2 epochs, one 3-neuron layer '1' recorded on 2 samples of 2 steps, 2 classes. */
export function tinyRun(): RunPlotData {
  return {
    format: 'spikeflow-plot-data',
    version: 1,
    name: 'tiny',
    history: [
      { epoch: 1, train_loss: 1, test_loss: 1.1, train_accuracy: 0.5, test_accuracy: 0.5 },
      { epoch: 2, train_loss: 0.5, test_loss: 0.6, train_accuracy: 0.75, test_accuracy: 0.7 },
    ],
    confusion: [
      [3, 1],
      [0, 4],
    ],
    layers: [{ path: '1', kind: 'LIF', shape: [3], rates: [0, 0.5, 1], steps: 2, dead: 1, saturated: 1, samples: 2 }],
    energy: { precision: 'fp32', layers: [{ name: '0:Linear', snn: { computePJ: 10, memoryPJ: 20 }, ann: { computePJ: 30, memoryPJ: 20 } }] },
    recording: {
      steps: 2,
      labels: [0, 1],
      predictions: [0, 1],
      layers: [
        {
          path: '1',
          kind: 'LIF',
          neurons: 3,
          neuronIds: [0, 1, 2],
          spikes: [[1, 5], [2]],
          traces: [
            { sample: 0, neuron: 1, threshold: 1, membrane: [1.1, 0.2], spikeSteps: [0] },
            { sample: 1, neuron: 2, threshold: 1, membrane: [1.2, 0.1], spikeSteps: [0] },
          ],
        },
      ],
    },
  };
}

