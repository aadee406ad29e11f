import type { LayerOps, OpsReport } from './ops-count.js';

export type Precision = 'fp32' | 'fp16' | 'int32' | 'int8' | 'int4';
export const PRECISIONS: readonly Precision[] = Object.freeze(['fp32', 'fp16', 'int32', 'int8', 'int4']);

/** Energy of one arithmetic operation in picojoules at one precision. */
export interface OpEnergy {
  add: number;
  mult: number;
  /** Multiply-accumulate = mult + add. */
  mac: number;
  /** Accumulate (what a spike triggers) = add. */
  ac: number;
  /** Width of a stored value (weights, neuron state). */
  bits: number;
}

function op(add: number, mult: number, bits: number): OpEnergy {
  return Object.freeze({ add, mult, mac: add + mult, ac: add, bits });
}

/** Horowitz's 45 nm 8-bit integer row (ISSCC 2014), the base of the narrower widths. */
const INT8 = op(0.03, 0.2, 8);

/**
 * Integer arithmetic at b ≤ 8 bits, scaled from Horowitz's 8-bit figures: an
 * adder's energy grows linearly with its width and an array multiplier's with
 * the square of it — Horowitz's own 8 → 32-bit integer figures follow the same
 * rule (add 0.03 → 0.1 pJ, 3.3× for 4× the bits; multiply 0.2 → 3.1 pJ,
 * 15.5×). So int4: add 0.015 pJ, multiply 0.05 pJ; int2: 0.0075 and 0.0125.
 */
export function intOpEnergy(bits: number): OpEnergy {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`intOpEnergy: bits must be an integer from 1 to 8, got ${bits}`);
  if (bits === 8) return INT8;
  const r = bits / 8;
  return op(INT8.add * r, INT8.mult * r * r, bits);
}

/** 45 nm, Horowitz (ISSCC 2014), as quoted in semantics.md §4; int4 scaled from the int8 row (intOpEnergy). */
export const OP_ENERGY_PJ: Readonly<Record<Precision, OpEnergy>> = Object.freeze({
  fp32: op(0.9, 3.7, 32),
  fp16: op(0.4, 1.1, 16),
  int32: op(0.1, 3.1, 32),
  int8: INT8,
  int4: intOpEnergy(4),
});

/**
 * The widths a row of the energy table deploys a network at. Float rows keep
 * everything at their width. Integer rows narrower than 8 bits (int4) narrow
 * only the weights and the synaptic arithmetic: real-valued activations,
 * neuron state, neuron updates, pooling and norms stay at int8, as in the
 * quantized row (QSD-style W4 networks keep 8-bit activations and membranes;
 * a 4-bit membrane would not hold a leaky integration).
 */
export interface RowWidths {
  /** Synaptic arithmetic and weight storage. */
  synaptic: OpEnergy;
  /** Everything else: neuron updates, pooling, norms, residual adds, attention products. */
  other: OpEnergy;
  /** Stored width of a real-valued activation (spikes are always 1 bit). */
  activationBits: number;
  /** Stored width of a neuron state word (membrane, adaptation, ...). */
  stateBits: number;
}

export function precisionWidths(p: Precision): RowWidths {
  const e = OP_ENERGY_PJ[p];
  if (e.bits >= 8) return { synaptic: e, other: e, activationBits: e.bits, stateBits: e.bits };
  return { synaptic: e, other: INT8, activationBits: 8, stateBits: 8 };
}

/** One memory tier: a 64-bit access to an array of at most `maxBytes`. */
export interface MemoryTier {
  name: string;
  maxBytes: number;
  pJPer64Bit: number;
}

/**
 * 45 nm memory energies per 64-bit access (Horowitz 2014): SRAM of 8 KB, 32 KB,
 * 1 MB; anything larger is served from DRAM, taken at the low end (1.3 nJ) of
 * the quoted 1.3–2.6 nJ so the figure is a lower bound.
 */
export const MEMORY_TIERS: readonly MemoryTier[] = Object.freeze([
  { name: 'SRAM 8KB', maxBytes: 8 * 1024, pJPer64Bit: 10 },
  { name: 'SRAM 32KB', maxBytes: 32 * 1024, pJPer64Bit: 20 },
  { name: 'SRAM 1MB', maxBytes: 1024 * 1024, pJPer64Bit: 100 },
  { name: 'DRAM', maxBytes: Infinity, pJPer64Bit: 1300 },
]);

/** The smallest tier that holds `bytes`. */
export function memoryTier(bytes: number): MemoryTier {
  return MEMORY_TIERS.find((t) => bytes <= t.maxBytes) ?? MEMORY_TIERS[MEMORY_TIERS.length - 1]!;
}

/** Energy of reading or writing one value of `bits` from an array of `bytes`, assuming values packed into 64-bit words. */
export function accessEnergyPJ(bytes: number, bits: number): number {
  return (memoryTier(bytes).pJPer64Bit * bits) / 64;
}

export interface LayerEnergy {
  name: string;
  computePJ: number;
  /** weightPJ + activationPJ + statePJ. */
  memoryPJ: number;
  /** Weight reads at the stored weight width. */
  weightPJ: number;
  /** Activation reads and writes (spikes at 1 bit, real values at the activation width). */
  activationPJ: number;
  /** Neuron state read and written every update, across the time steps. */
  statePJ: number;
}

export interface EnergyBreakdown {
  /** Arithmetic only. */
  computePJ: number;
  /** Weight, activation and neuron state traffic under the stated memory model. */
  memoryPJ: number;
  weightPJ: number;
  activationPJ: number;
  statePJ: number;
  /** computePJ + memoryPJ: the memory-inclusive figure. */
  totalPJ: number;
  /** Part of computePJ spent in neuron updates (0 for the ANN). */
  neuronPJ: number;
  layers: LayerEnergy[];
}

/** What a row deploys the network at, in words a table can print. */
export interface RowDescription {
  /** Weight widths, e.g. 'fp32', 'int4', 'int4/fp32'. */
  weights: string;
  /** Real-valued activations (spikes are 1 bit). */
  activationBits: number;
  stateBits: number;
}

export interface EnergyResult {
  /** A uniform precision, or 'quantized': each quantized layer at its weights' bit width (quantizedEnergy). */
  precision: Precision | 'quantized';
  /** What the row stands for when `precision` alone does not say it (the quantized row). */
  label?: string;
  widths: RowDescription;
  snn: EnergyBreakdown;
  /**
   * The equivalent ANN at this row's widths: the bit-width-matched quantized
   * ANN of an integer row (the fair rival: same small weights, no sparsity),
   * the plain ANN of a float row.
   */
  ann: EnergyBreakdown;
  /** The equivalent ANN in fp32 (the conventional baseline; the same in every row). */
  annFp32: EnergyBreakdown;
  /** ANN / SNN: above 1 means the SNN needs less energy (null when the SNN figure is 0). */
  annOverSnnCompute: number | null;
  annOverSnnTotal: number | null;
  /** The memory-inclusive SNN figure is below both the fp32 ANN's and the bit-width-matched ANN's. */
  snnWins: boolean;
}

export interface EnergyReport {
  unit: 'pJ per sample';
  results: EnergyResult[];
  assumptions: string[];
}

export interface EnergyOptions {
  precisions?: readonly Precision[];
}

export const ENERGY_ASSUMPTIONS: readonly string[] = Object.freeze([
  'Arithmetic energies: 45 nm, Horowitz (ISSCC 2014): fp32 add 0.9 pJ, multiply 3.7 pJ; fp16 0.4, 1.1; int32 0.1, 3.1; int8 0.03, 0.2; MAC = mult + add (fp32 4.6 pJ), AC (synaptic op on a spike) = add (fp32 0.9 pJ).',
  'Compute-only energy = SOPs·E_AC + MACs·E_MAC + other ACs·E_AC + neuron-update MACs·E_MAC + neuron-update ACs·E_AC.',
  'Memory energies: 45 nm, Horowitz (ISSCC 2014), per 64-bit access: SRAM 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ, larger arrays DRAM 1.3 nJ (the low end of 1.3–2.6 nJ); values are packed, so a b-bit value costs E_64·b/64 (fp32: 1.25 pJ per byte from 8 KB SRAM). An array sits in the smallest memory that holds it (batch 1).',
  'Weights: every synaptic op (SOP or MAC) reads one weight at its stored width from the memory that holds the layer\'s weight array (no reuse, SNN and ANN alike).',
  "Activations: every layer that computes (synaptic, neuron, pooling, unfolded norm, residual add, attention product) reads each of its input values and writes each output value once per step it runs; spikes are stored at 1 bit, multi-level counts 0..D at ⌈log2(D+1)⌉ bits, real values (the input image, synaptic currents, membrane shortcuts) at the row's activation width; one step's tensor sets the memory tier. Views (flatten, dropout, the time repeat) and norms folded into the weights move nothing.",
  "Neuron state: every neuron update reads and writes each of its state words at the row's state width, in an SRAM sized by the layer's state (neurons·state words·bits/8 bytes, batch 1): the membrane traffic across time steps.",
  'Not counted: biases and norm parameters, instruction and control overhead, static/leakage power.',
  'Equivalent ANN: the same layers once (no T) on dense real-valued inputs, one weight read per MAC, ReLU one comparison per neuron, activations at the row\'s width, no state. Each row has the ANN at its own widths (for an integer row the bit-width-matched quantized ANN) and the fp32 ANN; "SNN wins" when the memory-inclusive SNN figure is below both.',
  'Integer rows below 8 bits (int4) narrow the weights and the synaptic arithmetic only: activations, neuron state and the other arithmetic stay at int8 (precisionWidths).',
]);

/** Added to the assumptions when the model has quantized layers (the 'quantized' row). */
export const QUANTIZED_ENERGY_ASSUMPTIONS: readonly string[] = Object.freeze([
  "Quantized row: each quantized layer's synaptic operations and weight reads at its weights' bit width b (weights packed at b bits in the memory model); integer arithmetic below 8 bits scaled from Horowitz's 8-bit figures, add ∝ b and multiply ∝ b² (his 8 → 32-bit integer figures follow the same rule), so int4 add 0.015 pJ and multiply 0.05 pJ; layers kept in float (skip_first, skip_last, exclude) at fp32; neuron updates, neuron state, real-valued activations, pooling and norms at int8. Its ANN is the equivalent ANN quantized the same way: the same layers' MACs and weights at the same bit widths, activations at int8.",
  'As in the int8 row, an accumulate (AC) is charged at the width of the weight it adds; a real membrane accumulator is wider (16–32 bits, about 0.06–0.1 pJ per add), which would raise the SNN and ANN figures alike.',
]);

/** The widths one layer of a row runs at. */
interface LayerWidths {
  /** Arithmetic of the layer (its synaptic ops when it has weights, else its other ops). */
  e: OpEnergy;
  weightBits: number;
  activationBits: number;
  stateBits: number;
}

/** Reading or writing `values` values of `bits` each, from an array of one step's values at that width. */
function traffic(values: number, bits: number, valuesPerStep: number): number {
  return values > 0 ? values * accessEnergyPJ((valuesPerStep * bits) / 8, bits) : 0;
}

function layerEnergy(o: LayerOps, w: LayerWidths): { snn: LayerEnergy; ann: LayerEnergy; neuronPJ: number } {
  const { e } = w;
  const neuronPJ = o.neuronMacs * e.mac + o.neuronAcs * e.ac;
  const snnCompute = o.sops * e.ac + o.macs * e.mac + o.acs * e.ac + neuronPJ;
  const weightRead = o.weights > 0 ? accessEnergyPJ((o.weights * w.weightBits) / 8, w.weightBits) : 0;
  const stateAccess = o.neurons > 0 ? accessEnergyPJ((o.neurons * o.stateWords * w.stateBits) / 8, w.stateBits) : 0;
  const steps = Math.max(1, o.steps);
  const a = o.activations;
  const snnAct =
    traffic(a.reads, a.readBits ?? w.activationBits, a.reads / steps) + traffic(a.writes, a.writeBits ?? w.activationBits, a.writes / steps);
  const snnWeight = (o.sops + o.macs) * weightRead;
  const snnState = 2 * o.stateWords * o.neuronUpdates * stateAccess;
  // The synaptic MACs of the ANN are those of its weighted layers; unfolded norms have no weight array to read.
  const annWeight = (o.category === 'synaptic' ? o.ann.macs : 0) * weightRead;
  const annAct = traffic(o.ann.reads, w.activationBits, o.ann.reads) + traffic(o.ann.writes, w.activationBits, o.ann.writes);
  return {
    snn: { name: o.name, computePJ: snnCompute, memoryPJ: snnWeight + snnAct + snnState, weightPJ: snnWeight, activationPJ: snnAct, statePJ: snnState },
    ann: { name: o.name, computePJ: o.ann.macs * e.mac + o.ann.acs * e.ac, memoryPJ: annWeight + annAct, weightPJ: annWeight, activationPJ: annAct, statePJ: 0 },
    neuronPJ,
  };
}

function breakdown(layers: LayerEnergy[], neuronPJ: number): EnergyBreakdown {
  let c = 0, w = 0, a = 0, st = 0;
  for (const l of layers) {
    c += l.computePJ;
    w += l.weightPJ;
    a += l.activationPJ;
    st += l.statePJ;
  }
  const m = w + a + st;
  return { computePJ: c, memoryPJ: m, weightPJ: w, activationPJ: a, statePJ: st, totalPJ: c + m, neuronPJ, layers };
}

/** a / b, or null when b is 0 (JSON has no Infinity). */
function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** SNN and ANN of one row, each layer at the widths `widthsOf` gives it. */
function row(ops: OpsReport, widthsOf: (o: LayerOps) => LayerWidths): { snn: EnergyBreakdown; ann: EnergyBreakdown } {
  const snn: LayerEnergy[] = [];
  const ann: LayerEnergy[] = [];
  let neuronPJ = 0;
  for (const o of ops.layers) {
    const r = layerEnergy(o, widthsOf(o));
    snn.push(r.snn);
    ann.push(r.ann);
    neuronPJ += r.neuronPJ;
  }
  return { snn: breakdown(snn, neuronPJ), ann: breakdown(ann, 0) };
}

function uniformRow(ops: OpsReport, p: Precision): { snn: EnergyBreakdown; ann: EnergyBreakdown } {
  const w = precisionWidths(p);
  return row(ops, (o) => {
    const e = o.category === 'synaptic' ? w.synaptic : w.other;
    return { e, weightBits: w.synaptic.bits, activationBits: w.activationBits, stateBits: w.stateBits };
  });
}

function result(precision: EnergyResult['precision'], widths: RowDescription, r: { snn: EnergyBreakdown; ann: EnergyBreakdown }, annFp32: EnergyBreakdown, label?: string): EnergyResult {
  return {
    precision,
    ...(label !== undefined ? { label } : {}),
    widths,
    snn: r.snn,
    ann: r.ann,
    annFp32,
    annOverSnnCompute: ratio(r.ann.computePJ, r.snn.computePJ),
    annOverSnnTotal: ratio(r.ann.totalPJ, r.snn.totalPJ),
    snnWins: r.snn.totalPJ < Math.min(r.ann.totalPJ, annFp32.totalPJ),
  };
}

/** Per-sample energy of the profiled SNN, of its equivalent ANN at the same widths and of the fp32 ANN, compute-only and memory-inclusive. */
export function estimateEnergy(ops: OpsReport, opts: EnergyOptions = {}): EnergyReport {
  const precisions = opts.precisions ?? (['fp32', 'int8'] as const);
  const annFp32 = uniformRow(ops, 'fp32').ann;
  const results = precisions.map((p): EnergyResult => {
    const w = precisionWidths(p);
    return result(p, { weights: p, activationBits: w.activationBits, stateBits: w.stateBits }, uniformRow(ops, p), annFp32);
  });
  const quantized = quantizedEnergy(ops, annFp32);
  if (quantized) results.push(quantized);
  return { unit: 'pJ per sample', results, assumptions: [...ops.assumptions, ...ENERGY_ASSUMPTIONS, ...(quantized ? QUANTIZED_ENERGY_ASSUMPTIONS : [])] };
}

/**
 * The quantized SNN and its equally quantized ANN, or null when no layer has a
 * quantized weight: synaptic layers at their weights' bit width (float layers
 * at fp32), everything else, activations and neuron state at int8.
 */
export function quantizedEnergy(ops: OpsReport, annFp32: EnergyBreakdown = uniformRow(ops, 'fp32').ann): EnergyResult | null {
  const synaptic = ops.layers.filter((o) => o.category === 'synaptic');
  const q = synaptic.filter((o) => o.weightBits !== null);
  if (q.length === 0) return null;
  const r = row(ops, (o) => {
    const e = o.category === 'synaptic' ? (o.weightBits !== null ? intOpEnergy(o.weightBits) : OP_ENERGY_PJ.fp32) : OP_ENERGY_PJ.int8;
    return { e, weightBits: e.bits, activationBits: 8, stateBits: 8 };
  });
  const bits = [...new Set(q.map((o) => o.weightBits!))].sort((x, y) => x - y);
  const widths = bits.map((b) => `int${b}`).join('/');
  const label = `${widths} weights in ${q.length} of ${synaptic.length} weighted layers${q.length < synaptic.length ? ' (the others fp32)' : ''}, int8 neurons`;
  return result('quantized', { weights: widths + (q.length < synaptic.length ? '/fp32' : ''), activationBits: 8, stateBits: 8 }, r, annFp32, label);
}
