import { ShapeError } from '../errors.js';
import type { Module, OpCost } from '../module/module.js';
import { isNeuron } from '../neurons/base.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { categorize, poolWindowOf } from './layer-kinds.js';
import { isWeightedLayer } from '../nn/weighted.js';
import { MultiLevel } from '../neurons/multilevel/index.js';
import { countCodingOf } from '../quant/virtual-steps.js';
import { forwardLayerByLayer, type WalkOptions } from './walk.js';

/** Firing statistics of one spiking layer, accumulated over every batch seen. */
export interface NeuronStats {
  /** Neurons per sample (features of one time step). */
  neurons: number;
  /** Total spikes over all batches, steps and samples. */
  spikes: number;
  spikesPerSample: number;
  /** spikes / (Σ steps·batch · neurons): the mean firing probability per neuron and step. */
  rate: number;
  /** Extremes of the per-neuron rates (per-neuron spikes / Σ steps·batch). */
  rateMin: number;
  rateMax: number;
  /** Neurons that never fired on any step of any sample. */
  dead: number;
  /** Neurons that fired on every step of every sample. */
  saturated: number;
  /** Per-neuron rates, only with `summary({ perNeuron: true })`. */
  rates?: number[];
}

export interface SummaryOptions {
  /** Include every neuron's firing rate (can be large for conv layers). */
  perNeuron?: boolean;
}

/** What the monitor saw at one layer (plain JSON). */
export interface LayerStats {
  /** Position in execution order (nested containers flattened). */
  index: number;
  /** Dotted path in the model ('3', '2.body.0', '2.add'). */
  path: string;
  /** `path:kind`, the label used in tables. */
  name: string;
  kind: string;
  isNeuron: boolean;
  /** Full shapes `[T, B, ...]` of the last batch. */
  inputShape: number[];
  outputShape: number[];
  /** Time steps the layer ran, averaged over samples (1 for layers in front of RepeatTime). */
  steps: number;
  batches: number;
  samples: number;
  /** True when every input this layer saw was flagged binary (spikes). */
  inputBinary: boolean;
  /** Fraction of nonzero input elements over every batch. */
  inputDensity: number;
  /** Nonzero outputs per sample (spikes per sample for neuron layers). */
  outputNonzeroPerSample: number;
  outputDensity: number;
  /** Shape of the module's 'weight' parameter, null when it has none. */
  weightShape: number[] | null;
  hasBias: boolean;
  /** Pooling window size (cells per output), null for other layers. */
  poolWindow: number | null;
  neuron: NeuronStats | null;
  /** Bit width of the layer's quantized weight; null (or absent, in older summaries) for a float weight. */
  weightBits?: number | null;
  /**
   * D when every input this layer saw was multi-level spike counts (0..D per
   * step, from a `multilevel` neuron, possibly through pooling or reshapes);
   * null (or absent) otherwise.
   */
  inputLevels?: number | null;
  /** With inputLevels: the mean count per input element (Σ counts / input elements). */
  inputMeanCount?: number | null;
  /** Per-sample measured costs of a composite layer's op row (attention products); absent for other rows. */
  opCost?: OpCost;
  /** Values the layer read per sample, every input and step together (absent in older summaries: taken from inputShape). */
  inputValues?: number;
  /** Values the layer wrote per sample over its steps (absent in older summaries: taken from outputShape). */
  outputValues?: number;
  /** True when every output this layer produced was flagged binary (spikes); absent in older summaries. */
  outputBinary?: boolean;
}

export interface MonitorSummary {
  batches: number;
  samples: number;
  layers: LayerStats[];
  /** Spikes per sample summed over every neuron layer. */
  spikesPerSample: number;
  /** Total spikes / total neuron-steps over all neuron layers. */
  meanRate: number;
}

/** How `SpikeMonitor.forward` runs a model in pieces. */
export interface MonitorForwardOptions extends WalkOptions {
  /**
   * Input sequences this call starts (default: the batch, x.shape[1]); 0
   * when it continues sequences an earlier call started (a later time step),
   * whose batch may have shrunk. Per-sample figures divide by the sequences
   * started, so they count the sample-steps actually run.
   */
  newSamples?: number;
}

/** Mutable accumulator of one layer. */
class LayerRecord {
  inputShape: number[] = [];
  outputShape: number[] = [];
  batches = 0;
  samples = 0;
  stepSamples = 0;
  inputNonzero = 0;
  inputNumel = 0;
  inputBinary = true;
  outputNonzero = 0;
  outputNumel = 0;
  outputBinary = true;
  neuronCounts: Float64Array | null = null;
  poolWindow: number | null = null;
  /** D of the multi-level counts every input carried so far (undefined: none seen yet; null: not all were counts). */
  inputLevels: number | null | undefined = undefined;
  inputCountSum = 0;
  /** Summed measured costs of a composite layer's op row (null for other rows). */
  opCost: OpCost | null = null;

  constructor(
    readonly index: number,
    readonly path: string,
    readonly kind: string,
    readonly module: Module | null,
  ) {}
}

/**
 * Runs a model layer by layer (the same computation as `model.forward`) and
 * records, per layer, input density, output spikes and per-neuron firing
 * counts, accumulated over many batches. It does not reset neuron state: call
 * `model.resetState()` before each new sequence exactly as with `forward`.
 * Wrap calls in `noGrad` for evaluation; under recording the gradients flow as usual.
 *
 * Nested Sequentials are flattened; a Residual is expanded into its body, its
 * shortcut and an 'Add' row, so every row is a leaf layer whose cost the
 * operation counter can derive from shapes.
 */
export class SpikeMonitor {
  private readonly records = new Map<string, LayerRecord>();
  /**
   * Tensors that carry multi-level spike counts: outputs of multilevel neurons
   * (D > 1) and what reshapes, dropout or max pooling make of them. The
   * value is D and the counts per unit of value (D for normalized c/D, 1 for c).
   */
  private readonly counts = new WeakMap<Tensor, { levels: number; perUnit: number }>();
  private batches = 0;
  private samples = 0;

  constructor(readonly model: Module) {}

  /**
   * Forward pass with recording; returns what `model.forward(x)` returns.
   * `opts` runs a model in pieces (early exit: one step at a time, dropping
   * finished samples): only some top-level layers, and calls that continue
   * sequences an earlier call started, so that per-sample figures stay per
   * input sequence and `steps` becomes the mean number of steps each sample
   * actually ran.
   */
  forward(x: Tensor, opts: MonitorForwardOptions = {}): Tensor {
    if (x.ndim < 2) throw new ShapeError(`SpikeMonitor: input must be time-major [T, B, ...], got ${fmtShape(x.shape)}`);
    const fresh = opts.newSamples ?? x.shape[1]!;
    if (!(Number.isInteger(fresh) && fresh >= 0 && fresh <= x.shape[1]!)) throw new ShapeError(`SpikeMonitor: newSamples must be an integer in [0, ${x.shape[1]}] (the batch), got ${fresh}`);
    // The model-level count follows the first layer, so a model run in pieces counts each sequence once.
    if ((opts.layers?.[0] ?? 0) === 0 && fresh > 0) {
      this.batches++;
      this.samples += fresh;
    }
    return forwardLayerByLayer(this.model, x, (path, kind, m, inputs, out, cost) => this.observe(path, kind, m, inputs, out, fresh, cost), opts);
  }

  reset(): void {
    this.records.clear();
    this.batches = 0;
    this.samples = 0;
  }

  private recordFor(path: string, kind: string, m: Module | null): LayerRecord {
    let r = this.records.get(path);
    if (!r) {
      r = new LayerRecord(this.records.size, path, kind, m);
      this.records.set(path, r);
    }
    return r;
  }

  private observe(path: string, kind: string, m: Module | null, inputs: Tensor[], out: Tensor, fresh: number, cost?: () => OpCost): void {
    const x = inputs[0]!;
    if (x.ndim < 2 || out.ndim < 2) {
      throw new ShapeError(`SpikeMonitor: layer ${path} (${kind}) maps ${fmtShape(x.shape)} to ${fmtShape(out.shape)}; expected time-major [T, B, ...] tensors`);
    }
    const r = this.recordFor(path, kind, m);
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    r.inputShape = [...x.shape];
    r.outputShape = [...out.shape];
    if (fresh > 0) r.batches++;
    r.samples += fresh;
    r.stepSamples += T * B;
    for (const t of inputs) {
      r.inputNonzero += t.backend.countNonzero(t.storage);
      r.inputNumel += t.size;
      r.inputBinary &&= t.binary;
    }
    const coded = inputs.length === 1 && !x.binary ? this.counts.get(x) : undefined;
    if (coded && r.inputLevels !== null && (r.inputLevels === undefined || r.inputLevels === coded.levels)) {
      r.inputLevels = coded.levels;
      r.inputCountSum += x.backend.sum(x.storage) * coded.perUnit;
    } else r.inputLevels = null;
    if (m instanceof MultiLevel && !out.binary) {
      const c = countCodingOf(m);
      this.counts.set(out, { levels: c.levels, perUnit: c.normalized ? c.levels : 1 });
    } else if (coded && m) {
      // Counts stay counts through layers that only move or select values.
      const cat = categorize(kind, false);
      if (cat === 'free' || /^MaxPool/.test(kind)) this.counts.set(out, coded);
    }
    const outNonzero = out.backend.countNonzero(out.storage);
    r.outputNonzero += outNonzero;
    r.outputNumel += out.size;
    r.outputBinary &&= out.binary;
    if (m && r.poolWindow === null) r.poolWindow = poolWindowOf(m, x.shape, out.shape);
    if (m && isNeuron(m)) this.countNeurons(r, out);
    if (cost) {
      const c = cost();
      r.opCost ??= { acs: 0, macs: 0, denseMacs: 0 };
      r.opCost.acs += c.acs;
      r.opCost.macs += c.macs;
      r.opCost.denseMacs += c.denseMacs;
    }
  }

  /**
   * Per-neuron spike counts: one backend reduction over the folded T·B rows,
   * then a short JS add into float64 counters (exact however many batches are
   * seen). Reads the reduced vector through `.data`, i.e. CPU backends.
   */
  private countNeurons(r: LayerRecord, out: Tensor): void {
    const rows = out.shape[0]! * out.shape[1]!;
    const n = rows === 0 ? sizeOf(out.shape.slice(2)) : out.size / rows;
    if (!r.neuronCounts) r.neuronCounts = new Float64Array(n);
    else if (r.neuronCounts.length !== n) {
      throw new ShapeError(`SpikeMonitor: layer ${r.path} (${r.kind}) had ${r.neuronCounts.length} neurons, now ${n} (output ${fmtShape(out.shape)})`);
    }
    if (rows === 0) return;
    const be = out.backend;
    const sums = be.alloc(n);
    be.sumRows(rows, n, out.storage, 0, sums);
    const d = sums.data;
    const c = r.neuronCounts;
    for (let i = 0; i < n; i++) c[i] += d[i]!;
  }

  /** Per-neuron firing rates (spikes per step, averaged over samples) of a neuron layer, by index or path. */
  neuronRates(layer: number | string): Float64Array {
    const r = this.find(layer);
    if (!r.neuronCounts) throw new ShapeError(`SpikeMonitor: layer ${r.path} (${r.kind}) is not a spiking layer`);
    const out = new Float64Array(r.neuronCounts.length);
    const denom = Math.max(1, r.stepSamples);
    for (let i = 0; i < out.length; i++) out[i] = r.neuronCounts[i]! / denom;
    return out;
  }

  /** The module observed at a row (null for the synthetic 'Add' rows of residual blocks). */
  moduleAt(layer: number | string): Module | null {
    return this.find(layer).module;
  }

  private find(layer: number | string): LayerRecord {
    const r = typeof layer === 'number' ? [...this.records.values()][layer] : this.records.get(layer);
    if (!r) throw new ShapeError(`SpikeMonitor: no recorded layer ${JSON.stringify(layer)} (${this.records.size} recorded)`);
    return r;
  }

  summary(opts: SummaryOptions = {}): MonitorSummary {
    const layers: LayerStats[] = [];
    let spikes = 0;
    let neuronSteps = 0;
    for (const r of this.records.values()) {
      const samples = Math.max(1, r.samples);
      let neuron: NeuronStats | null = null;
      if (r.neuronCounts) {
        const c = r.neuronCounts;
        const steps = Math.max(1, r.stepSamples);
        let total = 0, dead = 0, sat = 0, min = Infinity, max = -Infinity;
        for (let i = 0; i < c.length; i++) {
          const v = c[i]!;
          total += v;
          if (v === 0) dead++;
          if (r.stepSamples > 0 && v === r.stepSamples) sat++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const n = c.length;
        neuron = {
          neurons: n,
          spikes: total,
          spikesPerSample: total / samples,
          rate: n > 0 ? total / (steps * n) : 0,
          rateMin: n > 0 ? min / steps : 0,
          rateMax: n > 0 ? max / steps : 0,
          dead,
          saturated: sat,
        };
        if (opts.perNeuron) neuron.rates = Array.from(c, (v) => v / steps);
        spikes += total;
        neuronSteps += r.stepSamples * n;
      }
      const m = r.module;
      const w = m?.getParameter('weight');
      layers.push({
        index: r.index,
        path: r.path,
        name: `${r.path}:${r.kind}`,
        kind: r.kind,
        isNeuron: neuron !== null,
        inputShape: r.inputShape,
        outputShape: r.outputShape,
        steps: r.stepSamples / samples,
        batches: r.batches,
        samples: r.samples,
        inputBinary: r.inputBinary,
        inputDensity: r.inputNumel > 0 ? r.inputNonzero / r.inputNumel : 0,
        outputNonzeroPerSample: r.outputNonzero / samples,
        outputDensity: r.outputNumel > 0 ? r.outputNonzero / r.outputNumel : 0,
        weightShape: w ? [...w.shape] : null,
        hasBias: m !== null && m.getParameter('bias') !== undefined,
        poolWindow: r.poolWindow,
        neuron,
        weightBits: m && isWeightedLayer(m) ? (m.weightQuantizer?.bits ?? null) : null,
        inputLevels: r.inputLevels ?? null,
        inputMeanCount: r.inputLevels ? r.inputCountSum / Math.max(1, r.inputNumel) : null,
        inputValues: r.inputNumel / samples,
        outputValues: r.outputNumel / samples,
        outputBinary: r.outputBinary,
        ...(r.opCost ? { opCost: { acs: r.opCost.acs / samples, macs: r.opCost.macs / samples, denseMacs: r.opCost.denseMacs / samples } } : {}),
      });
    }
    return {
      batches: this.batches,
      samples: this.samples,
      layers,
      spikesPerSample: spikes / Math.max(1, this.samples),
      meanRate: neuronSteps > 0 ? spikes / neuronSteps : 0,
    };
  }
}
