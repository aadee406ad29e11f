// The energy model on hand-worked networks: every term (arithmetic, weight
// reads, activation traffic, membrane state) is written out here from the
// constants of energy.ts's sources (Horowitz, ISSCC 2014, 45 nm), so a change
// to any rule shows up as a wrong number, not as a changed snapshot.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { LayerStats, MonitorSummary } from '../../src/analysis/monitor.js';
import { countOps } from '../../src/analysis/ops-count.js';
import { estimateEnergy, OP_ENERGY_PJ, precisionWidths } from '../../src/analysis/energy.js';
import { formatEnergyTable } from '../../src/analysis/report.js';

const close = (a: number, e: number, what: string): void => assert.ok(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${what}: got ${a}, expected ${e}`);

type Row = Partial<LayerStats> & Pick<LayerStats, 'kind' | 'inputShape' | 'outputShape' | 'steps'>;

function summary(rows: Row[]): MonitorSummary {
  const layers = rows.map((p, index): LayerStats => ({
    index,
    path: String(index),
    name: `${index}:${p.kind}`,
    isNeuron: false,
    batches: 1,
    samples: 1,
    inputBinary: false,
    inputDensity: 1,
    outputNonzeroPerSample: 0,
    outputDensity: 0,
    weightShape: null,
    hasBias: false,
    poolWindow: null,
    neuron: null,
    outputBinary: false,
    ...p,
  }));
  return { batches: 1, samples: 1, layers, spikesPerSample: 0, meanRate: 0 };
}

/**
 * Direct coding, T = 4: Linear 100 → 50 on the analog input (runs once, before
 * the time repeat), 50 LIF neurons firing at 20 %, Linear 50 → 10 with bias
 * on their spikes, 10 LIF neurons firing at 10 %.
 */
const TWO_LAYER = summary([
  { kind: 'Linear', inputShape: [1, 1, 100], outputShape: [1, 1, 50], steps: 1, weightShape: [50, 100], inputValues: 100, outputValues: 50 },
  { kind: 'RepeatTime', inputShape: [1, 1, 50], outputShape: [4, 1, 50], steps: 1, inputValues: 50, outputValues: 200 },
  { kind: 'LIF', isNeuron: true, inputShape: [4, 1, 50], outputShape: [4, 1, 50], steps: 4, inputValues: 200, outputValues: 200, outputBinary: true, outputDensity: 0.2 },
  { kind: 'Linear', inputShape: [4, 1, 50], outputShape: [4, 1, 10], steps: 4, weightShape: [10, 50], hasBias: true, inputBinary: true, inputDensity: 0.2, inputValues: 200, outputValues: 40 },
  { kind: 'LIF', isNeuron: true, inputShape: [4, 1, 10], outputShape: [4, 1, 10], steps: 4, inputValues: 40, outputValues: 40, outputBinary: true, outputDensity: 0.1 },
]);

test('ops of the two-layer network: MACs on the analog input, SOPs on spikes, activations by type', () => {
  const ops = countOps(TWO_LAYER);
  const [l0, rep, n1, l2, n2] = ops.layers;
  assert.equal(l0!.macs, 5000);
  assert.equal(l0!.sops, 0);
  assert.deepEqual(rep!.activations, { reads: 0, readBits: null, writes: 0, writeBits: null }, 'the repeat is a view');
  assert.equal(n1!.neuronUpdates, 200);
  // 500 synapses × 4 steps × 20 % input density; one bias add per output and step.
  assert.equal(l2!.sops, 400);
  assert.equal(l2!.acs, 40);
  assert.deepEqual(l2!.activations, { reads: 200, readBits: 1, writes: 40, writeBits: null });
  assert.deepEqual(n2!.activations, { reads: 40, readBits: null, writes: 40, writeBits: 1 });
  assert.deepEqual(l2!.ann, { macs: 500, acs: 10, reads: 50, writes: 10 });
  assert.equal(n1!.outputDensity, 0.2);
});

test('energy fp32, hand-worked: compute, weights (two SRAM tiers), activations (spikes at 1 bit), membrane state', () => {
  const r = estimateEnergy(countOps(TWO_LAYER), { precisions: ['fp32'] }).results[0]!;
  // Compute: 5000 MACs·4.6 + (400 SOPs + 40 bias adds)·0.9 + 240 neuron MACs·4.6 + 480 neuron ACs·0.9.
  close(r.snn.computePJ, 23000 + 360 + 36 + 1104 + 432, 'SNN compute');
  close(r.snn.neuronPJ, 1104 + 432, 'neuron updates');
  // Weights: layer 0 holds 5000·4 B = 20 000 B → 32 KB SRAM, 20 pJ per 64 bits = 10 pJ per fp32 read, 5000 reads;
  // layer 2 holds 2000 B → 8 KB SRAM, 5 pJ per read, one read per SOP (400).
  close(r.snn.weightPJ, 5000 * 10 + 400 * 5, 'SNN weight reads');
  // Activations (8 KB SRAM: 5 pJ per fp32 value, 10/64 pJ per spike bit): layer 0 reads 100 and writes 50 reals;
  // neurons 1 read 200 currents and write 200 spikes; layer 2 reads 200 spikes and writes 40 currents; neurons 2 read 40, write 40 spikes.
  const spike = 10 / 64;
  close(r.snn.activationPJ, 150 * 5 + (200 * 5 + 200 * spike) + (200 * spike + 40 * 5) + (40 * 5 + 40 * spike), 'SNN activations');
  close(r.snn.activationPJ, 2218.75, 'SNN activations, summed');
  // State: one membrane word per neuron, read and written per update: 2·(200 + 40) accesses of 5 pJ (arrays of 200 and 40 B).
  close(r.snn.statePJ, 2 * 240 * 5, 'SNN membrane traffic');
  close(r.snn.totalPJ, 24932 + 52000 + 2218.75 + 2400, 'SNN total');
  // ANN: 5500 MACs, 10 bias adds and 60 ReLU compares; 5000 + 500 weight reads; 150 + 100 + 60 + 20 values moved once.
  close(r.ann.computePJ, 5500 * 4.6 + 70 * 0.9, 'ANN compute');
  close(r.ann.weightPJ, 5000 * 10 + 500 * 5, 'ANN weight reads');
  close(r.ann.activationPJ, 330 * 5, 'ANN activations');
  close(r.ann.statePJ, 0, 'ANN has no state');
  close(r.ann.totalPJ, 25363 + 52500 + 1650, 'ANN total');
  // The SNN's time steps cost more than its sparsity saves here: it does not win, and the table says so.
  assert.equal(r.snnWins, false);
  assert.equal(formatEnergyTable({ unit: 'pJ per sample', results: [r], assumptions: [] }).split('\n')[2]!.endsWith('| no |'), true);
  // Layers add up to the totals.
  close(r.snn.layers.reduce((a, l) => a + l.computePJ + l.memoryPJ, 0), r.snn.totalPJ, 'layer sum');
});

test('energy fp16 and int4, hand-worked: widths of weights, activations and state', () => {
  const rep = estimateEnergy(countOps(TWO_LAYER), { precisions: ['fp16', 'int4'] });
  const [h, q] = rep.results;
  // fp16: MAC 1.5, AC 0.4 pJ. Layer 0's weights 10 000 B → 32 KB SRAM: 20·16/64 = 5 pJ per read; layer 2's 1000 B: 2.5 pJ.
  assert.deepEqual(h!.widths, { weights: 'fp16', activationBits: 16, stateBits: 16 });
  close(h!.snn.computePJ, 5000 * 1.5 + 440 * 0.4 + 240 * 1.5 + 480 * 0.4, 'fp16 SNN compute');
  close(h!.snn.weightPJ, 5000 * 5 + 400 * 2.5, 'fp16 weights');
  close(h!.snn.activationPJ, 430 * 2.5 + 440 * (10 / 64), 'fp16 activations: 430 reals at 2.5 pJ, 440 spike bits');
  close(h!.snn.statePJ, 480 * 2.5, 'fp16 state');
  // int4: synaptic arithmetic and weights at 4 bits (MAC 0.065, add 0.015 pJ; 10·4/64 = 0.625 pJ per read, both arrays < 8 KB);
  // neurons at int8 (MAC 0.23, add 0.03), activations and membranes at 8 bits (1.25 pJ per value).
  assert.deepEqual(precisionWidths('int4'), { synaptic: OP_ENERGY_PJ.int4, other: OP_ENERGY_PJ.int8, activationBits: 8, stateBits: 8 });
  assert.deepEqual(q!.widths, { weights: 'int4', activationBits: 8, stateBits: 8 });
  close(q!.snn.computePJ, 5000 * 0.065 + 440 * 0.015 + 240 * 0.23 + 480 * 0.03, 'int4 SNN compute');
  close(q!.snn.weightPJ, 5400 * 0.625, 'int4 weights');
  close(q!.snn.activationPJ, 430 * 1.25 + 440 * (10 / 64), 'int4 activations');
  close(q!.snn.statePJ, 480 * 1.25, 'int4 state');
  close(q!.snn.totalPJ, 401.2 + 3375 + 606.25 + 600, 'int4 SNN total');
  // Its rival is the bit-width-matched quantized ANN (W4, 8-bit activations), and the fp32 ANN stays beside it.
  close(q!.ann.computePJ, 5500 * 0.065 + 10 * 0.015 + 60 * 0.03, 'int4 ANN compute');
  close(q!.ann.totalPJ, 359.45 + 5500 * 0.625 + 330 * 1.25, 'int4 ANN total');
  close(q!.annFp32.totalPJ, 79513, 'fp32 ANN');
  assert.equal(q!.snnWins, false, 'the quantized ANN is cheaper');
  close(q!.annOverSnnTotal!, 4209.45 / 4982.45, 'ratio');
});

test('energy: a sparse wide layer wins against both ANNs (weights in DRAM)', () => {
  // 1000 → 1000 on spikes at 1 %, T = 4, then 1000 LIF neurons at 1 %.
  const s = summary([
    { kind: 'Linear', inputShape: [4, 1, 1000], outputShape: [4, 1, 1000], steps: 4, weightShape: [1000, 1000], inputBinary: true, inputDensity: 0.01, inputValues: 4000, outputValues: 4000 },
    { kind: 'LIF', isNeuron: true, inputShape: [4, 1, 1000], outputShape: [4, 1, 1000], steps: 4, inputValues: 4000, outputValues: 4000, outputBinary: true, outputDensity: 0.01 },
  ]);
  const r = estimateEnergy(countOps(s), { precisions: ['fp32'] }).results[0]!;
  // 40 000 SOPs; the 4 MB weight array is in DRAM: 1300·32/64 = 650 pJ per read.
  close(r.snn.computePJ, 40000 * 0.9 + 4000 * 4.6 + 8000 * 0.9, 'SNN compute');
  close(r.snn.weightPJ, 40000 * 650, 'SNN weights');
  // 1000 bits per step = 125 B: 8 KB SRAM. 4000 spike bits read, 4000 currents written and read, 4000 spike bits written.
  close(r.snn.activationPJ, 4000 * (10 / 64) + 8000 * 5 + 4000 * (10 / 64), 'SNN activations');
  close(r.snn.statePJ, 8000 * 5, 'SNN state (4000 B of membranes)');
  close(r.ann.totalPJ, 1e6 * 4.6 + 1000 * 0.9 + 1e6 * 650 + 4000 * 5, 'ANN total');
  assert.equal(r.snnWins, true);
  assert.ok(r.annOverSnnTotal! > 20);
});
