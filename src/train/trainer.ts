import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import type { Storage } from '../backend/storage.js';
import { backward, noGrad } from '../autograd/tape.js';
import { BackendError } from '../errors.js';
import { ConfigError, NumericError, ShapeError } from '../errors.js';
import { isNeuron, type NeuronModule } from '../neurons/base.js';
import type { Module } from '../module/module.js';
import { BatchNormBase } from '../nn/norm.js';
import { predictFromCounts } from '../ops/loss.js';
import { reduceOverTime } from '../ops/readout.js';
import { sliceLeading } from '../ops/shape.js';
import { empty } from '../ops/util.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import { clipGradNorm } from './clip.js';
import { DeviceLedger, type LedgerEntry } from './ledger.js';
import { checkModelFinite, checkModelFiniteAsync, watchActivations, type LayerOrigin } from './finite.js';
import type { Optimizer } from './optim/optimizer.js';
import type { LrScheduler } from './schedulers.js';
import { bindTraces, clearTraces, drawSteps, isOnlineMethod, stepPlan, TRAIN_METHODS, tracedLayers, type OnlineOptions, type OnlineUpdate, type StepPlan, type TracedLayer, type TrainMethod } from './online.js';

/** One mini-batch: inputs `[B, ...]` and one class index per sample. */
export interface Batch {
  x: Tensor;
  y: Int32Array;
}

/**
 * What a loss sees: the model's output `[T, B, C]` — the output spikes, or a
 * readout layer's real values when the loss declares `readout` — and, when
 * recorded, the output neuron layer's membrane `[T, B, C]`.
 */
export interface ModelOutput {
  spikes: Tensor;
  membrane: Tensor | null;
}

export type LossFn = (out: ModelOutput, targets: Int32Array) => Tensor;

/**
 * The loss of one step for the online methods (src/train/losses.ts,
 * `perStep`): `out` is that step's output ([1, B, C]), `steps` the
 * sequence's T. The sum over the steps is the loss reported.
 */
export type StepLossFn = (out: ModelOutput, targets: Int32Array, steps: number) => Tensor;

/**
 * The class each sample of a batch is assigned, decided from the model output
 * as the loss reads it (accuracy, confusion matrices and plots all use it).
 */
export type PredictFn = (out: ModelOutput) => Int32Array;

/** The default decision: the class with the most output spikes (ties → lowest, so silence predicts class 0). */
export const predictByCounts: PredictFn = (out) => predictFromCounts(out.spikes);

/**
 * Differentiable class scores (logits) [B, C] from the model output, the
 * numbers a loss's class decision ranks (LossEntry.scores): what
 * distillation compares between a student and its teacher.
 */
export type ScoreFn = (out: ModelOutput) => Tensor;

/** The default scores: output spike counts Σ_t spikes[t] (what predictByCounts ranks). */
export const scoreByCounts: ScoreFn = (out) => reduceOverTime(out.spikes, 'sum');

/**
 * A term the Trainer adds to the task loss from outside the model (a
 * distillation teacher, src/train/distill.ts). Training only; evaluation
 * reports the task loss.
 */
export interface BatchObjective {
  /** Once per training batch, with the encoded sequence [T, B, ...], before the model's forward. */
  beginBatch(seq: Tensor): void;
  /**
   * The loss to minimise for one forward over steps [start, end) of the
   * sequence (the whole of it, or a TBPTT chunk), given the task loss.
   */
  combine(task: Tensor, out: ModelOutput, targets: Int32Array, start: number, end: number): Tensor;
  /** End of a batch (also after a failed one): drop every reference to the step's tensors. */
  endBatch(): void;
  /** Tensors of its own that must outlive a step scope (a teacher's persistent tensors). */
  persistentTensors(): Tensor[];
}

/** The neuron layer whose membrane a loss reads: the last one with `recordMembrane` on, if any. */
export function membraneSourceOf(model: Module): NeuronModule | null {
  const recording = model.namedModules().map(([, m]) => m).filter(isNeuron).filter((n) => n.recordMembrane);
  return recording.length > 0 ? recording[recording.length - 1]! : null;
}

/** Fraction of `targets` that `pred` gets right. */
export function accuracyOf(pred: Int32Array, targets: Int32Array): number {
  let correct = 0;
  for (let b = 0; b < targets.length; b++) if (pred[b] === targets[b]) correct++;
  return targets.length ? correct / targets.length : NaN;
}

export interface BatchEndInfo {
  /** 0-based epoch index. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  loss: number;
  accuracy: number;
  samplesPerSec: number;
  lr: number;
  /** Gradient norm before clipping (of the last chunk under TBPTT); NaN when clipping is off. */
  gradNorm: number;
}

export interface EpochResult {
  /** Mean loss per sample. */
  loss: number;
  accuracy: number;
  samples: number;
  seconds: number;
}

export interface EpochEndInfo extends EpochResult {
  epoch: number;
  lr: number;
}

export interface TrainerCallbacks {
  onBatchEnd?(info: BatchEndInfo): void;
  onEpochEnd?(info: EpochEndInfo): void;
}

export interface TrainerOptions {
  model: Module;
  /** Input batch `[B, ...]` → time-major sequence `[T, B, ...]` (the spike encoder). */
  encode: (x: Tensor) => Tensor;
  loss: LossFn;
  /** How each sample's class is decided (default: spike counts; membrane readouts pass theirs, see LossEntry.predict). */
  predict?: PredictFn;
  optimizer: Optimizer;
  scheduler?: LrScheduler | null;
  /** Clip the global gradient norm to this value before each update (null/undefined: off). */
  clipGradNorm?: number | null;
  /**
   * How gradients cross time (docs/online-training.md): 'bptt' (default),
   * 'tbptt' (chunks of `tbptt` steps), or the online methods 'sltt',
   * 'sltt_k', 'ottt' (a loss per step, backpropagated at once; they need
   * `stepLoss`). Left out: 'tbptt' when `tbptt` > 0, else 'bptt'.
   */
  method?: TrainMethod;
  /** Truncated BPTT chunk length in steps; 0 = full BPTT. */
  tbptt?: number;
  /** The per-step loss of the online methods. */
  stepLoss?: StepLossFn | null;
  /** SLTT-K's K and generator, the online methods' update mode. */
  online?: OnlineOptions;
  /**
   * Differentiable class scores [B, C] whose largest entry is the class
   * `predict` decides (default: spike counts). The asynchronous epochs count
   * correct predictions from them on the device (countCorrectInto).
   */
  scores?: ScoreFn;
  /**
   * Backends without synchronous reads (webgpu): the batches between two
   * reads of the device-side loss and correct counts (default 16). Progress
   * callbacks arrive in windows of this many batches; the parameter finite
   * check runs once per window.
   */
  readEvery?: number;
  /** The run's number of epochs, passed to `Module.beginEpoch` (schedules of untrained settings); default null. */
  epochs?: number | null;
  /** Adds to the training loss (distillation); null/undefined: the task loss alone. */
  objective?: BatchObjective | null;
  /**
   * Scan every parameter for NaN/±Inf after every N-th optimizer update
   * (default 1; 0: never) and throw a NumericError naming the first bad
   * parameter: a diverged spiking model can be silent with a finite loss.
   */
  checkFiniteEvery?: number;
  /** Check each layer's output for NaN/±Inf while training (forward hooks; a debugging aid). Default false. */
  checkActivations?: boolean;
  /** Where each module was written in the config, for the messages of those checks (the builder's `layerOrigin`). */
  layerOrigin?: LayerOrigin;
  callbacks?: TrainerCallbacks;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Run `fn` inside a step scope on each backend (Backend.beginScope/endScope):
 * on backends that release memory deterministically (wasm) every storage
 * allocated by `fn` is freed when it returns — or throws — except the storages
 * of the tensors `keep()` lists then. Backends without scopes just run `fn`.
 */
export function runInStepScope<T>(backends: readonly Backend[], keep: () => Iterable<Tensor>, fn: () => T): T {
  const scoped = backends.filter((b) => b.endScope !== undefined);
  for (const b of scoped) b.beginScope?.();
  try {
    return fn();
  } finally {
    if (scoped.length > 0) {
      const storages = new Set<Storage>();
      for (const t of keep()) storages.add(t.storage);
      for (let i = scoped.length - 1; i >= 0; i--) scoped[i]!.endScope!(storages);
    }
  }
}

/**
 * Run `fn` in a scope of its own (inside the batch's step scope) that
 * `endStep()` rotates (Backend.rotateScope): the storages allocated since
 * the last rotation are released except those `keep()` lists then, which
 * the next rotation releases unless listed again. The online methods end
 * every time step this way, so what one step replaced (the previous state,
 * the previous accumulated gradient) is freed a step later and a batch's
 * memory does not grow with T. Backends without rotateScope run `fn` plainly
 * (their storage is garbage-collected, or freed with the batch).
 */
export function rotatingScope(backends: readonly Backend[], keep: () => Iterable<Tensor>, fn: (endStep: () => void) => void): void {
  const scoped = backends.filter((b) => b.beginScope && b.endScope && b.rotateScope);
  const storages = (): Set<Storage> => {
    const s = new Set<Storage>();
    for (const t of keep()) s.add(t.storage);
    return s;
  };
  for (const b of scoped) b.beginScope!();
  try {
    fn(() => {
      if (scoped.length === 0) return;
      const s = storages();
      for (const b of scoped) b.rotateScope!(s);
    });
  } finally {
    if (scoped.length > 0) {
      const s = storages();
      for (let i = scoped.length - 1; i >= 0; i--) scoped[i]!.endScope!(s);
    }
  }
}

/** The backends a step of this model allocates on: the default one and those of its parameters, each once. */
export function stepBackends(model: Module): Backend[] {
  const set = new Set<Backend>([getBackend()]);
  for (const p of model.parameters()) set.add(p.backend);
  return [...set];
}

/**
 * An optimizer's per-parameter state tensors (moments, momentum buffers),
 * which must outlive every step. Uses `stateTensors()` where the optimizer
 * provides it; otherwise reads the base class's slot maps.
 */
export function optimizerStateTensors(opt: Optimizer): Tensor[] {
  return opt.stateTensors();
}

/**
 * Supervised training loop for spiking classifiers.
 *
 * Each batch: `model.resetState()`, encode, forward (the model returns the output
 * spikes `[T, B, C]`; the membrane comes from the last neuron layer that has
 * `recordMembrane` on), loss, backward, optional norm clipping, optimizer step,
 * per-iteration scheduler step. With an `objective` (distillation) the loss
 * of each forward is `objective.combine(task loss, ...)`, and that is the
 * training loss reported; evaluation reports the task loss.
 *
 * Truncated BPTT (`tbptt = K`, 0 < K < T; K ≥ T is full BPTT): the encoded sequence is cut along T into
 * chunks of K steps (the last may be shorter). For each chunk the model runs on
 * the chunk continuing from the state left by the previous one, the loss is
 * computed on that chunk's outputs alone (so a ce_rate loss averages over the
 * chunk's steps and a count loss counts the chunk's spikes), then backward,
 * clip and an optimizer step follow, and `detachState()` on every neuron layer
 * cuts the graph. The batch loss reported is the chunk losses averaged with
 * weights chunk length / T; accuracy uses the spike counts over the whole sequence.
 * The scheduler counts batches, not chunks.
 *
 * Memory: each batch — including fetching it from the loader — runs in a step
 * scope (`runInStepScope`). At its end the neuron state is reset, gradients are
 * dropped, and on backends with deterministic release (wasm) every storage the
 * step allocated is freed except the model's `allPersistentTensors()` and the
 * optimizer's state. So after a batch nothing in the model or optimizer points
 * at a temporary, and a loader must not cache tensors it creates during
 * iteration (create them before training instead).
 */
export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly scheduler: LrScheduler | null;
  /** Completed epochs (the next `trainEpoch` trains epoch index `epoch`). */
  epoch = 0;
  /** Completed batches over the whole run. */
  globalStep = 0;
  private readonly encode: (x: Tensor) => Tensor;
  private readonly lossFn: LossFn;
  private readonly predictFn: PredictFn;
  private readonly scoresFn: ScoreFn;
  private readonly readEvery: number;
  private readonly clipNorm: number | null;
  private readonly tbptt: number;
  /** How gradients cross time (TrainerOptions.method). */
  readonly method: TrainMethod;
  private readonly stepLoss: StepLossFn | null;
  private readonly onlineUpdate: OnlineUpdate;
  private readonly slttK: number | null;
  private readonly onlineRng: Rng | null;
  private readonly plan: StepPlan | null;
  private readonly traced: TracedLayer[];
  /** The steps whose loss was backpropagated in the last training batch (online methods; all T but under SLTT-K). */
  lastTrainedSteps: number[] = [];
  private readonly epochs: number | null;
  private readonly callbacks: TrainerCallbacks;
  private readonly neurons: NeuronModule[];
  private readonly membraneSource: NeuronModule | null;
  private readonly objective: BatchObjective | null;
  private readonly checkFiniteEvery: number;
  private readonly checkActivations: boolean;
  private readonly layerOrigin: LayerOrigin | undefined;
  /** Optimizer updates since this Trainer was made (the finite check's counter). */
  private updates = 0;
  /** The batch being trained (0-based), for the activation check's messages. */
  private currentBatch = 0;

  constructor(opts: TrainerOptions) {
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.scheduler = opts.scheduler ?? null;
    this.encode = opts.encode;
    this.lossFn = opts.loss;
    this.predictFn = opts.predict ?? predictByCounts;
    this.scoresFn = opts.scores ?? scoreByCounts;
    this.readEvery = opts.readEvery ?? 16;
    if (!(Number.isInteger(this.readEvery) && this.readEvery >= 1)) throw new ConfigError(`Trainer: readEvery must be a positive integer, got ${this.readEvery}`);
    this.clipNorm = opts.clipGradNorm ?? null;
    this.tbptt = opts.tbptt ?? 0;
    this.epochs = opts.epochs ?? null;
    this.callbacks = opts.callbacks ?? {};
    if (!(Number.isInteger(this.tbptt) && this.tbptt >= 0)) throw new ConfigError(`Trainer: tbptt must be a non-negative integer, got ${this.tbptt}`);
    if (this.clipNorm !== null && !(this.clipNorm > 0)) throw new ConfigError(`Trainer: clipGradNorm must be > 0, got ${this.clipNorm}`);
    this.objective = opts.objective ?? null;
    this.checkFiniteEvery = opts.checkFiniteEvery ?? 1;
    if (!(Number.isInteger(this.checkFiniteEvery) && this.checkFiniteEvery >= 0)) throw new ConfigError(`Trainer: checkFiniteEvery must be a non-negative integer, got ${this.checkFiniteEvery}`);
    this.checkActivations = opts.checkActivations ?? false;
    this.layerOrigin = opts.layerOrigin;
    this.neurons = this.model.namedModules().map(([, m]) => m).filter(isNeuron);
    this.membraneSource = membraneSourceOf(this.model);
    const method = opts.method ?? (this.tbptt > 0 ? 'tbptt' : 'bptt');
    if (!TRAIN_METHODS.includes(method)) throw new ConfigError(`Trainer: unknown method '${String(method)}' (accepted: ${TRAIN_METHODS.join(', ')})`);
    this.method = method;
    if (method === 'tbptt' && this.tbptt < 1) throw new ConfigError('Trainer: method tbptt needs tbptt ≥ 1 (the chunk length in steps)');
    if (method !== 'tbptt' && this.tbptt > 0) throw new ConfigError(`Trainer: tbptt = ${this.tbptt} is the chunk length of method 'tbptt', not of '${method}'`);
    const online = opts.online ?? {};
    this.onlineUpdate = online.update ?? 'sequence';
    this.slttK = online.k ?? null;
    this.onlineRng = online.rng ?? null;
    this.stepLoss = opts.stepLoss ?? null;
    if (isOnlineMethod(method)) {
      if (!this.stepLoss) throw new ConfigError(`Trainer: method '${method}' takes a loss at every step and needs stepLoss (the loss entry's per-step form, makeStepLoss)`);
      if (this.objective) throw new ConfigError(`train.distill: distillation is not supported with train.method '${method}' (its terms compare whole sequences); use bptt or tbptt`);
      if (method === 'sltt_k') {
        if (!(Number.isInteger(this.slttK) && this.slttK! >= 1)) throw new ConfigError(`train.sltt_k: method sltt_k needs K, a positive integer number of steps, got ${this.slttK}`);
        if (!this.onlineRng) throw new ConfigError('Trainer: method sltt_k needs online.rng (the generator of its draws)');
      } else if (this.slttK !== null) throw new ConfigError(`train.sltt_k: K = ${this.slttK} is an option of method sltt_k, not of '${method}'`);
      this.plan = stepPlan(this.model, method);
    } else {
      if (online.update === 'step') throw new ConfigError(`train.online_update: 'step' is an option of the online methods (sltt, sltt_k, ottt), not of '${method}'`);
      if (this.slttK !== null) throw new ConfigError(`train.sltt_k: K = ${this.slttK} is an option of method sltt_k, not of '${method}'`);
      this.plan = null;
    }
    // OTTT's traces are set on the model's weighted layers; any other method leaves them off.
    this.traced = method === 'ottt' ? tracedLayers(this.model) : [];
    if (method !== 'ottt') clearTraces(this.model);
  }

  private forward(seq: Tensor): ModelOutput {
    return this.outputOf(this.model.forward(seq));
  }

  /** The model's output as the loss sees it: the last layer's output and the recorded membrane. */
  private outputOf(spikes: Tensor): ModelOutput {
    if (spikes.ndim !== 3) throw new ShapeError(`Trainer: model output must be [T, B, C] spikes, got ${fmtShape(spikes.shape)}`);
    return { spikes, membrane: this.membraneSource ? this.membraneSource.lastMembrane : null };
  }

  private checkLoss(loss: Tensor, batch: number, where: string): number {
    if (loss.size !== 1) throw new ShapeError(`Trainer: loss must be a scalar, got ${fmtShape(loss.shape)}`);
    const v = loss.item();
    if (!Number.isFinite(v)) throw new NumericError(`training diverged: loss is ${v} at ${this.position(batch)}${where}`);
    return v;
  }

  /** Backward + clip + update for one loss; returns the pre-clip gradient norm (NaN when clipping is off). */
  private update(loss: Tensor, batch: number, where: string): number {
    this.zeroGrads();
    backward(loss);
    return this.applyUpdate(batch, where);
  }

  /** Clear every model gradient, not only the optimizer's: frozen parameters would otherwise accumulate. */
  private zeroGrads(): void {
    this.optimizer.zeroGrad();
    for (const p of this.model.parameters()) p.grad = null;
  }

  /** Clip + optimizer step + the modules' constraints, from the gradients in place; returns the pre-clip norm (NaN when clipping is off). */
  private applyUpdate(batch: number, where: string): number {
    let norm = NaN;
    if (this.clipNorm !== null) {
      norm = clipGradNorm(this.optimizer.params, this.clipNorm);
      if (!Number.isFinite(norm)) throw new NumericError(`training diverged: gradient norm is ${norm} at ${this.position(batch)}${where}`);
    }
    this.optimizer.step();
    this.model.afterUpdate();
    this.updates++;
    if (this.checkFiniteEvery > 0 && this.updates % this.checkFiniteEvery === 0) {
      checkModelFinite(this.model, `after the optimizer update of ${this.position(batch)}${where}`, { layerOrigin: this.layerOrigin });
    }
    return norm;
  }

  /** `epoch 2, batch 5 (step 17 of the run)`, 1-based as the CLI counts epochs. */
  private position(batch: number): string {
    return `epoch ${this.epoch + 1}, batch ${batch + 1} (step ${this.globalStep + 1} of the run)`;
  }

  /** What must survive a step: the model's persistent tensors and the optimizer's state. */
  private persistent(): Tensor[] {
    return [...this.model.allPersistentTensors(), ...optimizerStateTensors(this.optimizer), ...(this.objective?.persistentTensors() ?? [])];
  }

  /**
   * End of a step: nothing left in the model may point at the step's
   * temporaries — the next batch resets the state anyway, and the gradients
   * are cleared before every backward.
   */
  private clearStep(): void {
    this.objective?.endBatch();
    this.model.resetState();
    this.optimizer.zeroGrad();
    for (const p of this.model.parameters()) p.grad = null;
  }

  /**
   * Run `step` on each batch of the loader, every batch (its fetch included)
   * in its own step scope; `step` returns what is reported, computed inside.
   */
  private forEachBatch<R>(loader: Iterable<Batch>, step: (b: Batch) => R, after: (r: R) => void): void {
    const backends = stepBackends(this.model);
    const keep = () => this.persistent();
    const it = loader[Symbol.iterator]();
    let done = false;
    try {
      for (;;) {
        const r = runInStepScope(backends, keep, () => {
          const next = it.next();
          if (next.done) {
            done = true;
            return null;
          }
          try {
            return { value: step(next.value) };
          } finally {
            this.clearStep();
          }
        });
        if (r === null) break;
        after(r.value);
      }
    } finally {
      // As for-of: an abrupt exit closes the loader (generators run their finally blocks).
      if (!done) it.return?.();
    }
  }

  /**
   * Re-estimate every batch-norm layer's running statistics on `loader`'s
   * batches with the weights fixed: the statistics are reset, then each
   * batch's mean and variance enter with weight 1/(k+1), so after n batches
   * the running values are the plain average of the n batch statistics
   * (training-mode forwards under noGrad; no gradient, no update).
   *
   * Why: in low-bit quantization-aware training the weights oscillate
   * across rounding boundaries from one update to the next, so the
   * exponential moving average the running statistics keep lags behind the
   * weights the run ends with, and evaluation (which uses them) loses
   * accuracy that batch statistics still have (Nagel et al., "Overcoming
   * oscillations in quantization-aware training", ICML 2022, re-estimate
   * them after training). Returns the layers, batches and samples used.
   */
  recalibrateBatchNorm(loader: Iterable<Batch>, encode: (x: Tensor) => Tensor = this.encode): { layers: number; batches: number; samples: number } {
    const layers = this.model
      .namedModules()
      .map(([, m]) => m)
      .filter((m): m is BatchNormBase => m instanceof BatchNormBase && m.runningMean !== null);
    if (layers.length === 0) return { layers: 0, batches: 0, samples: 0 };
    this.refuseAsyncBackend('recalibrateBatchNorm');
    const momenta = layers.map((l) => l.momentum);
    const wasTraining = this.model.training;
    let batches = 0, samples = 0;
    for (const l of layers) l.resetRunningStats();
    this.model.train(true);
    try {
      noGrad(() => {
        this.forEachBatch(
          loader,
          (b) => {
            for (const l of layers) l.momentum = 1 / (batches + 1);
            this.model.resetState();
            this.forward(encode(b.x));
            return b.y.length;
          },
          (n) => {
            batches++;
            samples += n;
          },
        );
      });
    } finally {
      layers.forEach((l, i) => (l.momentum = momenta[i]!));
      this.model.train(wasTraining);
    }
    return { layers: layers.length, batches, samples };
  }

  /** Train on one batch; returns [loss, accuracy, gradNorm]. */
  private trainBatch(b: Batch, batch: number): [number, number, number] {
    if (this.plan) return this.trainOnlineBatch(b, batch);
    this.model.resetState();
    const seq = this.encode(b.x);
    const T = seq.shape[0] ?? 0;
    this.objective?.beginBatch(seq);
    const lossOf = (out: ModelOutput, s: number, e: number): Tensor => {
      const task = this.lossFn(out, b.y);
      return this.objective ? this.objective.combine(task, out, b.y, s, e) : task;
    };
    if (this.method === 'bptt' || this.tbptt >= T) {
      const out = this.forward(seq);
      const loss = lossOf(out, 0, T);
      const v = this.checkLoss(loss, batch, '');
      const norm = this.update(loss, batch, '');
      return [v, accuracyOf(this.predictFn(out), b.y), norm];
    }
    let total = 0;
    let norm = NaN;
    const gathered = new OutputGather(T);
    let chunk = 0;
    for (let s = 0; s < T; s += this.tbptt, chunk++) {
      const e = Math.min(T, s + this.tbptt);
      const where = `, TBPTT chunk ${chunk} (steps ${s}..${e - 1})`;
      const out = this.forward(sliceLeading(seq, s, e));
      const loss = lossOf(out, s, e);
      total += (this.checkLoss(loss, batch, where) * (e - s)) / T;
      norm = this.update(loss, batch, where);
      for (const n of this.neurons) n.detachState();
      gathered.add(out, s);
    }
    return [total, accuracyOf(this.predictFn(gathered.output()), b.y), norm];
  }

  /**
   * One batch of an online method (SLTT, SLTT-K, OTTT; docs/online-training.md):
   * the model runs step by step, each step's loss is backpropagated at once
   * and the neurons' state detached after it, so the graph held at a
   * backward is one step's. Under direct encoding the layers before
   * RepeatTime run once; their output enters the steps as a leaf whose
   * gradient the steps accumulate and which is backpropagated through them
   * once at the end ('sequence' update; under 'step' they run again at every
   * step, since the weights change in between). SLTT-K runs the steps it did
   * not draw without a graph. Returns [loss, accuracy, gradNorm] like trainBatch.
   */
  private trainOnlineBatch(b: Batch, batch: number): [number, number, number] {
    const plan = this.plan!;
    const stepLoss = this.stepLoss!;
    this.model.resetState();
    const seq = this.encode(b.x);
    // A time-constant input [1, B, ...] is repeated by RepeatTime to its T; a sequence brings its own.
    const timeConstant = seq.shape[0] === 1 && plan.repeat !== null && plan.repeat.steps > 1;
    const T = timeConstant ? plan.repeat!.steps : seq.shape[0] ?? 0;
    bindTraces(this.traced);
    const trained = this.method === 'sltt_k' ? drawSteps(T, this.slttK!, this.onlineRng!) : Array.from({ length: T }, (_, t) => t);
    const isTrained = new Uint8Array(T);
    for (const t of trained) isTrained[t] = 1;
    this.lastTrainedSteps = trained;
    const perStepUpdate = this.onlineUpdate === 'step';
    const runLayers = (layers: readonly Module[], x: Tensor): Tensor => layers.reduce((h, m) => m.forward(h), x);
    // 'sequence' with a time-constant input: the prefix once, its output a leaf that collects the steps' gradients.
    let prefixOut: Tensor | null = null;
    let prefixLeaf: Tensor | null = null;
    if (timeConstant && !perStepUpdate) {
      prefixOut = runLayers(plan.prefix, seq);
      prefixLeaf = prefixOut;
      if (prefixOut.requiresGrad) {
        prefixLeaf = prefixOut.detach();
        prefixLeaf.requiresGrad = true;
      }
    }
    const stepInput = (t: number): Tensor => prefixLeaf ?? runLayers(plan.prefix, timeConstant ? seq : sliceLeading(seq, t, t + 1));
    const runStep = (t: number): ModelOutput => this.outputOf(runLayers(plan.perStep, stepInput(t)));
    if (!perStepUpdate) this.zeroGrads();
    const gathered = new OutputGather(T);
    let total = 0;
    let norm = NaN;
    // What a step hands to the next: the model's state and the optimizer's, the gradients accumulating, the gathered outputs.
    const carried = (): Tensor[] => [
      ...this.persistent(),
      ...this.model.parameters().flatMap((p) => (p.grad ? [p.grad] : [])),
      ...(prefixLeaf?.grad ? [prefixLeaf.grad] : []),
      ...gathered.tensors(),
    ];
    rotatingScope(stepBackends(this.model), carried, (endStep) => {
      for (let t = 0; t < T; t++) {
        const where = `, step ${t}`;
        if (!isTrained[t]) {
          // Not drawn (SLTT-K): forward and loss without a graph; the state still advances.
          const [out, v] = noGrad(() => {
            const o = runStep(t);
            return [o, this.checkLoss(stepLoss(o, b.y, T), batch, where)] as const;
          });
          total += v;
          gathered.add(out, t);
          for (const n of plan.neurons) n.detachState();
          endStep();
          continue;
        }
        if (perStepUpdate) this.zeroGrads();
        const out = runStep(t);
        const loss = stepLoss(out, b.y, T);
        total += this.checkLoss(loss, batch, where);
        backward(loss);
        if (perStepUpdate) norm = this.applyUpdate(batch, where);
        gathered.add(out, t);
        for (const n of plan.neurons) n.detachState();
        endStep();
      }
    });
    if (!perStepUpdate) {
      if (prefixOut && prefixLeaf && prefixLeaf !== prefixOut && prefixLeaf.grad) backward(prefixOut, prefixLeaf.grad);
      norm = this.applyUpdate(batch, '');
    }
    return [total, accuracyOf(this.predictFn(gathered.output()), b.y), norm];
  }

  /** One pass over the loader with updates. */
  trainEpoch(loader: Iterable<Batch>): EpochResult {
    this.refuseAsyncBackend('trainEpoch');
    const wasTraining = this.model.training;
    this.model.train();
    this.model.beginEpoch(this.epoch, this.epochs);
    const t0 = now();
    let lossSum = 0, accSum = 0, samples = 0, batch = 0;
    const unwatch = this.checkActivations ? watchActivations(this.model, () => `in the forward of ${this.position(this.currentBatch)}`, this.layerOrigin) : null;
    try {
      this.forEachBatch(
        loader,
        (b) => {
          const tb = now();
          this.currentBatch = batch;
          const [loss, acc, gradNorm] = this.trainBatch(b, batch);
          return { loss, acc, gradNorm, B: b.y.length, tb };
        },
        ({ loss, acc, gradNorm, B, tb }) => {
          lossSum += loss * B;
          accSum += acc * B;
          samples += B;
          this.globalStep++;
          const lr = this.optimizer.lr;
          this.scheduler?.onIteration();
          const dt = (now() - tb) / 1000;
          this.callbacks.onBatchEnd?.({ epoch: this.epoch, batch, loss, accuracy: acc, samplesPerSec: dt > 0 ? B / dt : Infinity, lr, gradNorm });
          batch++;
        },
      );
    } finally {
      unwatch?.();
      this.model.train(wasTraining);
    }
    return this.endEpoch(lossSum, accSum, samples, t0);
  }

  /** The epoch's result from its sums (accuracy summed per sample); advances the epoch and the scheduler, reports it. */
  private endEpoch(lossSum: number, accSum: number, samples: number, t0: number): EpochResult {
    const result: EpochResult = { loss: samples ? lossSum / samples : NaN, accuracy: samples ? accSum / samples : NaN, samples, seconds: (now() - t0) / 1000 };
    const lr = this.optimizer.lr;
    const epoch = this.epoch;
    this.epoch++;
    this.scheduler?.onEpoch();
    this.callbacks.onEpochEnd?.({ ...result, epoch, lr });
    return result;
  }

  /**
   * Loss and accuracy over the loader without updates (eval mode, no tape,
   * full sequences). `encode` replaces the trainer's encoder for this call
   * (a test-set encoder with a generator of its own, so a stochastic encoding
   * is reproducible and does not consume the training stream).
   * `onOutput` sees each batch's output and targets while they are alive
   * (inside the batch's step scope), e.g. to count a confusion matrix.
   */
  evaluate(loader: Iterable<Batch>, encode: (x: Tensor) => Tensor = this.encode, onOutput?: (out: ModelOutput, targets: Int32Array) => void): EpochResult {
    this.refuseAsyncBackend('evaluate');
    const wasTraining = this.model.training;
    this.model.eval();
    const t0 = now();
    let lossSum = 0, accSum = 0, samples = 0;
    try {
      noGrad(() => {
        this.forEachBatch(
          loader,
          (b) => {
            this.model.resetState();
            const out = this.forward(encode(b.x));
            onOutput?.(out, b.y);
            return { loss: this.lossFn(out, b.y).item(), acc: accuracyOf(this.predictFn(out), b.y), B: b.y.length };
          },
          ({ loss, acc, B }) => {
            lossSum += loss * B;
            accSum += acc * B;
            samples += B;
          },
        );
      });
    } finally {
      this.model.train(wasTraining);
    }
    return { loss: samples ? lossSum / samples : NaN, accuracy: samples ? accSum / samples : NaN, samples, seconds: (now() - t0) / 1000 };
  }

  /** The synchronous loops read the loss and predictions every batch: say which method a backend like webgpu needs. */
  private refuseAsyncBackend(where: string): void {
    const be = stepBackends(this.model).find((b) => !b.syncRead);
    if (be) throw new BackendError(`Trainer.${where} reads each batch's loss on the host, which the ${be.name} backend cannot do synchronously; use \`await trainer.${where === 'trainEpoch' ? 'trainEpochAsync' : 'evaluateAsync'}(...)\``);
  }

  /**
   * Why this trainer cannot run an asynchronous epoch, or null: the config
   * key and why, as in "train.clip_grad_norm (the global norm is a host
   * number)". Refused up front rather than failing on the first kernel;
   * public so a caller choosing a backend (the playground) can ask first.
   */
  asyncRefusal(): string | null {
    if (this.plan || (this.method === 'tbptt' && this.tbptt > 0)) return `train.method '${this.method}' (only full BPTT runs there so far)`;
    if (this.clipNorm !== null) return 'train.clip_grad_norm (the global norm is a host number)';
    if (this.checkActivations) return 'train.check_activations (the forward hooks read each output on the host)';
    if (this.objective) return 'train.distill (the teacher\'s terms are computed on the host)';
    return null;
  }

  private checkAsync(where: string): void {
    const why = this.asyncRefusal();
    if (why) throw new ConfigError(`Trainer.${where}: on a backend without synchronous reads (webgpu) ${why} is not supported; train on a CPU backend (--backend native, wasm or ts)`);
  }

  /**
   * Run each batch of the loader in its own step scope, as forEachBatch,
   * calling `drain` (awaited) whenever `full()` says so and once at the end.
   */
  private async forEachBatchAsync(loader: Iterable<Batch>, step: (b: Batch) => void, full: () => boolean, drain: () => Promise<void>): Promise<void> {
    const backends = stepBackends(this.model);
    const keep = () => this.persistent();
    const it = loader[Symbol.iterator]();
    let done = false;
    try {
      for (;;) {
        const more = runInStepScope(backends, keep, () => {
          const next = it.next();
          if (next.done) return false;
          try {
            step(next.value);
          } finally {
            this.clearStep();
          }
          return true;
        });
        if (!more) {
          done = true;
          break;
        }
        if (full()) await drain();
      }
      await drain();
    } finally {
      if (!done) it.return?.();
    }
  }

  /**
   * trainEpoch for a backend without synchronous reads (Backend.syncRead
   * false: webgpu). The same updates in the same order, but nothing waits
   * for the device inside a batch: each batch's loss and its count of
   * correct predictions (argmax of the `scores`, as `predict` decides) stay
   * on the device in a DeviceLedger, read with one `await` every
   * `readEvery` batches and at the end. Then the loss is checked (a
   * non-finite one names its batch), onBatchEnd runs for each batch of the
   * window (samplesPerSec: the window's mean), and — when
   * checkFiniteEvery > 0 — the parameters are read back and checked once
   * per window, so a divergence is caught within `readEvery` updates.
   * The scheduler steps per batch as it is recorded (it needs no device number).
   */
  async trainEpochAsync(loader: Iterable<Batch>): Promise<EpochResult> {
    this.checkAsync('trainEpochAsync');
    const be = getBackend();
    const ledger = new DeviceLedger(be, this.readEvery);
    const wasTraining = this.model.training;
    this.model.train();
    this.model.beginEpoch(this.epoch, this.epochs);
    const t0 = now();
    let lossSum = 0, correctSum = 0, samples = 0, batch = 0;
    // The batches in the ledger: their index, size and the rate they trained with.
    let window: { batch: number; B: number; lr: number }[] = [];
    let windowT0 = now();
    const drain = async (): Promise<void> => {
      const entries: LedgerEntry[] = await ledger.read();
      const dt = (now() - windowT0) / 1000;
      const windowSamples = window.reduce((a, w) => a + w.B, 0);
      entries.forEach(({ loss, correct }, i) => {
        const w = window[i]!;
        if (!Number.isFinite(loss)) throw new NumericError(`training diverged: loss is ${loss} at epoch ${this.epoch + 1}, batch ${w.batch + 1}`);
        lossSum += loss * w.B;
        correctSum += correct;
        samples += w.B;
        this.callbacks.onBatchEnd?.({ epoch: this.epoch, batch: w.batch, loss, accuracy: correct / w.B, samplesPerSec: dt > 0 ? windowSamples / dt : Infinity, lr: w.lr, gradNorm: NaN });
      });
      if (this.checkFiniteEvery > 0 && window.length > 0) {
        const last = window[window.length - 1]!.batch;
        await checkModelFiniteAsync(this.model, `after the optimizer updates of epoch ${this.epoch + 1}, batches ${window[0]!.batch + 1}–${last + 1} (checked once per ${this.readEvery} batches on the ${be.name} backend)`, { layerOrigin: this.layerOrigin });
      }
      window = [];
      windowT0 = now();
    };
    try {
      await this.forEachBatchAsync(
        loader,
        (b) => {
          this.currentBatch = batch;
          this.model.resetState();
          const out = this.forward(this.encode(b.x));
          const loss = this.lossFn(out, b.y);
          noGrad(() => ledger.record(loss, this.scoresFn(out), b.y));
          this.zeroGrads();
          backward(loss);
          this.optimizer.step();
          this.model.afterUpdate();
          this.updates++;
          window.push({ batch, B: b.y.length, lr: this.optimizer.lr });
          this.globalStep++;
          this.scheduler?.onIteration();
          batch++;
        },
        () => ledger.full,
        drain,
      );
    } finally {
      this.model.train(wasTraining);
    }
    return this.endEpoch(lossSum, correctSum, samples, t0);
  }

  /**
   * evaluate for a backend without synchronous reads: the loss and the
   * correct count of each batch kept on the device (DeviceLedger) and read
   * once per `readEvery` batches. A per-batch output callback would need the
   * outputs on the host, so there is none (the CLI counts its confusion
   * matrix on a CPU copy of the model).
   */
  async evaluateAsync(loader: Iterable<Batch>, encode: (x: Tensor) => Tensor = this.encode): Promise<EpochResult> {
    const be = getBackend();
    const ledger = new DeviceLedger(be, this.readEvery);
    const wasTraining = this.model.training;
    this.model.eval();
    const t0 = now();
    let lossSum = 0, correctSum = 0, samples = 0;
    const sizes: number[] = [];
    try {
      await this.forEachBatchAsync(
        loader,
        (b) =>
          noGrad(() => {
            this.model.resetState();
            const out = this.forward(encode(b.x));
            ledger.record(this.lossFn(out, b.y), this.scoresFn(out), b.y);
            sizes.push(b.y.length);
          }),
        () => ledger.full,
        async () => {
          const entries = await ledger.read();
          entries.forEach(({ loss, correct }, i) => {
            lossSum += loss * sizes[i]!;
            correctSum += correct;
            samples += sizes[i]!;
          });
          sizes.length = 0;
        },
      );
    } finally {
      this.model.train(wasTraining);
    }
    return { loss: samples ? lossSum / samples : NaN, accuracy: samples ? correctSum / samples : NaN, samples, seconds: (now() - t0) / 1000 };
  }
}

/**
 * The outputs of a sequence run in pieces (TBPTT chunks, online steps),
 * copied into one [T, B, C] record for the class decision (no graph).
 */
class OutputGather {
  private spikes: Tensor | null = null;
  private membrane: Tensor | null = null;

  constructor(private readonly T: number) {}

  /** The piece `out` that starts at step `start`. */
  add(out: ModelOutput, start: number): void {
    this.spikes = OutputGather.put(this.spikes, out.spikes, start, this.T);
    if (out.membrane) this.membrane = OutputGather.put(this.membrane, out.membrane, start, this.T);
  }

  output(): ModelOutput {
    if (!this.spikes) throw new ShapeError('Trainer: a sequence of 0 steps has no output');
    return { spikes: this.spikes, membrane: this.membrane };
  }

  /** The record's own tensors (they must outlive a step scope). */
  tensors(): Tensor[] {
    return [this.spikes, this.membrane].filter((t): t is Tensor => t !== null);
  }

  private static put(all: Tensor | null, x: Tensor, start: number, T: number): Tensor {
    const steps = x.shape[0]!;
    const perStep = steps > 0 ? x.size / steps : 0;
    const dst = all ?? empty(x.backend, [T, ...x.shape.slice(1)]);
    x.backend.copy(x.storage, 0, dst.storage, start * perStep, x.size);
    return dst;
  }
}
