import test from 'node:test';
import assert from 'node:assert/strict';
import { SpikeMonitor, type LayerStats, type MonitorSummary } from '../../src/analysis/monitor.js';
import { countOps } from '../../src/analysis/ops-count.js';
import { accessEnergyPJ, estimateEnergy, memoryTier, OP_ENERGY_PJ } from '../../src/analysis/energy.js';
import { formatCount, formatEnergyLayerTable, formatEnergyTable, formatLayerTable } from '../../src/analysis/report.js';
import { profileModel } from '../../src/analysis/profile.js';
import { Sequential } from '../../src/nn/containers.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { handModel, INPUT, Mystery, RepeatTimeStub, ThresholdNeuron, fixedLinear } from './stand-ins.js';

const close = (a: number, e: number, what: string): void => assert.ok(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${what}: got ${a}, expected ${e}`);

function handProfile() {
  const mon = new SpikeMonitor(handModel());
  mon.forward(tensor(INPUT, [2, 2, 4]));
  const summary = mon.summary();
  return { summary, ops: countOps(summary) };
}

test('ops: MACs on real input, SOPs on spikes, bias ACs, neuron updates (hand-computed)', () => {
  const { ops } = handProfile();
  const [l0, n1, l2, n3] = ops.layers;
  // Linear 4→4 on real input, T = 2: 16 MACs per step, no bias.
  assert.equal(l0!.denseMacsPerStep, 16);
  assert.equal(l0!.macs, 32);
  assert.equal(l0!.sops, 0);
  assert.equal(l0!.acs, 0);
  // 4 LIF neurons × 2 steps: 1 MAC + 2 AC each.
  assert.equal(n1!.neuronUpdates, 8);
  assert.equal(n1!.neuronMacs, 8);
  assert.equal(n1!.neuronAcs, 16);
  // Linear 4→2 on spikes: 7 spikes over 2 samples, fan-out 2 → 7 SOPs per sample; 2 bias adds per step.
  assert.equal(l2!.denseMacsPerStep, 8);
  assert.equal(l2!.macs, 0);
  assert.equal(l2!.sops, 7);
  assert.equal(l2!.acs, 4);
  assert.equal(n3!.neuronMacs, 4);
  assert.equal(n3!.neuronAcs, 8);
  assert.deepEqual(ops.totals, { macs: 32, sops: 7, acs: 4, neuronMacs: 12, neuronAcs: 24, annMacs: 24, annAcs: 8 });
  // The ANN reads each layer's input and writes its output once (T·B = 4 rows over 2 samples: one step each).
  assert.deepEqual(ops.layers.map((o) => o.ann), [
    { macs: 16, acs: 0, reads: 4, writes: 4 },
    { macs: 0, acs: 4, reads: 4, writes: 4 },
    { macs: 8, acs: 2, reads: 4, writes: 2 },
    { macs: 0, acs: 2, reads: 2, writes: 2 },
  ]);
  // The SNN per sample over its 2 steps: real values (null: the precision's width) and spikes (1 bit).
  assert.deepEqual(ops.layers.map((o) => o.activations), [
    { reads: 8, readBits: null, writes: 8, writeBits: null },
    { reads: 8, readBits: null, writes: 8, writeBits: 1 },
    { reads: 8, readBits: 1, writes: 4, writeBits: null },
    { reads: 4, readBits: null, writes: 4, writeBits: 1 },
  ]);
  assert.deepEqual(ops.uncounted, []);
});

test('energy: compute-only and memory-inclusive, SNN and equivalent ANN, fp32 and int8 (hand-computed)', () => {
  const { ops } = handProfile();
  const rep = estimateEnergy(ops, { precisions: ['fp32', 'int8'] });
  assert.equal(rep.unit, 'pJ per sample');
  const [fp32, int8] = rep.results;
  // fp32: 7·0.9 (SOPs) + 32·4.6 (MACs) + 4·0.9 (bias) + 12·4.6 + 24·0.9 (neurons).
  close(fp32!.snn.computePJ, 233.9, 'fp32 SNN compute');
  close(fp32!.snn.neuronPJ, 76.8, 'fp32 neuron energy');
  // All arrays < 8 KB: 10 pJ per 64 bits → 5 pJ per fp32 value, 10/64 pJ per spike bit. Weights: (32 + 7) reads; state: 2·(8 + 4) accesses.
  // Activations: 32 real values moved (layer 0 reads 8, writes 8; the neurons read 8 and 4 currents; layer 2 writes 4) and 20 spike bits (8 written, 8 read, 4 written).
  const spike = 10 / 64;
  const act = (8 + 8) * 5 + (8 * 5 + 8 * spike) + (8 * spike + 4 * 5) + (4 * 5 + 4 * spike);
  close(act, 163.125, 'fp32 SNN activation traffic');
  close(fp32!.snn.weightPJ, 39 * 5, 'fp32 SNN weights');
  close(fp32!.snn.statePJ, 24 * 5, 'fp32 SNN state');
  close(fp32!.snn.activationPJ, act, 'fp32 SNN activations');
  close(fp32!.snn.memoryPJ, 39 * 5 + 24 * 5 + act, 'fp32 SNN memory');
  close(fp32!.snn.totalPJ, 233.9 + 315 + act, 'fp32 SNN total');
  close(fp32!.ann.computePJ, 24 * 4.6 + 8 * 0.9, 'fp32 ANN compute');
  // ANN: 24 weight reads and 26 real values moved (4 + 4, 4 + 4, 4 + 2, 2 + 2).
  close(fp32!.ann.memoryPJ, 24 * 5 + 26 * 5, 'fp32 ANN memory');
  close(fp32!.annOverSnnCompute!, 117.6 / 233.9, 'fp32 ratio');
  assert.deepEqual(fp32!.annFp32, fp32!.ann);
  assert.equal(fp32!.snnWins, false);
  // int8: AC 0.03, MAC 0.23; one value = 10·8/64 = 1.25 pJ.
  close(int8!.snn.computePJ, 35 * 0.03 + 44 * 0.23, 'int8 SNN compute');
  close(int8!.snn.memoryPJ, (39 + 24 + 32) * 1.25 + 20 * spike, 'int8 SNN memory');
  close(int8!.ann.computePJ, 24 * 0.23 + 8 * 0.03, 'int8 ANN compute');
  close(int8!.ann.totalPJ, 5.76 + 30 + 26 * 1.25, 'int8 ANN total');
  assert.deepEqual(int8!.annFp32, fp32!.ann, 'every row carries the fp32 ANN');
  // Per-layer figures add up to the totals.
  close(fp32!.snn.layers.reduce((a, l) => a + l.computePJ + l.memoryPJ, 0), fp32!.snn.totalPJ, 'layer sum');
  assert.equal(fp32!.snn.layers[2]!.name, '2:Linear');
  close(fp32!.snn.layers[2]!.computePJ, 7 * 0.9 + 4 * 0.9, 'layer 2 compute');
  assert.ok(rep.assumptions.some((a) => /Memory energies/.test(a)));
  assert.ok(rep.assumptions.some((a) => /^Activations:/.test(a)));
  assert.deepEqual(JSON.parse(JSON.stringify(rep)), rep);
});

test('energy constants and memory tiers', () => {
  assert.deepEqual(OP_ENERGY_PJ.fp32, { add: 0.9, mult: 3.7, mac: 0.9 + 3.7, ac: 0.9, bits: 32 });
  assert.equal(OP_ENERGY_PJ.fp16.mac, 0.4 + 1.1);
  assert.equal(OP_ENERGY_PJ.int32.ac, 0.1);
  assert.equal(OP_ENERGY_PJ.int8.mult, 0.2);
  assert.equal(memoryTier(8192).pJPer64Bit, 10);
  assert.equal(memoryTier(8193).pJPer64Bit, 20);
  assert.equal(memoryTier(1 << 20).pJPer64Bit, 100);
  assert.equal(memoryTier((1 << 20) + 1).name, 'DRAM');
  assert.equal(accessEnergyPJ(40000, 16), 25);
});

test('ops: all-zero spike input costs no SOPs; SOPs scale with the measured density', () => {
  const model = new Sequential([fixedLinear([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]), new ThresholdNeuron()]);
  const sopsFor = (x: number[]): number => {
    const mon = new SpikeMonitor(model);
    mon.forward(tensor(x, [2, 1, 4], { binary: true }));
    return countOps(mon.summary()).layers[0]!.sops;
  };
  assert.equal(sopsFor([0, 0, 0, 0, 0, 0, 0, 0]), 0);
  // 3 input spikes, fan-out 3 → 9 synaptic operations.
  assert.equal(sopsFor([1, 0, 0, 1, 0, 0, 1, 0]), 9);
  assert.equal(sopsFor([1, 1, 1, 1, 1, 1, 1, 1]), 24);
  // Same input not flagged as spikes: dense MACs regardless of zeros.
  const mon = new SpikeMonitor(model);
  mon.forward(zeros([2, 1, 4]));
  const o = countOps(mon.summary()).layers[0]!;
  assert.equal(o.sops, 0);
  assert.equal(o.macs, 24);
  const e = estimateEnergy(countOps(mon.summary()), { precisions: ['fp32'] }).results[0]!;
  // 24 MACs, 3 LIF neurons × 2 steps (1 MAC + 2 AC each); no spikes anywhere.
  close(e.snn.computePJ, 30 * 4.6 + 12 * 0.9, 'dense-input compute');
});

test('ops: layers in front of RepeatTime run once (cached), those after it run T times', () => {
  const T = 3;
  const layers = () => [fixedLinear([[1, 0], [0, 1]]), new RepeatTimeStub(T), new ThresholdNeuron(), fixedLinear([[1, 1]]), new ThresholdNeuron()];
  const direct = new SpikeMonitor(new Sequential(layers()));
  const x = [1, 0, 0.2, 0.7]; // [1, B=2, 2]
  const yDirect = direct.forward(tensor(x, [1, 2, 2]));
  const sd = direct.summary();
  assert.deepEqual(sd.layers.map((l) => l.steps), [1, 1, T, T, T]);
  const od = countOps(sd);
  assert.equal(od.layers[0]!.macs, 4); // 2·2 MACs, once
  assert.equal(od.layers[1]!.category, 'free');
  assert.equal(od.layers[2]!.neuronUpdates, 2 * T);
  // Spikes after the repeat: sample 0 fires [1, 0], sample 1 [0, 1] every step → 3 SOPs per sample.
  assert.equal(od.layers[3]!.sops, T);
  // The same network fed the input already repeated over T recomputes the first layer every step.
  const rep = new SpikeMonitor(new Sequential(layers()));
  const xr = [...x, ...x, ...x];
  const yRep = rep.forward(tensor(xr, [T, 2, 2]));
  assert.deepEqual(yRep.toArray(), yDirect.toArray());
  const or = countOps(rep.summary());
  assert.equal(or.layers[0]!.macs, 4 * T);
  assert.equal(or.layers[3]!.sops, od.layers[3]!.sops);
  // The ANN is the same either way: one pass.
  assert.deepEqual(or.totals.annMacs, od.totals.annMacs);
  assert.equal(od.totals.annMacs, 4 + 2);
});

function row(p: Partial<LayerStats> & Pick<LayerStats, 'kind' | 'inputShape' | 'outputShape'>, index: number): LayerStats {
  return {
    index,
    path: String(index),
    name: `${index}:${p.kind}`,
    isNeuron: false,
    steps: p.inputShape[0]!,
    batches: 1,
    samples: p.inputShape[1]!,
    inputBinary: false,
    inputDensity: 1,
    outputNonzeroPerSample: 0,
    outputDensity: 0,
    weightShape: null,
    hasBias: false,
    poolWindow: null,
    neuron: null,
    ...p,
  };
}

test('ops: grouped conv, folded and unfolded batch norm, pooling, unknown kinds (from a summary)', () => {
  const layers: LayerStats[] = [
    // Conv2d C_in 4 → 8, groups 2, 3×3, output 5×5, spike input at 10% density, T = 2.
    { kind: 'Conv2d', inputShape: [2, 1, 4, 7, 7], outputShape: [2, 1, 8, 5, 5], weightShape: [8, 2, 3, 3], inputBinary: true, inputDensity: 0.1 },
    { kind: 'BatchNorm2d', inputShape: [2, 1, 8, 5, 5], outputShape: [2, 1, 8, 5, 5] },
    { kind: 'IF', isNeuron: true, inputShape: [2, 1, 8, 5, 5], outputShape: [2, 1, 8, 5, 5] },
    { kind: 'TdBatchNorm', inputShape: [2, 1, 8, 5, 5], outputShape: [2, 1, 8, 5, 5], inputBinary: true, inputDensity: 0.2 },
    { kind: 'MaxPool2d', inputShape: [2, 1, 8, 4, 4], outputShape: [2, 1, 8, 2, 2], poolWindow: 4, inputBinary: true, inputDensity: 0.25 },
    { kind: 'AvgPool2d', inputShape: [2, 1, 8, 4, 4], outputShape: [2, 1, 8, 2, 2], poolWindow: 4 },
    { kind: 'Mystery', inputShape: [2, 1, 3], outputShape: [2, 1, 3] },
    { kind: 'Odd', isNeuron: true, inputShape: [2, 1, 3], outputShape: [2, 1, 3] },
  ].map((p, i) => row(p as Parameters<typeof row>[0], i));
  const summary: MonitorSummary = { batches: 1, samples: 1, layers, spikesPerSample: 0, meanRate: 0 };
  const ops = countOps(summary);
  const [conv, bn, lif, bn2, maxp, avgp, mystery, odd] = ops.layers;
  assert.equal(conv!.denseMacsPerStep, 200 * 2 * 9);
  assert.equal(conv!.sops, 3600 * 2 * 0.1);
  assert.equal(conv!.weights, 144);
  // No inputValues in these hand-made rows: the traffic comes from the shapes (196 inputs and 200 outputs per step).
  assert.deepEqual(conv!.ann, { macs: 3600, acs: 0, reads: 196, writes: 200 });
  assert.deepEqual(conv!.activations, { reads: 392, readBits: 1, writes: 400, writeBits: null });
  // Folded into the bias-free conv: its shift is one add per element per step.
  assert.equal(bn!.macs, 0);
  assert.equal(bn!.acs, 400);
  assert.deepEqual(bn!.ann, { macs: 0, acs: 200, reads: 0, writes: 0 });
  assert.equal(bn!.activations.reads + bn!.activations.writes, 0, 'a folded norm moves nothing');
  // IF: 3 ACs per update, no MAC.
  assert.equal(lif!.neuronMacs, 0);
  assert.equal(lif!.neuronAcs, 3 * 400);
  // Norm after a neuron cannot be folded: one MAC per element per step.
  assert.equal(bn2!.macs, 400);
  // Pooling: window − 1 ops per output; spikes scale by density.
  assert.equal(maxp!.acs, 32 * 3 * 2 * 0.25);
  assert.equal(avgp!.acs, 32 * 3 * 2);
  assert.deepEqual(avgp!.ann, { macs: 0, acs: 96, reads: 128, writes: 32 });
  // A neuron row without the output flag (an older summary) writes spikes.
  assert.equal(lif!.activations.writeBits, 1);
  assert.equal(mystery!.category, 'unknown');
  assert.equal(mystery!.acs + mystery!.macs + mystery!.sops, 0);
  assert.equal(odd!.neuronMacs, 6);
  assert.deepEqual(ops.uncounted, ["6:Mystery: kind 'Mystery' has no cost rule"]);
  assert.ok(ops.assumptions.some((a) => a.includes("'Odd'")));
});

test('pool window from the monitor: kernel setting or shape ratio', () => {
  const { SumPool } = poolStandIns();
  const mon = new SpikeMonitor(new Sequential([new SumPool(false), new SumPool(true), new Mystery()]));
  mon.forward(zeros([1, 1, 2, 4, 4]));
  const s = mon.summary();
  assert.equal(s.layers[0]!.poolWindow, 4);
  assert.equal(s.layers[1]!.poolWindow, 9);
  assert.equal(s.layers[2]!.poolWindow, null);
  // Non-integer counts print with four significant digits, large ones with a unit.
  assert.equal(formatCount(3.5), '3.5');
  assert.equal(formatCount(1200.4), '1200');
  assert.equal(formatCount(123456), '123k');
});

function poolStandIns() {
  // Halves H and W by taking the top-left cell (only shapes matter here); may report a 3×3 kernel.
  class SumPool extends Mystery {
    constructor(private readonly reports: boolean) {
      super();
    }
    override get kind(): string {
      return 'SumPool2d';
    }
    override forward(x: ReturnType<typeof zeros>): ReturnType<typeof zeros> {
      const [T, B, C, H, W] = x.shape as [number, number, number, number, number];
      return this.reports ? x : zeros([T, B, C, H / 2, W / 2]);
    }
    override describe(): Record<string, unknown> {
      return this.reports ? { kernelSize: 3 } : {};
    }
  }
  return { SumPool };
}

test('profileModel and the markdown tables', () => {
  const model = handModel();
  model.train();
  const p = profileModel(model, [tensor(INPUT, [2, 2, 4])], { precisions: ['fp32', 'int8', 'fp16', 'int32'] });
  assert.equal(model.training, true);
  assert.deepEqual(p.ops.totals, handProfile().ops.totals);
  assert.equal(p.energy.results.length, 4);
  const lt = formatLayerTable(p.summary, p.ops).split('\n');
  assert.equal(lt.length, 2 + 4 + 1);
  assert.match(lt[0]!, /^\| Layer \| Input \| Output \| Steps/);
  assert.equal(lt[3]!, '| 1:Leaky | 4 | 4 | 2 | 43.75% | 43.75% | 1/4 | 1/4 | 0 | 0 | 0 | 24 |');
  assert.equal(lt[4]!, '| 2:Linear | 4 | 2 | 2 | 43.75% (spikes) |  |  |  | 0 | 7 | 4 | 0 |');
  assert.equal(lt[6]!, '| **total** |  |  |  |  | 58.33% |  |  | 32 | 7 | 4 | 36 |');
  const et = formatEnergyTable(p.energy).split('\n');
  assert.equal(et.length, 2 + 4);
  // fp32: SNN 233.9 + 478.125 pJ, ANN 117.6 + 250 pJ (ops-energy's hand figures); the ANN at fp32 is also the fp32 ANN.
  assert.equal(et[2]!, '| fp32 | fp32 / 32 b / 32 b | 234 pJ | 712 pJ | 118 pJ | 368 pJ | 368 pJ | 0.50× | 0.52× | no |');
  const lt2 = formatEnergyLayerTable(p.energy, p.ops).split('\n');
  assert.equal(lt2.length, 2 + 4 + 1);
  // Layer 0: 32 MACs (147.2 pJ), 32 weight reads (160 pJ), 16 real values moved (80 pJ); its ANN 73.6 + 80 + 40 pJ.
  assert.equal(lt2[2]!, '| 0:Linear | 43.75% |  | 0 | 32 | 147 pJ | 160 pJ | 80.0 pJ | 0.00 pJ | 387 pJ | 194 pJ |');
  // The second neuron layer fires [3, 4] times in 2 neurons × 4 rows (87.5%): 4 updates (25.6 pJ), 4 currents read (20 pJ)
  // and 4 spike bits written (0.625 pJ), 2·4 state accesses (40 pJ); its ANN: 2 ReLU compares, 2 + 2 values moved.
  assert.equal(lt2[5]!, '| 3:Leaky | 87.50% | 87.50% | 0 | 0 | 25.6 pJ | 0.00 pJ | 20.6 pJ | 40.0 pJ | 86.2 pJ | 21.8 pJ |');
  assert.equal(formatEnergyLayerTable(p.energy, p.ops, 'quantized'), '', 'no such row');
});
