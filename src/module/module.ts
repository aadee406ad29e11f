import type { Tensor } from '../tensor/tensor.js';

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

  /** Short type name used in summaries, checkpoints and error messages. */
  abstract get kind(): string;

  /** Sequence in, sequence out: `[T, B, ...]` → `[T, B, ...]`. */
  abstract forward(x: Tensor): Tensor;

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

  /** Replace a parameter's or buffer's tensor (checkpoint loading). */
  setTensor(name: string, t: Tensor): void {
    if (this._params.has(name)) {
      t.requiresGrad = true;
      this._params.set(name, t);
      this.onTensorReplaced(name, t);
    } else if (this._buffers.has(name)) {
      this._buffers.set(name, t);
      this.onTensorReplaced(name, t);
    } else throw new Error(`${this.kind}: no parameter or buffer named '${name}'`);
  }

  /** Subclasses that keep typed references to their tensors refresh them here. */
  protected onTensorReplaced(_name: string, _t: Tensor): void {}

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

  train(on = true): this {
    this.training = on;
    for (const c of this._children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Settings of this module (what a config sets), for summaries and export. */
  describe(): Record<string, unknown> {
    return {};
  }
}
