import { ConfigError, FormatError, ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Operation counts of one parameter-free op inside a composite layer, over the
 * whole batch it ran on (every step and sample), measured on the data: `acs`
 * accumulates (event-driven, on spikes), `macs` multiply-accumulates on real
 * values, `denseMacs` what the same op costs on dense real inputs (the
 * equivalent ANN's count).
 */
export interface OpCost {
  acs: number;
  macs: number;
  denseMacs: number;
}

/**
 * How a composite layer runs its parts (see `Module.forwardParts`): children
 * through `sub`, parameter-free ops reported through `op` with a cost that
 * is only computed when asked for.
 */
export interface PartsVisitor {
  sub(name: string, m: Module, x: Tensor): Tensor;
  op(name: string, kind: string, inputs: Tensor[], out: Tensor, cost: () => OpCost): void;
}

/** The visitor `forward` uses: children run directly, ops are not reported. */
export const RUN_PARTS: PartsVisitor = { sub: (_n, m, x) => m.forward(x), op: () => {} };

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Every parameter and buffer must be given and every given name must exist (default true). */
  strict?: boolean;
  /** Prefix for error messages (a file name, say). */
  where?: string;
}

/** Sees a module's input and output after each `forward` (Module.registerForwardHook). */
export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => void;

/**
 * Base of every layer. Each attribute of a module is one of three kinds:
 *  - parameters: trained by the optimizer (`parameters()`), saved in checkpoints;
 *  - buffers: persistent non-trained numbers (BatchNorm running statistics), saved too;
 *  - state: what evolves over time inside neurons, cleared by `resetState()`, never saved;
 * and plain settings (constructor options) that configs set and `describe()` reports.
 */
export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();
  private readonly _hooks: ForwardHook[] = [];
  private _unhook: (() => void) | null = null;

  /** Short type name used in summaries, checkpoints and error messages. */
  abstract get kind(): string;

  /** Sequence in, sequence out: `[T, B, ...]` → `[T, B, ...]`. */
  abstract forward(x: Tensor): Tensor;

  /**
   * A composite layer (an attention block) may describe its forward as parts:
   * its children run through `v.sub` and its parameter-free ops are reported
   * through `v.op`. Its `forward` is then `forwardParts(x, RUN_PARTS)`, so the
   * layer-by-layer walk of the monitor and the recorder (src/analysis/walk.ts)
   * sees every projection, norm, neuron and product under its own path, with
   * the same numbers as `forward`.
   */
  forwardParts?(x: Tensor, v: PartsVisitor): Tensor;

  protected addParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.name = name;
    this._params.set(name, t);
    return t;
  }

  protected addBuffer(name: string, t: Tensor): Tensor {
    this._buffers.set(name, t);
    return t;
  }

  protected addChild<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /**
   * Drop a parameter or buffer (a layer whose weight quantizer is removed
   * drops its step). Returns whether there was one.
   */
  protected removeTensor(name: string): boolean {
    return this._params.delete(name) || this._buffers.delete(name);
  }

  /** Replace a parameter's or buffer's tensor (checkpoint loading). */
  setTensor(name: string, t: Tensor): void {
    const old = this._params.get(name) ?? this._buffers.get(name);
    if (this._params.has(name)) {
      t.requiresGrad = true;
      this._params.set(name, t);
    } else if (this._buffers.has(name)) {
      this._buffers.set(name, t);
    } else throw new Error(`${this.kind}: no parameter or buffer named '${name}'`);
    this.refreshFields(old!, t);
    this.onTensorReplaced(name, t);
  }

  /**
   * Point every own field that held the replaced tensor at the new one.
   * Layers keep typed references to their parameters (`this.weight`); a
   * layer that forgot to refresh one in `onTensorReplaced` kept computing
   * with its initial values after a checkpoint load (the embedding, layer
   * norms and RWKV mixes of a loaded language model did), so the base class
   * does it for every field.
   */
  private refreshFields(old: Tensor, t: Tensor): void {
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) if (self[k] === old) self[k] = t;
  }

  /** Subclasses that keep references to their tensors anywhere but a direct field (an array, a cache) refresh them here. */
  protected onTensorReplaced(_name: string, _t: Tensor): void {}

  /**
   * Whether a tensor about to be loaded under one of this module's own names
   * holds acceptable values: null if so, else what is wrong (the loader
   * prefixes the file and the tensor's full name). Default: anything goes;
   * a delay layer refuses positions outside its range.
   */
  checkTensorValues(_name: string, _t: Tensor): string | null {
    return null;
  }

  getParameter(name: string): Tensor | undefined {
    return this._params.get(name);
  }

  getBuffer(name: string): Tensor | undefined {
    return this._buffers.get(name);
  }

  children(): [string, Module][] {
    return [...this._children.entries()];
  }

  /** Every module in the tree with its dotted path ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this._children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this._params) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this._buffers) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, c] of this._children) out.push(...c.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /**
   * Parameters and buffers under their module paths ('1.weight',
   * '3.running_mean'): the names model.safetensors uses. The tensors are the
   * module's own (not copies); detach or clone them before changing them.
   */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Replace parameters and buffers by name (the inverse of `stateDict()`).
   * Everything is checked before anything is replaced, so a failed load leaves
   * the module as it was: a missing or unknown name is a ConfigError, a
   * shape mismatch a ShapeError, each naming the tensor.
   */
  loadStateDict(dict: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>, opts: LoadStateDictOptions = {}): void {
    const entries = dict instanceof Map ? new Map(dict) : new Map(Object.entries(dict as Record<string, Tensor>));
    const strict = opts.strict ?? true;
    const at = opts.where ? `${opts.where}: ` : '';
    const own = this.stateDict();
    const modules = new Map(this.namedModules());
    const plan: [Module, string, Tensor][] = [];
    for (const [name, cur] of own) {
      const t = entries.get(name);
      if (!t) {
        if (strict) throw new ConfigError(`${at}loadStateDict: tensor '${name}' missing (expected shape ${fmtShape(cur.shape)})`);
        continue;
      }
      if (!shapeEq(t.shape, cur.shape)) throw new ShapeError(`${at}loadStateDict: tensor '${name}' has shape ${fmtShape(t.shape)}, the module expects ${fmtShape(cur.shape)}`);
      const i = name.lastIndexOf('.');
      const owner = modules.get(i < 0 ? '' : name.slice(0, i))!;
      const leaf = i < 0 ? name : name.slice(i + 1);
      const bad = owner.checkTensorValues(leaf, t);
      if (bad !== null) throw new FormatError(`${at}loadStateDict: tensor '${name}' ${bad}`);
      plan.push([owner, leaf, t]);
    }
    if (strict) {
      const unknown = [...entries.keys()].filter((n) => !own.has(n));
      if (unknown.length > 0) throw new ConfigError(`${at}loadStateDict: tensor '${unknown[0]}' has no place in this ${this.kind} (its tensors: ${[...own.keys()].join(', ') || 'none'})`);
    }
    // Copies, so the module never shares storage with the caller (an optimizer step would write into both).
    for (const [m, leaf, t] of plan) m.setTensor(leaf, t.clone());
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Tensors of this module (not its children) whose storage must outlive a
   * training or evaluation step. On backends with step scopes (wasm) every
   * storage allocated during a step and not listed here (or by the optimizer)
   * is released when the step ends, and touching it afterwards throws. Default:
   * own parameters and buffers. Override when a module keeps anything else
   * across calls — state, caches of constant tensors, lazily created tensors.
   */
  persistentTensors(): Tensor[] {
    return [...this._params.values(), ...this._buffers.values()];
  }

  /** persistentTensors() of this module and every descendant. */
  allPersistentTensors(): Tensor[] {
    const out = this.persistentTensors();
    for (const c of this._children.values()) out.push(...c.allPersistentTensors());
    return out;
  }

  /** Clear evolving state (membranes, traces) before a new sequence. */
  resetState(): void {
    for (const c of this._children.values()) c.resetState();
  }

  /**
   * Keep only the batch rows `rows` (indices into the current batch, in the
   * new order) of every state this module carries between calls, so that the
   * next call continues those sequences with a smaller batch: early exit
   * drops the samples that have finished (src/early-exit/), and they then
   * cost nothing. A module that keeps per-sample state across calls (neuron
   * state, a delay layer's input history) overrides this; the default only
   * recurses into the children, which is right for every stateless layer.
   */
  selectBatchRows(rows: ArrayLike<number>): void {
    for (const c of this._children.values()) c.selectBatchRows(rows);
  }

  /**
   * Called by the Trainer right after every optimizer update: constraints on
   * parameters (a delay layer clamps its positions to their range). Default:
   * the children's.
   */
  afterUpdate(): void {
    for (const c of this._children.values()) c.afterUpdate();
  }

  /**
   * Called by the Trainer before each training epoch with the 0-based epoch
   * index and the run's number of epochs (null when the caller does not say):
   * schedules of settings that are not trained (the Gaussian width of a DCLS
   * delay layer). Modules compute such settings as a closed form of the
   * epoch, so a resumed run continues exactly. Default: the children's.
   */
  beginEpoch(epoch: number, epochs: number | null): void {
    for (const c of this._children.values()) c.beginEpoch(epoch, epochs);
  }

  train(on = true): this {
    this.training = on;
    for (const c of this._children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Call `hook(module, input, output)` after every `forward` of this module
   * (the output of an inner layer, for distillation's feature alignment).
   * Returns the function that removes the hook.
   *
   * Subclasses implement `forward` and their parents call it directly, so
   * there is no common call site to hook; instead the first hook shadows
   * `forward` on this instance with a wrapper, and removing the last hook
   * takes the wrapper away again. A module without hooks runs exactly as
   * before, and the hook sees every call whoever the caller is (Sequential,
   * Residual, a block's own forward, the analysis walk).
   */
  registerForwardHook(hook: ForwardHook): () => void {
    if (this._hooks.length === 0) {
      const self = this as unknown as { forward: (x: Tensor) => Tensor };
      const own = Object.getOwnPropertyDescriptor(this, 'forward');
      const inner = this.forward;
      self.forward = (x: Tensor): Tensor => {
        const y = inner.call(this, x);
        for (const h of [...this._hooks]) h(this, x, y);
        return y;
      };
      this._unhook = () => {
        if (own) Object.defineProperty(this, 'forward', own);
        else delete (self as { forward?: unknown }).forward;
      };
    }
    this._hooks.push(hook);
    return () => {
      const i = this._hooks.indexOf(hook);
      if (i < 0) return;
      this._hooks.splice(i, 1);
      if (this._hooks.length === 0) {
        this._unhook?.();
        this._unhook = null;
      }
    };
  }

  /** Settings of this module (what a config sets), for summaries and export. */
  describe(): Record<string, unknown> {
    return {};
  }
}
