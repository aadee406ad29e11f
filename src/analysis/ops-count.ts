import { sizeOf } from '../tensor/shape.js';
import { categorize, type LayerCategory } from './layer-kinds.js';
import type { LayerStats, MonitorSummary } from './monitor.js';
import { neuronCostOf, type NeuronCost } from './neuron-costs.js';

/** Operation counts of one layer, per sample (one input sequence). */
export interface LayerOps {
  index: number;
  name: string;
  kind: string;
  category: LayerCategory;
  /** Time steps the layer ran (1 for layers before RepeatTime). */
  steps: number;
  inputBinary: boolean;
  inputDensity: number;
  /** Synaptic MACs of one step at full density (0 for non-synaptic layers). */
  denseMacsPerStep: number;
  /** Multiply-accumulates on real-valued input: denseMacsPerStep · steps (plus unfolded norms). */
  macs: number;
  /** Synaptic operations (accumulates) on spike input: denseMacsPerStep · steps · input density. */
  sops: number;
  /** Other additions and comparisons: biases, folded norm shifts, pooling, residual adds. */
  acs: number;
  /** Neurons per sample (neuron layers), and updates = neurons · steps. */
  neurons: number;
  neuronUpdates: number;
  neuronMacs: number;
  neuronAcs: number;
  /** State variables per neuron read and written each update. */
  stateWords: number;
  /** Weight count (for the memory model; 0 without weights). */
  weights: number;
  /** Bit width of a quantized weight (null: float). */
  weightBits: number | null;
  /** D when the input is multi-level spike counts (0..D per step), else null. */
  inputLevels: number | null;
  /** Fraction of this layer's outputs that are nonzero (a neuron layer's spike rate per neuron and step). */
  outputDensity: number;
  /**
   * Activation traffic per sample (the memory model, energy.ts): values read
   * and written, and their stored width in bits, or null for a real value
   * stored at the precision's activation width. Zero for layers that move
   * nothing (views, folded norms).
   */
  activations: { reads: number; readBits: number | null; writes: number; writeBits: number | null };
  /** The equivalent ANN: same layer, dense, one pass, neurons replaced by ReLU (one comparison); its activations are all real-valued. */
  ann: { macs: number; acs: number; reads: number; writes: number };
}

export interface OpsTotals {
  macs: number;
  sops: number;
  acs: number;
  neuronMacs: number;
  neuronAcs: number;
  annMacs: number;
  annAcs: number;
}

export interface OpsReport {
  /** Samples the counts were averaged over. */
  samples: number;
  layers: LayerOps[];
  totals: OpsTotals;
  /** Rows whose cost could not be derived (unknown kinds): counted as zero. */
  uncounted: string[];
  assumptions: string[];
}

export interface OpsOptions {
  /** Neuron update costs by kind, overriding or extending the registered ones. */
  neuronCosts?: Readonly<Record<string, NeuronCost>>;
}

export const OPS_ASSUMPTIONS: readonly string[] = Object.freeze([
  'All counts are per sample (one input sequence), averaged over the samples the monitor saw.',
  'Linear/Conv dense MACs per step = output elements · Π weight.shape[1:] (Linear: in·out; Conv: output numel · C_in/groups · Πk).',
  'A layer whose input is binary spikes costs SOPs = dense MACs · steps · measured input density (accumulates, no multiplies); a real-valued input costs MACs = dense MACs · steps, where steps = 1 for layers before RepeatTime (input constant over time, computed once and cached).',
  'Bias: one AC per output element per step.',
  'BatchNorm right after Linear/Conv is folded into it at inference (scale into the weights, shift into the bias): 0 MACs, plus one AC per element per step only when the layer has no bias of its own; elsewhere it costs one MAC per element per step.',
  'Pooling (sum/avg/max): window − 1 additions or comparisons per output element per step, counted as ACs (the 1/window of avg pooling folded into the next weights); scaled by input density when the input is spikes.',
  'Residual Add: one AC per element per step, scaled by input density when both inputs are spikes.',
  'Neuron updates are counted separately per neuron per step from the registry entry of each neuron model (LIF: 1 MAC for β·v + I, 2 ACs for threshold compare and reset).',
  'Equivalent ANN: the same layers run once (no T) on dense inputs, neuron layers replaced by ReLU costing one comparison (AC) per neuron.',
  'Dropout, Flatten and RepeatTime cost nothing.',
  'A layer fed by multi-level spike counts (a multilevel neuron, counts 0..D per step) costs SOPs = dense MACs · steps · mean count per input element: a count c is sent as c binary spikes over D virtual time steps (src/quant/virtual-steps.ts), c accumulates per synapse (semantics.md §4 with s = c). One multiply-add by the count per nonzero input would be cheaper only when the mean nonzero count exceeds E_MAC/E_AC (7.7 at int8, 5.1 at fp32).',
  'Language-model ops (rwkv and transformer layers), on real values: WKV costs 10 MACs per channel and token (its sums, division and state update, each exponential counted as one), a sigmoid gate 1 MAC per element, GELU 5 MACs per element; causal softmax attention costs 2·dh + 1 MACs per (query, key) pair with the key at or before the query (q·k, the weighted sum of v, the exponential), so a token at position p costs (p + 1)·(2·dh + 1) per head and the per-token figure over a context of T tokens from a fresh state is the mean, (T + 1)/2 pairs per head.',
  'Attention products (LinearAttention, TokenDot, ChannelMask rows of the ssa/sdsa blocks) are counted on the data: on spikes, one accumulate per pair of coincident nonzeros (G = K Vᵀ) and dh per nonzero Q entry (Gᵀ Q), one per coincident K, V pair for TokenDot, one per nonzero Q entry passed by ChannelMask; on real values the same products count as MACs. The scale 0.125 folds into the next LIF threshold. The equivalent ANN runs the same linear attention densely: 2·N·dh² MACs per head per step.',
]);

/** Elements of one sample at one step (shape without the T and B dimensions). */
function perStep(shape: readonly number[]): number {
  return shape.length < 2 ? 0 : sizeOf(shape.slice(2));
}

function zeroOps(L: LayerStats, category: LayerCategory): LayerOps {
  return {
    index: L.index,
    name: L.name,
    kind: L.kind,
    category,
    steps: L.steps,
    inputBinary: L.inputBinary,
    inputDensity: L.inputDensity,
    denseMacsPerStep: 0,
    macs: 0,
    sops: 0,
    acs: 0,
    neurons: 0,
    neuronUpdates: 0,
    neuronMacs: 0,
    neuronAcs: 0,
    stateWords: 0,
    weights: 0,
    weightBits: L.weightBits ?? null,
    inputLevels: L.inputLevels ?? null,
    outputDensity: L.outputDensity,
    activations: { reads: 0, readBits: null, writes: 0, writeBits: null },
    ann: { macs: 0, acs: 0, reads: 0, writes: 0 },
  };
}

/** Bits of a stored multi-level count 0..D. */
export function levelBits(levels: number): number {
  return Math.max(1, Math.ceil(Math.log2(levels + 1)));
}

/**
 * The activation traffic of a layer that moves data: its inputs read once and
 * its output written once per step it ran, spikes at 1 bit, multi-level
 * counts at their count width, anything else real-valued (null: the
 * precision's width). The ANN moves the same tensors once, all real-valued.
 */
function setActivations(o: LayerOps, L: LayerStats): void {
  const reads = L.inputValues ?? perStep(L.inputShape) * L.steps;
  const writes = L.outputValues ?? perStep(L.outputShape) * L.steps;
  const readBits = L.inputBinary ? 1 : L.inputLevels ? levelBits(L.inputLevels) : null;
  // Older summaries carry no output flag: a neuron layer's output is its spikes.
  const writeBits = (L.outputBinary ?? L.isNeuron) ? 1 : null;
  o.activations = { reads, readBits, writes, writeBits };
  const steps = Math.max(1, L.steps);
  o.ann.reads = reads / steps;
  o.ann.writes = writes / steps;
}

/**
 * Per-layer operation counts from what a SpikeMonitor measured (semantics.md §4).
 * Works from the JSON summary alone (shapes, weight shapes, densities), so it can
 * also be rerun on a saved summary.
 */
export function countOps(summary: MonitorSummary, opts: OpsOptions = {}): OpsReport {
  const layers: LayerOps[] = [];
  const uncounted: string[] = [];
  const defaulted = new Set<string>();
  summary.layers.forEach((L, i) => {
    const category = categorize(L.kind, L.isNeuron);
    const o = zeroOps(L, category);
    const S = L.steps;
    const out = perStep(L.outputShape);
    // Spike inputs are processed event-driven: only the nonzero fraction costs anything.
    const sparsity = L.inputBinary ? L.inputDensity : 1;
    switch (category) {
      case 'synaptic': {
        if (!L.weightShape || L.weightShape.length < 2) {
          uncounted.push(`${L.name}: no 2-D or higher 'weight' parameter`);
          o.category = 'unknown';
          break;
        }
        const fanIn = sizeOf(L.weightShape.slice(1));
        o.denseMacsPerStep = out * fanIn;
        if (L.inputBinary) o.sops = o.denseMacsPerStep * S * L.inputDensity;
        // Multi-level counts: a count c is c binary spikes over c of the D virtual steps, so c accumulates per synapse.
        else if (L.inputLevels && L.inputMeanCount != null) o.sops = o.denseMacsPerStep * S * L.inputMeanCount;
        else o.macs = o.denseMacsPerStep * S;
        o.weights = sizeOf(L.weightShape);
        if (L.hasBias) o.acs = out * S;
        o.ann = { ...o.ann, macs: o.denseMacsPerStep, acs: L.hasBias ? out : 0 };
        setActivations(o, L);
        break;
      }
      case 'norm': {
        const prev = i > 0 ? summary.layers[i - 1]! : null;
        const foldable = prev !== null && categorize(prev.kind, prev.isNeuron) === 'synaptic';
        if (foldable) {
          const shiftAdds = prev.hasBias ? 0 : out;
          o.acs = shiftAdds * S;
          // Folded into the weighted layer before it: no tensor of its own is read or written.
          o.ann = { ...o.ann, macs: 0, acs: shiftAdds };
        } else {
          o.macs = out * S;
          o.ann = { ...o.ann, macs: out, acs: 0 };
          setActivations(o, L);
        }
        break;
      }
      case 'pool': {
        const w = L.poolWindow ?? 1;
        const dense = out * Math.max(0, w - 1);
        o.acs = dense * S * sparsity;
        o.ann = { ...o.ann, macs: 0, acs: dense };
        setActivations(o, L);
        break;
      }
      case 'add': {
        o.acs = out * S * sparsity;
        o.ann = { ...o.ann, macs: 0, acs: out };
        setActivations(o, L);
        break;
      }
      case 'neuron': {
        const { cost, known } = neuronCostOf(L.kind, opts.neuronCosts);
        if (!known) defaulted.add(L.kind);
        o.neurons = out;
        o.neuronUpdates = out * S;
        o.neuronMacs = cost.macs * o.neuronUpdates;
        o.neuronAcs = cost.acs * o.neuronUpdates;
        o.stateWords = cost.stateWords;
        o.ann = { ...o.ann, macs: 0, acs: out };
        setActivations(o, L);
        if (L.weightShape) uncounted.push(`${L.name}: weights inside a neuron layer (recurrent connections) are not counted`);
        break;
      }
      case 'op': {
        // Composite layers measure their products on the data (Module.forwardParts): accumulates on spikes, MACs otherwise.
        const c = L.opCost;
        if (!c) {
          uncounted.push(`${L.name}: op row without a measured cost`);
          break;
        }
        o.sops = c.acs;
        o.macs = c.macs;
        o.ann = { ...o.ann, macs: c.denseMacs / Math.max(1, S), acs: 0 };
        setActivations(o, L);
        break;
      }
      case 'free':
        break;
      case 'unknown':
        uncounted.push(`${L.name}: kind '${L.kind}' has no cost rule`);
        break;
    }
    layers.push(o);
  });
  const totals: OpsTotals = { macs: 0, sops: 0, acs: 0, neuronMacs: 0, neuronAcs: 0, annMacs: 0, annAcs: 0 };
  for (const o of layers) {
    totals.macs += o.macs;
    totals.sops += o.sops;
    totals.acs += o.acs;
    totals.neuronMacs += o.neuronMacs;
    totals.neuronAcs += o.neuronAcs;
    totals.annMacs += o.ann.macs;
    totals.annAcs += o.ann.acs;
  }
  const assumptions = [...OPS_ASSUMPTIONS];
  for (const k of defaulted) assumptions.push(`Neuron kind '${k}' has no registered cost: counted as LIF (1 MAC + 2 AC, 1 state word per update).`);
  return { samples: summary.samples, layers, totals, uncounted, assumptions };
}
