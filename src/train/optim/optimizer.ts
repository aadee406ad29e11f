import { ConfigError, FormatError, ShapeError } from '../../errors.js';
import { fmtShape, shapeEq } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/** Hyper-parameters as saved in a state dict (numbers and flags only, so they fit JSON). */
export type Hyper = Record<string, number | boolean>;

/**
 * Everything needed to continue optimizing bit-exactly: the hyper-parameters
 * (including the current learning rate), per-parameter step counts, and the
 * per-parameter state tensors named `<paramIndex>.<slot>` (e.g. `0.exp_avg`),
 * stored in the parameters' dtype.
 */
export interface OptimizerState {
  type: string;
  hyper: Hyper;
  steps: number[];
  tensors: Record<string, Tensor>;
}

/**
 * A named group of parameters with its own learning rate and, optionally,
 * weight decay (PyTorch's param_groups): DCLS trains delay positions at
 * about 100× the weights' rate with no decay. Parameters not in any group
 * form the main group, whose rate is `Optimizer.lr`.
 */
export interface ParamGroup {
  readonly name: string;
  /** Indices into `Optimizer.params`. */
  readonly indices: readonly number[];
  /** Current learning rate (schedulers set it). */
  lr: number;
  /** Weight decay for this group; null: the optimizer's own. */
  readonly weightDecay: number | null;
}

/**
 * Base of the optimizers. Holds the parameters (tensors updated in place),
 * a learning rate that schedulers set, per-parameter step counts, and lazily
 * created state slots (as PyTorch: a parameter that never had a gradient has
 * no state and is skipped by `step()`).
 */
export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  protected readonly steps: number[];
  protected readonly slots: Map<string, Tensor>[];
  /** Parameter groups besides the main one (see ParamGroup). */
  readonly groups: ParamGroup[] = [];
  /** groupOf[i]: index into `groups` of parameter i, or −1 for the main group. */
  private groupOf: Int32Array;

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (!(lr >= 0)) throw new ConfigError(`${new.target.name}: lr must be a non-negative number, got ${lr}`);
    this.lr = lr;
    this.steps = this.params.map(() => 0);
    this.slots = this.params.map(() => new Map());
    this.groupOf = new Int32Array(this.params.length).fill(-1);
  }

  /**
   * Move the parameters at `indices` into a new group with its own rate (and
   * weight decay, when given). A parameter belongs to one group at most.
   */
  addParamGroup(name: string, indices: readonly number[], lr: number, weightDecay: number | null = null): ParamGroup {
    if (this.groups.some((g) => g.name === name)) throw new ConfigError(`${this.type}: parameter group '${name}' is defined twice`);
    if (!(lr >= 0)) throw new ConfigError(`${this.type}: parameter group '${name}': lr must be a non-negative number, got ${lr}`);
    if (weightDecay !== null && !(weightDecay >= 0)) throw new ConfigError(`${this.type}: parameter group '${name}': weight decay must be >= 0, got ${weightDecay}`);
    const g = this.groups.length;
    for (const i of indices) {
      if (!(Number.isInteger(i) && i >= 0 && i < this.params.length)) throw new ConfigError(`${this.type}: parameter group '${name}': no parameter ${i}`);
      const have = this.groupOf[i]!;
      if (have >= 0) throw new ConfigError(`${this.type}: parameter ${i} '${this.params[i]!.name ?? ''}' is in groups '${this.groups[have]!.name}' and '${name}'`);
      this.groupOf[i] = g;
    }
    const group: ParamGroup = { name, indices: [...indices], lr, weightDecay };
    this.groups.push(group);
    return group;
  }

  /** The learning rate parameter i trains with. */
  protected lrOf(i: number): number {
    const g = this.groupOf[i]!;
    return g < 0 ? this.lr : this.groups[g]!.lr;
  }

  /** The weight decay parameter i trains with, given the optimizer's own. */
  protected weightDecayOf(i: number, own: number): number {
    const g = this.groupOf[i]!;
    return g < 0 ? own : (this.groups[g]!.weightDecay ?? own);
  }

  abstract get type(): string;
  /** Slot names this optimizer may keep per parameter. */
  protected abstract get slotNames(): readonly string[];
  protected abstract getHyper(): Hyper;
  /** Read and validate saved hyper-parameters; assign them unless `dryRun`. */
  protected abstract setHyper(h: Hyper, dryRun: boolean): void;
  /** Update parameter i from its gradient. */
  protected abstract update(i: number, p: Tensor, grad: Tensor): void;

  /**
   * Slots whose values are never negative (Adam's second moments): a saved
   * state with a negative one is damaged (its square root is NaN at the next
   * update), so loading refuses it.
   */
  protected get nonNegativeSlots(): readonly string[] {
    return [];
  }

  /** Drop all gradients (the next backward starts from zero). */
  /** The state tensors (moments, momentum buffers) that must outlive a training step. */
  stateTensors(): Tensor[] {
    return this.slots.flatMap((m) => [...m.values()]);
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      if (p.grad.size !== p.size) throw new ShapeError(`${this.type}: gradient ${fmtShape(p.grad.shape)} for parameter ${i} '${p.name ?? ''}' of shape ${fmtShape(p.shape)}`);
      this.steps[i]!++;
      this.update(i, p, p.grad);
    });
  }

  /** The state slot of parameter i, created zero-filled on first use; `fresh` says it was just created. */
  protected slot(i: number, name: string): { t: Tensor; fresh: boolean } {
    const have = this.slots[i]!.get(name);
    if (have) return { t: have, fresh: false };
    const p = this.params[i]!;
    const t = new Tensor(p.backend.alloc(p.size), p.shape, { backend: p.backend });
    this.slots[i]!.set(name, t);
    return { t, fresh: true };
  }

  /** Snapshot of the optimizer's state (tensors are copies). */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.slots.forEach((m, i) => {
      for (const [name, t] of m) tensors[`${i}.${name}`] = t.clone();
    });
    const hyper: Hyper = { ...this.getHyper(), lr: this.lr };
    for (const g of this.groups) hyper[`group.${g.name}.lr`] = g.lr;
    return { type: this.type, hyper, steps: [...this.steps], tensors };
  }

  /** Check that a state dict fits this optimizer (type, parameter count, slot names, shapes, hyper-parameters) without changing anything. */
  checkStateDict(s: OptimizerState, source = `${this.type}.loadStateDict`): void {
    this.prepare(s, source);
  }

  /** Restore a state dict; validates everything before changing anything. */
  loadStateDict(s: OptimizerState): void {
    const next = this.prepare(s, `${this.type}.loadStateDict`);
    this.setHyper(s.hyper, false);
    this.lr = s.hyper.lr as number;
    for (const g of this.groups) g.lr = s.hyper[`group.${g.name}.lr`] as number;
    s.steps.forEach((v, i) => (this.steps[i] = v));
    next.forEach((m, i) => (this.slots[i] = m));
  }

  private prepare(s: OptimizerState, where: string): Map<string, Tensor>[] {
    // A state read from a file may lack fields: a FormatError here, not a TypeError below.
    if (typeof s !== 'object' || s === null || typeof s.hyper !== 'object' || s.hyper === null || !Array.isArray(s.steps) || typeof s.tensors !== 'object' || s.tensors === null) {
      throw new FormatError(`${where}: optimizer state must have type, hyper, steps and tensors`);
    }
    if (s.type !== this.type) throw new FormatError(`${where}: optimizer state was saved by ${s.type}, this optimizer is ${this.type}`);
    if (s.steps.length !== this.params.length) throw new FormatError(`${where}: optimizer state has ${s.steps.length} parameters, optimizer has ${this.params.length}`);
    if (!s.steps.every((v) => Number.isInteger(v) && v >= 0)) throw new FormatError(`${where}: optimizer step counts must be non-negative integers`);
    const next = this.params.map(() => new Map<string, Tensor>());
    for (const [key, src] of Object.entries(s.tensors)) {
      const m = /^(\d+)\.(.+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.params.length || !this.slotNames.includes(m[2]!)) throw new FormatError(`${where}: unexpected optimizer state tensor '${key}'`);
      const p = this.params[i]!;
      if (!shapeEq(src.shape, p.shape)) throw new ShapeError(`${where}: optimizer state tensor '${key}' has shape ${fmtShape(src.shape)}, parameter ${i} '${p.name ?? ''}' has ${fmtShape(p.shape)}`);
      checkSlotValues(where, key, src.data, this.nonNegativeSlots.includes(m[2]!));
      next[i]!.set(m[2]!, new Tensor(p.backend.fromArray(src.data), p.shape, { backend: p.backend }));
    }
    if (typeof s.hyper.lr !== 'number' || !Number.isFinite(s.hyper.lr) || s.hyper.lr < 0) throw new FormatError(`${where}: optimizer hyper.lr must be a finite number ≥ 0, got ${s.hyper.lr}`);
    const saved = Object.keys(s.hyper).filter((k) => k.startsWith('group.') && k.endsWith('.lr')).map((k) => k.slice(6, -3));
    const mine = this.groups.map((g) => g.name);
    if (saved.length !== mine.length || !mine.every((n) => saved.includes(n))) {
      throw new FormatError(`${where}: optimizer state has parameter groups [${saved.join(', ')}], this optimizer has [${mine.join(', ')}]`);
    }
    for (const n of mine) {
      const lr = s.hyper[`group.${n}.lr`];
      if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new FormatError(`${where}: optimizer hyper.group.${n}.lr must be a finite number ≥ 0, got ${lr}`);
    }
    try {
      this.setHyper(s.hyper, true);
    } catch (e) {
      // A saved value out of range is a damaged file, not a bad config.
      if (e instanceof ConfigError) throw new FormatError(`${where}: optimizer hyper-parameters: ${e.message}`);
      // hyperNumber/hyperBool name the optimizer and field but not the file being read.
      if (e instanceof FormatError && !e.message.startsWith(`${where}:`)) throw new FormatError(`${where}: ${e.message}`);
      throw e;
    }
    return next;
  }
}

/** Refuse NaN/±Inf in a saved state tensor, and negative values in a slot that cannot hold them. */
function checkSlotValues(where: string, key: string, data: ArrayLike<number>, nonNegative: boolean): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new FormatError(`${where}: optimizer state tensor '${key}' holds ${v} at element ${i}`);
    if (nonNegative && v < 0) throw new FormatError(`${where}: optimizer state tensor '${key}' holds ${v} at element ${i}; it holds squared gradients and cannot be negative`);
  }
}

/** Read a numeric hyper-parameter from a state dict (error names the optimizer and field). */
export function hyperNumber(type: string, h: Hyper, key: string): number {
  const v = h[key];
  if (typeof v !== 'number') throw new FormatError(`${type}.loadStateDict: hyper.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function hyperBool(type: string, h: Hyper, key: string): boolean {
  const v = h[key];
  if (typeof v !== 'boolean') throw new FormatError(`${type}.loadStateDict: hyper.${key} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}
