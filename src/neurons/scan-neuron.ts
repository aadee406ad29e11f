import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ConfigError, ShapeError } from '../errors.js';
import { reshape } from '../ops/shape.js';
import { selectRows } from '../ops/select.js';
import { storageCopy } from '../ops/util.js';
import type { ScanResult } from '../ops/neuron.js';
import { tensor } from '../tensor/create.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { NeuronModule } from './base.js';
import type { SurrogateCode } from '../backend/kernels/neuron.js';
import type { StepRule } from './step/rule.js';
import { scanRule } from './step/scan.js';
import { ruleStepper, type NeuronStepper } from './step/stepper.js';

export type StateDict = Record<string, Tensor | null>;

/**
 * A model's step rule bound to a layer: the rule, its settings, the surrogate
 * and the parameter tensors in the rule's order. `toRule` / `fromRule` map the
 * layer's state to the rule's state variables when they differ (Alpha keeps
 * its membrane as a rule state); by default they are the same names.
 */
export interface RuleBinding<S extends StateDict> {
  rule: StepRule<unknown>;
  settings: unknown;
  surrogate: SurrogateCode;
  params: Tensor[];
  /** The spike function's H(0) = 1 (fires at h ≥ θ; LifConfig.fireAtThreshold); absent: H(0) = 0. */
  fireAtThreshold?: boolean;
  toRule?: (state: S) => Tensor[];
  fromRule?: (state: Tensor[]) => S;
}

/** Bind a rule with its settings type checked, erased for storage in RuleBinding. */
export function bindRule<K, S extends StateDict>(
  rule: StepRule<K>, settings: K, surrogate: SurrogateCode, params: Tensor[], map?: Pick<RuleBinding<S>, 'toRule' | 'fromRule' | 'fireAtThreshold'>,
): RuleBinding<S> {
  return { rule: rule as StepRule<unknown>, settings, surrogate, params, ...map };
}

/**
 * Shared bookkeeping of every neuron layer: the state tensors between calls,
 * `step()` as a one-step `forward()` (same op, so values and gradients agree),
 * membrane recording and the per-layer/per-neuron setting tensors. A model
 * only says how to build its initial state and which scan op to run.
 */
export abstract class ScanNeuron<S extends StateDict> extends NeuronModule {
  /** Flattened feature count F (a neuron per feature; batch comes from the input). */
  readonly numFeatures: number;
  readonly features: readonly number[];
  protected state: S | null = null;
  private readonly settingCache = new Map<string, Tensor>();

  constructor(features: number[] | number) {
    super();
    // Called from plain JavaScript or with the options first (`new LIF({ beta: 0.9 })`), the size is
    // missing; say which argument it is rather than failing on a spread of undefined.
    if (typeof features !== 'number' && !Array.isArray(features)) {
      throw new ConfigError(`${new.target.name}: the number of neurons (1st argument, features) is missing, got ${features === undefined ? 'nothing' : typeof features}: write new ${new.target.name}(features, options), e.g. new ${new.target.name}(128) or new ${new.target.name}([16, 8, 8]) for a feature map`);
    }
    const f = typeof features === 'number' ? [features] : [...features];
    if (f.length === 0 || f.some((d) => !Number.isInteger(d) || d <= 0)) throw new ShapeError(`${new.target.name}: features must be positive integers, got ${fmtShape(f)}`);
    this.features = Object.freeze(f);
    this.numFeatures = f.reduce((a, b) => a * b, 1);
  }

  /** Fresh state for a step shape [B, ...features]. */
  protected abstract initialState(stepShape: readonly number[], backend: Backend): S;
  /** Run the model's scan op over a [T, B, ...] input (its fused kernels where it has them). */
  protected abstract scan(x: Tensor, state: S): ScanResult<S>;

  /**
   * The model's step rule bound to this layer's settings and parameters (the
   * readable definition of its dynamics), or null where the configuration has
   * no elementwise rule (RLeaky's all-to-all recurrence).
   */
  stepRule(_backend: Backend): RuleBinding<S> | null {
    return null;
  }

  /**
   * Run the step rule through the generic scan instead of the fused kernels:
   * the oracle that tests hold every fused kernel equal to. Off by default.
   */
  useStepRule = false;

  /** The generic scan of this layer's step rule (throws when the model has none). */
  protected scanStepRule(x: Tensor, st: S): ScanResult<S> {
    const b = this.stepRule(x.backend);
    if (!b) throw new ShapeError(`${this.kind}: this configuration has no elementwise step rule`);
    const names = b.rule.state;
    const init = b.toRule ? b.toRule(st) : names.map((n) => st[n] as Tensor);
    const r = scanRule(b.rule, b.settings, b.surrogate, x, init, b.params, b.fireAtThreshold === true);
    let state: S;
    if (b.fromRule) state = b.fromRule(r.state);
    else {
      const d: StateDict = {};
      names.forEach((n, j) => (d[n] = r.state[j]!));
      state = d as S;
    }
    return { spikes: r.spikes, membrane: r.membrane, state };
  }

  /**
   * This layer compiled for streaming `batch` samples on `backend` (see
   * NeuronStepper): parameters are copied now, the state starts at the
   * layer's initial state. The fused kernel's stepper where the model has one
   * (`makeStepper`), else, and under `useStepRule`, the generic stepper of its
   * step rule; a configuration with neither is refused, naming the layer kind.
   */
  override compileStepper(backend: Backend, batch: number): NeuronStepper {
    if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`${this.kind}: batch must be a positive integer, got ${batch}`);
    const init = this.initialState([batch, ...this.features], backend);
    return this.useStepRule ? this.ruleStepper(backend, batch, init) : this.makeStepper(backend, batch, init);
  }

  /** The stepper of the model's fused kernel; by default the generic one of its step rule. */
  protected makeStepper(backend: Backend, batch: number, init: S): NeuronStepper {
    return this.ruleStepper(backend, batch, init);
  }

  /** The generic stepper of this layer's step rule (the rule's forward loop for T = 1). */
  protected ruleStepper(backend: Backend, batch: number, init: S): NeuronStepper {
    const b = this.stepRule(backend);
    if (!b) throw new ConfigError(`${this.kind}: this configuration has no one-step rule and no stepping kernel, so it cannot be compiled for streaming`);
    const names = b.rule.state;
    const initial = b.toRule ? b.toRule(init) : names.map((n) => init[n] as Tensor);
    return ruleStepper(backend, {
      rule: b.rule,
      settings: b.settings,
      surrogate: b.surrogate,
      params: b.params.map((p) => storageCopy(backend, p)),
      fireAtThreshold: b.fireAtThreshold === true,
      initial: initial.map((t) => storageCopy(backend, t)),
      B: batch,
      F: this.numFeatures,
      where: this.kind,
    });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2) throw new ShapeError(`${this.kind}: input must be [T, B, ...features], got ${fmtShape(x.shape)}`);
    // The most common mistake: one step [B, ...features] given to forward(), which wants a sequence.
    if (x.ndim === this.features.length + 1 && sizeOf(x.shape.slice(1)) === this.numFeatures) {
      throw new ShapeError(
        `${this.kind}: forward() got ${fmtShape(x.shape)}, one step of ${this.numFeatures} neurons without a time axis: sequences are time-major [T, B, ...features] (e.g. x.view([1, ${x.shape.join(', ')}]) for T = 1), and step(x) takes a single step [B, ...features]`,
      );
    }
    const stepShape = x.shape.slice(1);
    const F = stepShape.slice(1).reduce((a, b) => a * b, 1);
    if (F !== this.numFeatures) throw new ShapeError(`${this.kind}: input ${fmtShape(x.shape)} has ${F} features per step, layer has ${this.numFeatures} ${fmtShape(this.features)}`);
    if (this.state) {
      const first = Object.values(this.state).find((t) => t !== null);
      if (first && (first.shape.length !== stepShape.length || first.shape.some((d, i) => d !== stepShape[i])))
        throw new ShapeError(`${this.kind}: state has shape ${fmtShape(first.shape)} but input steps are ${fmtShape(stepShape)}; call resetState() before a new batch size`);
    }
    const st = this.state ?? this.initialState(stepShape, x.backend);
    const r = this.useStepRule ? this.scanStepRule(x, st) : this.scan(x, st);
    this.state = r.state;
    this.lastMembrane = this.recordMembrane ? r.membrane : null;
    return r.spikes;
  }

  /** One step [B, ...] → [B, ...]; `lastMembrane` is then [1, B, ...]. */
  step(x: Tensor): Tensor {
    const s = this.forward(reshape(x, [1, ...x.shape]));
    return reshape(s, x.shape);
  }

  override resetState(): void {
    this.state = null;
    this.lastMembrane = null;
    super.resetState();
  }

  /** Keeps the state's batch rows `rows` (axis 0 of every state tensor); the recorded membrane is dropped (it belongs to the last call's batch). */
  override selectBatchRows(rows: ArrayLike<number>): void {
    if (this.state) {
      const d: StateDict = {};
      for (const [k, t] of Object.entries(this.state)) d[k] = t ? selectRows(t, 0, rows) : null;
      this.state = d as S;
    }
    this.lastMembrane = null;
    super.selectBatchRows(rows);
  }

  detachState(): void {
    if (!this.state) return;
    const d: StateDict = {};
    for (const [k, t] of Object.entries(this.state)) d[k] = t ? t.detach() : null;
    this.state = d as S;
    if (this.lastMembrane) this.lastMembrane = this.lastMembrane.detach();
  }

  /** Parameters and buffers, plus the state and recorded membrane the next call continues from, and the cached setting tensors. */
  override persistentTensors(): Tensor[] {
    const out = super.persistentTensors();
    if (this.state) for (const t of Object.values(this.state)) if (t) out.push(t);
    if (this.lastMembrane) out.push(this.lastMembrane);
    for (const t of this.settingCache.values()) out.push(t);
    return out;
  }

  /** Current state tensors (null before the first call or after resetState). */
  getState(): Readonly<S> | null {
    return this.state;
  }

  /** Start the next call from this state (e.g. a non-zero initial membrane); shapes are checked on use. */
  setState(state: S): void {
    this.state = state;
  }

  /** A constant (non-trained) tensor for a setting, cached per backend. */
  protected settingTensor(name: string, value: number | readonly number[], backend: Backend = getBackend()): Tensor {
    const key = `${name}@${backend.name}`;
    let t = this.settingCache.get(key);
    if (!t) {
      if (typeof value !== 'number' && value.length !== this.numFeatures)
        throw new ShapeError(`${this.kind}: '${name}' has ${value.length} values, layer has ${this.numFeatures} neurons`);
      t = tensor(typeof value === 'number' ? [value] : value, undefined, { backend });
      this.settingCache.set(key, t);
    }
    return t;
  }

  /** Initial value for a parameter: scalar → [1], array → [F] (checked against the layer size). */
  protected paramInit(name: string, value: number | readonly number[]): Tensor {
    if (typeof value !== 'number' && value.length !== this.numFeatures)
      throw new ShapeError(`${this.kind}: '${name}' has ${value.length} values, layer has ${this.numFeatures} neurons`);
    return tensor(typeof value === 'number' ? [value] : value);
  }
}
