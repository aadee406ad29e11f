import type { LayerOps, OpsReport } from './ops-count.js';

export type Precision = 'fp32' | 'fp16' | 'int32' | 'int8';
export const PRECISIONS: readonly Precision[] = Object.freeze(['fp32', 'fp16', 'int32', 'int8']);

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

/** 45 nm, Horowitz (ISSCC 2014), as quoted in semantics.md §4. */
export const OP_ENERGY_PJ: Readonly<Record<Precision, OpEnergy>> = Object.freeze({
  fp32: op(0.9, 3.7, 32),
  fp16: op(0.4, 1.1, 16),
  int32: op(0.1, 3.1, 32),
  int8: op(0.03, 0.2, 8),
});

/**
 * Integer arithmetic at b ≤ 8 bits, scaled from Horowitz's 8-bit figures: an
 * adder's energy grows linearly with its width and an array multiplier's with
 * the square of it — Horowitz's own 8 → 32-bit integer figures follow the same
 * rule (add 0.03 → 0.1 pJ, 3.3× for 4× the bits; multiply 0.2 → 3.1 pJ,
 * 15.5×). So int4: add 0.015 pJ, multiply 0.05 pJ; int2: 0.0075 and 0.0125.
 */
export function intOpEnergy(bits: number): OpEnergy {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`intOpEnergy: bits must be an integer from 1 to 8, got ${bits}`);
  if (bits === 8) return OP_ENERGY_PJ.int8;
  const r = bits / 8;
  return op(OP_ENERGY_PJ.int8.add * r, OP_ENERGY_PJ.int8.mult * r * r, bits);
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
  memoryPJ: number;
}

export interface EnergyBreakdown {
  /** Arithmetic only. */
  computePJ: number;
  /** Weight reads and neuron state traffic under the stated memory model. */
  memoryPJ: number;
  /** computePJ + memoryPJ: the memory-inclusive figure. */
  totalPJ: number;
  /** Part of computePJ spent in neuron updates (0 for the ANN). */
  neuronPJ: number;
  layers: LayerEnergy[];
}

export interface EnergyResult {
  /** A uniform precision, or 'quantized': each quantized layer at its weights' bit width (quantizedEnergy). */
  precision: Precision | 'quantized';
  /** What the row stands for when `precision` alone does not say it (the quantized row). */
  label?: string;
  snn: EnergyBreakdown;
  ann: EnergyBreakdown;
  /** ANN / SNN: above 1 means the SNN needs less energy (null when the SNN figure is 0). */
  annOverSnnCompute: number | null;
  annOverSnnTotal: number | null;
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
  'Arithmetic energies: 45 nm, Horowitz (ISSCC 2014); MAC = mult + add, AC (synaptic op on a spike) = add.',
  'Compute-only energy = SOPs·E_AC + MACs·E_MAC + other ACs·E_AC + neuron-update MACs·E_MAC + neuron-update ACs·E_AC.',
  'Memory model: every synaptic op (SOP or MAC) reads one weight; the weight array of a layer (weights·bits/8 bytes) sits in the smallest memory that holds it (SRAM 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ, else DRAM 1.3 nJ per 64-bit access); values are packed, so one read costs E_64·bits/64.',
  'Memory model: every neuron update reads and writes each of its state words from an SRAM sized by the layer\'s state (neurons·state words·bits/8 bytes, batch 1).',
  'Memory model, not counted: input/activation/spike traffic, biases and norm parameters, pooling, instruction and control overhead, static/leakage power.',
  'Equivalent ANN: one dense pass, one weight read per MAC, ReLU one comparison per neuron, no state traffic.',
]);

/** Added to the assumptions when the model has quantized layers (the 'quantized' row). */
export const QUANTIZED_ENERGY_ASSUMPTIONS: readonly string[] = Object.freeze([
  "Quantized row: each quantized layer's synaptic operations and weight reads at its weights' bit width b (weights packed at b bits in the memory model); integer arithmetic below 8 bits scaled from Horowitz's 8-bit figures, add ∝ b and multiply ∝ b² (his 8 → 32-bit integer figures follow the same rule), so int4 add 0.015 pJ and multiply 0.05 pJ; layers kept in float (skip_first, skip_last, exclude) at fp32; neuron updates, neuron state, pooling and norms at int8. Its ANN is the equivalent ANN quantized the same way: the same layers' MACs at the same bit widths.",
  'As in the int8 row, an accumulate (AC) is charged at the width of the weight it adds; a real membrane accumulator is wider (16–32 bits, about 0.06–0.1 pJ per add), which would raise the SNN and ANN figures alike.',
]);

function layerEnergy(o: LayerOps, e: OpEnergy): { snn: LayerEnergy; ann: LayerEnergy; neuronPJ: number } {
  const neuronPJ = o.neuronMacs * e.mac + o.neuronAcs * e.ac;
  const snnCompute = o.sops * e.ac + o.macs * e.mac + o.acs * e.ac + neuronPJ;
  const weightRead = o.weights > 0 ? accessEnergyPJ((o.weights * e.bits) / 8, e.bits) : 0;
  const stateAccess = o.neurons > 0 ? accessEnergyPJ((o.neurons * o.stateWords * e.bits) / 8, e.bits) : 0;
  const snnMemory = (o.sops + o.macs) * weightRead + 2 * o.stateWords * o.neuronUpdates * stateAccess;
  // The synaptic MACs of the ANN are those of its weighted layers; unfolded norms have no weight array to read.
  const annSynaptic = o.category === 'synaptic' ? o.ann.macs : 0;
  return {
    snn: { name: o.name, computePJ: snnCompute, memoryPJ: snnMemory },
    ann: { name: o.name, computePJ: o.ann.macs * e.mac + o.ann.acs * e.ac, memoryPJ: annSynaptic * weightRead },
    neuronPJ,
  };
}

function breakdown(layers: LayerEnergy[], neuronPJ: number): EnergyBreakdown {
  let c = 0, m = 0;
  for (const l of layers) {
    c += l.computePJ;
    m += l.memoryPJ;
  }
  return { computePJ: c, memoryPJ: m, totalPJ: c + m, neuronPJ, layers };
}

/** a / b, or null when b is 0 (JSON has no Infinity). */
function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** Per-sample energy of the profiled SNN and of its equivalent ANN, compute-only and memory-inclusive. */
export function estimateEnergy(ops: OpsReport, opts: EnergyOptions = {}): EnergyReport {
  const precisions = opts.precisions ?? (['fp32', 'int8'] as const);
  const results = precisions.map((p): EnergyResult => {
    const e = OP_ENERGY_PJ[p];
    const snn: LayerEnergy[] = [];
    const ann: LayerEnergy[] = [];
    let neuronPJ = 0;
    for (const o of ops.layers) {
      const r = layerEnergy(o, e);
      snn.push(r.snn);
      ann.push(r.ann);
      neuronPJ += r.neuronPJ;
    }
    const s = breakdown(snn, neuronPJ);
    const a = breakdown(ann, 0);
    return { precision: p, snn: s, ann: a, annOverSnnCompute: ratio(a.computePJ, s.computePJ), annOverSnnTotal: ratio(a.totalPJ, s.totalPJ) };
  });
  const quantized = quantizedEnergy(ops);
  if (quantized) results.push(quantized);
  return { unit: 'pJ per sample', results, assumptions: [...ops.assumptions, ...ENERGY_ASSUMPTIONS, ...(quantized ? QUANTIZED_ENERGY_ASSUMPTIONS : [])] };
}

/**
 * The quantized SNN and its equally quantized ANN, or null when no layer has a
 * quantized weight: synaptic layers at their weights' bit width (float layers
 * at fp32), everything else at int8.
 */
export function quantizedEnergy(ops: OpsReport): EnergyResult | null {
  const synaptic = ops.layers.filter((o) => o.category === 'synaptic');
  const q = synaptic.filter((o) => o.weightBits !== null);
  if (q.length === 0) return null;
  const snn: LayerEnergy[] = [];
  const ann: LayerEnergy[] = [];
  let neuronPJ = 0;
  for (const o of ops.layers) {
    const e = o.category === 'synaptic' ? (o.weightBits !== null ? intOpEnergy(o.weightBits) : OP_ENERGY_PJ.fp32) : OP_ENERGY_PJ.int8;
    const r = layerEnergy(o, e);
    snn.push(r.snn);
    ann.push(r.ann);
    neuronPJ += r.neuronPJ;
  }
  const s = breakdown(snn, neuronPJ);
  const a = breakdown(ann, 0);
  const widths = [...new Set(q.map((o) => o.weightBits!))].sort((x, y) => x - y).map((b) => `int${b}`).join('/');
  const label = `${widths} weights in ${q.length} of ${synaptic.length} weighted layers${q.length < synaptic.length ? ' (the others fp32)' : ''}, int8 neurons`;
  return { precision: 'quantized', label, snn: s, ann: a, annOverSnnCompute: ratio(a.computePJ, s.computePJ), annOverSnnTotal: ratio(a.totalPJ, s.totalPJ) };
}
