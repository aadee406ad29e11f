import test from 'node:test';
import assert from 'node:assert/strict';
import { SpikeMonitor } from '../../src/analysis/monitor.js';
import { countOps } from '../../src/analysis/ops-count.js';
import { estimateEnergy, intOpEnergy, OP_ENERGY_PJ, QUANTIZED_ENERGY_ASSUMPTIONS } from '../../src/analysis/energy.js';
import { formatQuantizedComparison } from '../../src/analysis/report.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Sequential } from '../../src/nn/containers.js';
import { Flatten } from '../../src/nn/flatten.js';
import { MaxPool2d } from '../../src/nn/pool.js';
import { MultiLevel } from '../../src/neurons/multilevel/index.js';
import { tensor } from '../../src/tensor/create.js';
import type { Linear } from '../../src/nn/linear.js';
import { handModel, INPUT, fixedLinear } from './stand-ins.js';
import { Module } from '../../src/module/module.js';
import { reshape } from '../../src/ops/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** [T, B, n] → [T, B, ...shape]: a 'Reshape' row (free, keeps counts counts). */
class ReshapeTo extends Module {
  constructor(private readonly shape: number[]) {
    super();
  }
  get kind(): string {
    return 'Reshape';
  }
  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, x.shape[1]!, ...this.shape]);
  }
}

const close = (a: number, e: number, what: string): void => assert.ok(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${what}: got ${a}, expected ${e}`);

test('intOpEnergy: int8 is Horowitz\'s row; below 8 bits add ∝ b, multiply ∝ b²', () => {
  assert.deepEqual(intOpEnergy(8), OP_ENERGY_PJ.int8);
  const e4 = intOpEnergy(4);
  close(e4.add, 0.015, 'int4 add');
  close(e4.mult, 0.05, 'int4 mult');
  close(e4.mac, 0.065, 'int4 MAC');
  assert.equal(e4.bits, 4);
  close(intOpEnergy(2).mult, 0.0125, 'int2 mult');
  assert.throws(() => intOpEnergy(12), /bits must be an integer from 1 to 8/);
});

test('energy: the quantized row charges each quantized layer at its bit width, float layers at fp32, neurons at int8 (hand-computed)', () => {
  const m = handModel();
  // The second linear layer (4 → 2, bias) with 4-bit weights: steps of 1/4 keep the hand model's weights on the grid.
  (m.layers[2] as Linear).setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false }, [0.25, 0.25]);
  const mon = new SpikeMonitor(m);
  noGrad(() => mon.forward(tensor(INPUT, [2, 2, 4])));
  const summary = mon.summary();
  assert.deepEqual(summary.layers.map((l) => l.weightBits), [null, null, 4, null]);
  const ops = countOps(summary);
  const sops = ops.layers[2]!.sops;
  assert.equal(sops, 7, 'the same spikes as the float hand model');
  const rep = estimateEnergy(ops, { precisions: ['fp32'] });
  assert.deepEqual(rep.results.map((r) => r.precision), ['fp32', 'quantized']);
  const q = rep.results[1]!;
  assert.equal(q.label, 'int4 weights in 1 of 2 weighted layers (the others fp32), int8 neurons');
  const i4 = intOpEnergy(4), i8 = OP_ENERGY_PJ.int8, f = OP_ENERGY_PJ.fp32;
  // SNN compute: layer 0 32 fp32 MACs; layer 2 7 SOPs + 4 bias adds at int4; neurons 12 MACs + 24 ACs at int8.
  close(q.snn.computePJ, 32 * f.mac + (7 + 4) * i4.add + 12 * i8.mac + 24 * i8.add, 'quantized SNN compute');
  close(q.snn.neuronPJ, 12 * i8.mac + 24 * i8.add, 'int8 neurons');
  // Memory (all arrays < 8 KB, 10 pJ per 64 bits): 32 fp32 weight reads, 7 int4 weight reads, 2·(8 + 4) int8 state accesses,
  // 32 real activations at int8 and 20 spike bits (ops-energy.test.ts counts them).
  close(q.snn.memoryPJ, 32 * (10 * 32) / 64 + 7 * (10 * 4) / 64 + 24 * (10 * 8) / 64 + 32 * (10 * 8) / 64 + 20 * 10 / 64, 'quantized SNN memory');
  assert.deepEqual(q.widths, { weights: 'int4/fp32', activationBits: 8, stateBits: 8 });
  // The ANN quantized the same way: 16 fp32 MACs, 8 int4 MACs + 2 int4 bias adds, 6 ReLU compares at int8.
  close(q.ann.computePJ, 16 * f.mac + 8 * i4.mac + 2 * i4.add + 6 * i8.add, 'quantized ANN compute');
  close(q.ann.memoryPJ, 16 * (10 * 32) / 64 + 8 * (10 * 4) / 64 + 26 * (10 * 8) / 64, 'quantized ANN memory');
  assert.deepEqual(q.annFp32, rep.results[0]!.ann, 'the fp32 ANN beside it');
  for (const a of QUANTIZED_ENERGY_ASSUMPTIONS) assert.ok(rep.assumptions.includes(a));
  const table = formatQuantizedComparison(rep);
  assert.match(table, /\| fp32 SNN \|/);
  assert.match(table, /\| quantized SNN \(int4 weights/);
  assert.match(table, /\| equivalent ANN, quantized the same way \|/);
  // A float model has no quantized row and no comparison.
  const plain = estimateEnergy(countOps((() => {
    const mon2 = new SpikeMonitor(handModel());
    noGrad(() => mon2.forward(tensor(INPUT, [2, 2, 4])));
    return mon2.summary();
  })()));
  assert.deepEqual(plain.results.map((r) => r.precision), ['fp32', 'int8']);
  assert.equal(formatQuantizedComparison(plain), '');
});

test('ops: a layer fed by multi-level counts costs Σ counts · fan-out accumulates, through pooling and reshapes', () => {
  const D = 4;
  const lin = fixedLinear(Array.from({ length: 8 }, (_, o) => Array.from({ length: 3 }, (_, i) => ((o + 1) * (i + 2)) % 5 / 2)));
  const ml = new MultiLevel([2, 2, 2], { levels: D, threshold: 0.4 });
  // linear → reshape to [2, 2, 2] → multilevel → max-pool 2×2 → flatten → linear (fan-out 3).
  const net = new Sequential([lin, new ReshapeTo([2, 2, 2]), ml, new MaxPool2d(2), new Flatten(), fixedLinear([[1, 2], [0, 1], [3, 0]])]);
  const T = 3, B = 2;
  const x = tensor(Array.from({ length: T * B * 3 }, (_, i) => ((i * 7) % 11) / 4), [T, B, 3]);
  const mon = new SpikeMonitor(net);
  noGrad(() => mon.forward(x));
  const s = mon.summary();
  const last = s.layers[s.layers.length - 1]!;
  assert.equal(last.inputLevels, D, 'the counts are recognised after max pooling and flattening');
  assert.equal(last.inputBinary, false);
  // The counts the last layer saw, recomputed from the multilevel output (normalized c/D) and the 2×2 max.
  net.resetState();
  const pooled = noGrad(() => net.layers[3]!.forward(ml.forward(net.layers[1]!.forward(lin.forward(x))))).data;
  let counts = 0;
  for (const v of pooled) counts += v * D;
  assert.ok(counts > 0 && [...pooled].some((v) => v * D >= 2), 'multi-level spikes with counts above 1');
  const ops = countOps(s);
  close(ops.layers[ops.layers.length - 1]!.sops, (counts * 3) / B, 'SOPs = Σ counts · fan-out per sample');
  assert.equal(ops.layers[ops.layers.length - 1]!.macs, 0);
  assert.ok(ops.assumptions.some((a) => /multi-level spike counts/.test(a)));
});
