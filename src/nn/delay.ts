import { DELAY_INTERP, type DelayInterp, type DelaySynapses } from '../backend/kernels/delay.js';
import { noGrad } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { Module } from '../module/module.js';
import { delayConv, delayKernel, delaySparse } from '../ops/delay.js';
import { concatLeading, sliceLeading } from '../ops/shape.js';
import { selectRows } from '../ops/select.js';
import { addBias } from '../ops/linear.js';
import { uniform, zeros } from '../tensor/create.js';
import { fmtShape } from '../tensor/shape.js';
import { defaultRng, Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSize } from './linear.js';

/*
 * A fully connected layer whose every synapse has a delay: DCLS (Hammouamri,
 * Khalfaoui-Hassani & Masquelier, ICLR 2024) when the delays are learned,
 * or fixed integer delays. docs/equations.md §"Synaptic delays" has the
 * equations, docs/delays.md the usage.
 */

export type DelayMode = 'learned' | 'fixed';

export interface DelayedLinearOptions {
  /** Longest delay in steps; the kernel has K = maxDelay + 1 taps, rounded up to an odd number. */
  maxDelay: number;
  /** 'learned' (DCLS positions, trained) or 'fixed' (integer delays, a buffer). Default 'learned'. */
  mode?: DelayMode;
  /** How a learned position spreads over the taps while training. Default 'gauss'. */
  interp?: 'gauss' | 'linear';
  /** Initial Gaussian σ; default ⌊K/2⌋ (the reference's sigInit). */
  sigmaInit?: number;
  /** σ reached at the end of the decay (the reference's 0.23). */
  sigmaFinal?: number;
  /** Epochs over which σ decays geometrically; default a quarter of the run's epochs (null: that). */
  sigmaEpochs?: number | null;
  /** Fixed delays: integer delays [out, in] in steps; default drawn uniformly in [0, K − 1]. */
  delays?: ArrayLike<number>;
  /** Extra output steps past the input's end, so late inputs arrive through long delays (the reference uses ⌊K/2⌋). Default 0. */
  tail?: number;
  bias?: boolean;
  /** Evaluate (eval mode) with rounded positions on the exact integer-delay path, as the reference does. Default true. */
  roundAtEval?: boolean;
}

/** Kaiming-uniform bound for ReLU gain, as the DCLS reference initialises its weights: √(6 / fan_in). */
function kaimingBound(fanIn: number): number {
  return Math.sqrt(6 / fanIn);
}

export class DelayedLinear extends Module {
  weight: Tensor;
  /** Learned: positions p ∈ [−⌊K/2⌋, ⌊K/2⌋] (delay ⌊K/2⌋ − p), a parameter; fixed: the same numbers, integers, as a buffer. */
  positions: Tensor;
  bias: Tensor | null;
  /** Taps (odd). */
  readonly K: number;
  readonly mode: DelayMode;
  readonly interp: DelayInterp;
  readonly sigmaInit: number;
  readonly sigmaFinal: number;
  readonly sigmaEpochs: number | null;
  readonly tail: number;
  readonly roundAtEval: boolean;
  /** Current Gaussian σ (set by beginEpoch from the schedule; 0 after `round()`). */
  sigma: number;
  /** After `round()`: positions are integers and training uses one-hot taps. */
  rounded: boolean;
  /** The last K − 1 input steps of the sequence so far (streaming state; null at a sequence start). */
  private history: Tensor | null = null;
  /**
   * The integer path's synapse lists, built at a sequence's first eval call
   * and reused by the calls that continue it (streaming one step at a time
   * would otherwise rebuild O(out·in) lists per step); cleared with the state.
   */
  private sequenceSynapses: DelaySynapses | null = null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng = defaultRng(), opts: DelayedLinearOptions) {
    super();
    const usage = 'new DelayedLinear(inFeatures, outFeatures, rng, { maxDelay })';
    checkSize('DelayedLinear', 'inFeatures', 1, inFeatures, usage);
    checkSize('DelayedLinear', 'outFeatures', 2, outFeatures, usage);
    if (!(Number.isInteger(opts.maxDelay) && opts.maxDelay >= 0)) throw new ConfigError(`DelayedLinear: maxDelay must be a non-negative integer, got ${opts.maxDelay}`);
    this.K = opts.maxDelay % 2 === 0 ? opts.maxDelay + 1 : opts.maxDelay + 2;
    this.mode = opts.mode ?? 'learned';
    this.interp = DELAY_INTERP[opts.interp ?? 'gauss'];
    const half = (this.K - 1) / 2;
    this.sigmaInit = opts.sigmaInit ?? half;
    this.sigmaFinal = opts.sigmaFinal ?? 0.23;
    this.sigmaEpochs = opts.sigmaEpochs ?? null;
    this.tail = opts.tail ?? 0;
    this.roundAtEval = opts.roundAtEval ?? true;
    if (!(this.sigmaInit >= 0 && this.sigmaFinal >= 0)) throw new ConfigError(`DelayedLinear: sigma values must be >= 0, got ${this.sigmaInit} and ${this.sigmaFinal}`);
    if (!(Number.isInteger(this.tail) && this.tail >= 0)) throw new ConfigError(`DelayedLinear: tail must be a non-negative integer, got ${this.tail}`);
    this.sigma = this.sigmaInit;
    this.rounded = this.mode === 'fixed';
    const bound = kaimingBound(inFeatures);
    this.weight = this.addParameter('weight', uniform([outFeatures, inFeatures], rng, -bound, bound));
    const n = inFeatures * outFeatures;
    let pos: Tensor;
    if (this.mode === 'learned') {
      pos = uniform([outFeatures, inFeatures], rng, -half, half);
    } else {
      const p = new Float64Array(n);
      if (opts.delays) {
        if (opts.delays.length !== n) throw new ShapeError(`DelayedLinear: ${opts.delays.length} delays given for ${outFeatures}×${inFeatures} synapses`);
        for (let s = 0; s < n; s++) {
          const d = opts.delays[s]!;
          if (!(Number.isInteger(d) && d >= 0 && d <= this.K - 1)) throw new ConfigError(`DelayedLinear: delay ${d} of synapse ${s} is not an integer in [0, ${this.K - 1}]`);
          p[s] = half - d;
        }
      } else {
        for (let s = 0; s < n; s++) p[s] = half - Math.floor(rng.uniform(0, this.K));
      }
      pos = new Tensor(this.weight.backend.fromArray(p), [outFeatures, inFeatures], { backend: this.weight.backend });
    }
    this.positions = this.mode === 'learned' ? this.addParameter('positions', pos) : this.addBuffer('positions', pos);
    this.bias = opts.bias ? this.addParameter('bias', uniform([outFeatures], rng, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures))) : null;
  }

  get kind(): string {
    return 'DelayedLinear';
  }

  /** Largest position magnitude: positions live in [−half, half]. */
  get half(): number {
    return (this.K - 1) / 2;
  }

  /** The integer delay of every synapse (steps, [out, in] row-major) from the rounded positions. */
  delays(): Int32Array {
    const p = this.positions.data;
    const out = new Int32Array(p.length);
    for (let s = 0; s < p.length; s++) out[s] = this.half - clampRound(p[s]!, this.half);
    return out;
  }

  /**
   * σ for an epoch: σ_init·(σ_final/σ_init)^(min(e, E)/E), E = sigmaEpochs or a
   * quarter of the run — the reference multiplies σ by (0.23/σ_init)^(1/E)
   * after each of the first E epochs; this is the same numbers as a closed form.
   */
  sigmaAt(epoch: number, epochs: number | null): number {
    const E = this.sigmaEpochs ?? (epochs !== null ? Math.floor(epochs / 4) : 0);
    if (E <= 0 || this.sigmaInit <= this.sigmaFinal) return this.sigmaInit;
    return this.sigmaInit * Math.pow(this.sigmaFinal / this.sigmaInit, Math.min(epoch, E) / E);
  }

  override beginEpoch(epoch: number, epochs: number | null): void {
    if (!this.rounded) this.sigma = this.sigmaAt(epoch, epochs);
    super.beginEpoch(epoch, epochs);
  }

  /** Positions back into [−⌊K/2⌋, ⌊K/2⌋] after an update (the reference's clamp_parameters). */
  override afterUpdate(): void {
    if (this.mode === 'learned') this.positions.backend.clamp(this.positions.storage, -this.half, this.half);
    super.afterUpdate();
  }

  /**
   * σ → 0 and positions to the nearest integer: every synapse becomes an
   * exact integer delay (the reference does this after training). Further
   * training keeps one-hot taps and moves only the weights' values.
   */
  round(): void {
    const p = this.positions.data;
    const r = new Float64Array(p.length);
    for (let s = 0; s < p.length; s++) r[s] = clampRound(p[s]!, this.half);
    this.positions.storage.data.set(r);
    this.sigma = 0;
    this.rounded = true;
  }

  /**
   * The synapse lists of the integer-delay path (tap-major rows, outputs
   * ascending), from rounded positions. Synapses of weight 0 are left out:
   * they add nothing to any sum.
   */
  synapses(): DelaySynapses {
    const { K, inFeatures: I, outFeatures: O } = this;
    const w = this.weight.data;
    const taps = this.delays();
    const counts = new Int32Array(K * I + 1);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) if (w[o * I + i] !== 0) counts[(K - 1 - taps[o * I + i]!) * I + i + 1]!++;
    for (let r = 0; r < K * I; r++) counts[r + 1]! += counts[r]!;
    const rowPtr = counts.slice();
    const fill = counts.slice(0, K * I);
    const cols = new Int32Array(rowPtr[K * I]!);
    const vals = w instanceof Float64Array ? new Float64Array(cols.length) : new Float32Array(cols.length);
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        const v = w[o * I + i]!;
        if (v === 0) continue;
        const r = (K - 1 - taps[o * I + i]!) * I + i;
        const j = fill[r]!++;
        cols[j] = o;
        vals[j] = v;
      }
    }
    return { K, inFeatures: I, outFeatures: O, rowPtr, cols, vals };
  }

  /** The temporal kernel [K, out, in] the training path convolves with (one-hot taps once rounded or fixed). */
  kernel(): Tensor {
    // Once integer, positions get no gradient: linear interpolation at an integer is one-hot, and its
    // position gradient (w·(dK[c+1] − dK[c])) would move them off the integers.
    if (this.rounded) return delayKernel(this.weight, this.positions.detach(), { K: this.K, interp: DELAY_INTERP.linear, sigma: 0 });
    return delayKernel(this.weight, this.positions, { K: this.K, interp: this.interp, sigma: this.sigma });
  }

  /** Whether this call runs the exact integer-delay path: eval mode, rounding at eval or rounded for good. */
  private integerPath(): boolean {
    return !this.training && (this.roundAtEval || this.rounded);
  }

  /**
   * [T, B, in] → [T + tail, B, out]. Consecutive calls continue one sequence
   * (streaming, TBPTT chunks): the layer keeps the last K − 1 input steps,
   * so T one-step calls give the same outputs as one T-step call (exactly on
   * the integer path); `resetState()` starts a new sequence.
   */
  forward(x: Tensor): Tensor {
    const I = this.inFeatures;
    if (x.ndim !== 3 || x.shape[2] !== I) {
      throw new ShapeError(`DelayedLinear: input must be a time-major sequence [T, B, ${I}], got ${fmtShape(x.shape)}`);
    }
    const [T, B] = x.shape as [number, number];
    const H = this.K - 1;
    const hist = this.history;
    if (hist && hist.shape[1] !== B) throw new ShapeError(`DelayedLinear: batch changed from ${hist.shape[1]} to ${B} within a sequence (call resetState() between sequences)`);
    if (hist && this.tail > 0) throw new ShapeError('DelayedLinear: a layer with tail > 0 takes whole sequences (its extra steps come after the end); call resetState() between sequences');
    const xin = hist ? concatLeading(hist, x) : x;
    const offset = hist ? H : 0;
    let y: Tensor;
    if (this.integerPath()) {
      if (!hist || !this.sequenceSynapses) this.sequenceSynapses = this.synapses();
      y = delaySparse(xin, this.sequenceSynapses, offset, offset + T + this.tail);
    } else {
      const full = delayConv(xin, this.kernel(), this.tail);
      y = offset > 0 ? sliceLeading(full, offset, offset + T + this.tail) : full;
    }
    if (this.bias) y = addBias(y, this.bias);
    // Keep the last H input steps (zero-padded at a short start) for the next call.
    if (H > 0 && this.tail === 0) this.history = noGrad(() => lastSteps(xin, H));
    return y;
  }

  /** Keeps the batch rows `rows` of the input history [K − 1, B, in]; the synapse lists do not depend on the batch. */
  override selectBatchRows(rows: ArrayLike<number>): void {
    if (this.history) this.history = noGrad(() => selectRows(this.history!, 1, rows));
    super.selectBatchRows(rows);
  }

  override resetState(): void {
    this.history = null;
    this.sequenceSynapses = null;
    super.resetState();
  }

  override persistentTensors(): Tensor[] {
    return this.history ? [...super.persistentTensors(), this.history] : super.persistentTensors();
  }

  protected override onTensorReplaced(name: string, t: Tensor): void {
    if (name === 'weight') this.weight = t;
    else if (name === 'positions') this.positions = t;
    else if (name === 'bias') this.bias = t;
  }

  override checkTensorValues(name: string, t: Tensor): string | null {
    return name === 'positions' ? positionsProblem(t, this.half) : null;
  }

  override describe(): Record<string, unknown> {
    return { in: this.inFeatures, out: this.outFeatures, max_delay: this.K - 1, mode: this.mode, interp: this.interp === DELAY_INTERP.gauss ? 'gauss' : 'linear', sigma: this.sigma, rounded: this.rounded, tail: this.tail, bias: this.bias !== null };
  }
}

/** Round to the nearest integer within [−half, half] (ties as Math.round). */
function clampRound(p: number, half: number): number {
  return Math.min(half, Math.max(-half, Math.round(p)));
}

/** Positions loaded from a file must lie in range: what is wrong with the first bad value, or null. */
function positionsProblem(t: Tensor, half: number): string | null {
  const d = t.data;
  for (let s = 0; s < d.length; s++) {
    const v = d[s]!;
    if (!(v >= -half && v <= half)) return `holds delay position ${v} at index ${s}, outside [−${half}, ${half}] (a DelayedLinear with delays 0..${2 * half} steps)`;
  }
  return null;
}

/** The last H leading steps of x, zero-padded in front when x is shorter (detached copy). */
function lastSteps(x: Tensor, H: number): Tensor {
  const L = x.shape[0]!;
  if (L >= H) return sliceLeading(x.detach(), L - H, L);
  const pad = zeros([H - L, ...x.shape.slice(1)], { backend: x.backend });
  return concatLeading(pad, x.detach());
}
