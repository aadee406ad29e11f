import { setBackend } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import { ConfigError } from '../errors.js';
import type { Dataset, SplitDataset } from '../data/dataset.js';
import { DataLoader, batchTensor } from '../data/loader.js';
import { augmentEnabled, checkAugment, ImageAugmenter } from '../data/augment.js';
import { checkNormalize, normalizedFill, normalizeDataset } from '../data/normalize.js';
import { datasetRegistry, type DatasetRequest } from '../data/registry.js';
import { holdOutValidation } from '../data/validation.js';
import { createEncoder, type Encoder } from '../encoding/factory.js';
import { buildModel, layerOrigin } from '../nn/builder.js';
import { planModel } from '../nn/plan.js';
import type { Sequential } from '../nn/containers.js';
import { isNeuron } from '../neurons/base.js';
import { zeros } from '../tensor/create.js';
import { noGrad } from '../autograd/tape.js';
import { Rng } from '../tensor/rng.js';
import { predictByCounts, Trainer, type Batch as TrainBatch, type LossFn, type PredictFn, type TrainerCallbacks, type TrainerOptions } from '../train/trainer.js';
import { makeTrainOptimizer } from '../train/param-groups.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import type { LrScheduler } from '../train/schedulers.js';
import type { Tensor } from '../tensor/tensor.js';
import { lossRegistry, makeLoss, makePredict, makeScores, makeStepLoss } from '../train/losses.js';
import { isOnlineMethod } from '../train/online.js';
import { RepeatTime } from '../nn/repeat-time.js';
import type { RunConfig } from './schema.js';
import { withLimits, type SizeLimits } from '../io/limits.js';
import { quantizeModel, type QuantizedLayer } from '../quant/apply.js';
import { isPostTraining, quantizeOptionsFromSection } from '../quant/options.js';
import type { Distillation } from './teacher.js';

/*
 * Building a run from a validated config object: encoder, model, loss (and,
 * through makeOptimizer / makeScheduler, the optimizer and its schedule),
 * all from the registries. Browser-safe: the data comes from the caller or
 * from a registered dataset; reading files is the Node adapter's business
 * (src/cli/session-node.ts).
 */

export { makeLoss } from '../train/losses.js';
export { makeOptimizer } from '../train/optim/registry.js';
export { makeScheduler } from '../train/scheduler-registry.js';

/** Everything a run needs, built from a validated config before anything is written. */
export interface Session {
  config: RunConfig;
  backend: Backend;
  data: SplitDataset;
  encoder: Encoder;
  model: Sequential;
  loss: LossFn;
  /** How a sample's class is decided for this loss (spike counts unless it reads the membrane). */
  predict: PredictFn;
  lossName: string;
  /**
   * Generators whose state checkpoints save (data order lives in the loader
   * state); `augment` exists only when `data.augment` turns something on.
   */
  rngs: { encoder: Rng; loader: Rng; augment?: Rng; online?: Rng };
  /** The training batches' augmentation (`data.augment`), null when off; the test split is never augmented. */
  augment: ImageAugmenter | null;
  steps: number;
  /** The layers `model.quantize` attached weight quantizers to (empty without the section). */
  quantized: QuantizedLayer[];
  /** The teacher and objective of `train.distill`, once attachTeacher (src/config/teacher.ts) has loaded it. */
  distillation?: Distillation | null;
}

export interface BuildSessionOptions {
  /** The data to train and test on; default: the config's `data.dataset` loaded from the dataset registry. */
  data?: SplitDataset;
  /** A backend name (default: config.backend), or a backend already made current with setBackend. */
  backend?: string | Backend;
  /**
   * The samples are time sequences [T, ...] (the `frames` encoder's input).
   * Default: what the dataset registry says of `data.dataset`, else false.
   */
  temporal?: boolean;
  log?: (line: string) => void;
}

/** Whether the config's dataset holds time sequences, per the dataset registry (unregistered: no). */
export function isTemporalDataset(name: string): boolean {
  return datasetRegistry.has(name) && datasetRegistry.get(name).temporal;
}

/**
 * The time bins of a temporal dataset, after checking the config agrees
 * with the data's kind: time sequences need the `frames` encoder with as
 * many steps; `data.frames` applies to temporal datasets only.
 */
export function checkDataConfig(config: RunConfig, temporal = isTemporalDataset(config.data.dataset)): number {
  const d = config.data;
  const frames = d.frames ?? config.encoder.steps;
  if (temporal) {
    if (config.encoder.type !== 'frames') {
      throw new ConfigError(`encoder.type: dataset '${d.dataset}' holds time sequences [T, ...]; use encoder type 'frames' (got '${config.encoder.type}')`);
    }
    if (frames !== config.encoder.steps) throw new ConfigError(`data.frames (${frames}) must equal encoder.steps (${config.encoder.steps}) for dataset '${d.dataset}'`);
  } else if (d.frames !== null) {
    const temporalNames = datasetRegistry.list().filter((e) => e.temporal).map((e) => e.name);
    throw new ConfigError(`data.frames applies to time-sequence datasets only (${temporalNames.join(', ') || 'none registered'}), not '${d.dataset}'`);
  }
  return frames;
}

/** The loader request a config's `data` block stands for (the frames already checked by checkDataConfig). */
export function datasetRequest(config: RunConfig, frames: number, log?: (line: string) => void): DatasetRequest {
  const d = config.data;
  const e = d.emulator;
  return {
    ...(d.dir ? { dataDir: d.dir } : {}),
    trainLimit: d.train_limit,
    testLimit: d.test_limit,
    frames,
    cacheDir: d.cache ? d.cache_dir ?? undefined : null,
    ...(config.limits?.data_bytes !== undefined ? { maxDataBytes: config.limits.data_bytes } : {}),
    ...(d.options ? { options: d.options } : {}),
    emulation: {
      seed: e.seed,
      framesPerSaccade: e.frames_per_saccade,
      emulator: { thresholdOn: e.threshold, thresholdOff: e.threshold, thresholdSigma: e.threshold_sigma, refractory: e.refractory_us, noiseRate: e.noise_rate },
    },
    ...(log ? { log } : {}),
  };
}

/** The config's dataset from the dataset registry, limits applied. */
export function loadConfigData(config: RunConfig, log?: (line: string) => void): SplitDataset {
  const entry = datasetRegistry.get(config.data.dataset, 'data.dataset');
  const frames = checkDataConfig(config, entry.temporal);
  return entry.load(datasetRequest(config, frames, log));
}

/**
 * Build a session (backend, data, encoder, model, loss) from a validated
 * config (`configSchema.parse(object)`): no file is read, so this runs in a
 * browser given `options.data`. The generators are forked from `config.seed`
 * in a fixed order (encoder, loader, model), which is what makes two runs of
 * one config identical. Throws ConfigError / ShapeError naming the config
 * field before any training starts.
 */
export function buildSession(config: RunConfig, options: BuildSessionOptions = {}): Session {
  const backend = typeof options.backend === 'object' ? options.backend : setBackend(options.backend ?? config.backend);
  let data: SplitDataset;
  if (options.data) {
    checkDataConfig(config, options.temporal ?? isTemporalDataset(config.data.dataset));
    data = options.data;
  } else data = loadConfigData(config, options.log);
  // Held out before anything else sees the training split, so training never does.
  data = holdOutValidation(data, config.data.validation, 'data.validation');
  const prep = checkPreprocessing(config, data, options.temporal ?? isTemporalDataset(config.data.dataset));
  const steps = config.encoder.steps;
  const stages = trainStages(config);
  const maxSteps = Math.max(...stages.map((s) => s.steps));
  const { type: encType, steps: _s, ...encOpts } = config.encoder;
  const encoder = createEncoder({ type: encType, ...encOpts }, steps);
  const root = new Rng(config.seed);
  const rngs: Session['rngs'] = { encoder: root.fork(), loader: root.fork() };
  const modelRng = root.fork();
  // The encoder may change the per-sample shape (population coding): probe it with one sample.
  const probeOut = noGrad(() => encoder.encode(zeros([1, ...data.train.shape]), new Rng(0)));
  const inputShape = probeOut.shape.slice(2);
  const limits = configLimits(config);
  const classes = data.train.numClasses;
  // The shape walk before the build: a network over the size budgets, or one that cannot produce the classes, allocates nothing.
  const planned = planModel(config.model.layers, { inputShape, where: 'model.layers', limits });
  if (planned.outputShape) checkClassFeatures(planned.outputShape, classes, data.train.name);
  const { model, outputShape } = buildModel(config.model.layers, {
    limits,
    inputShape,
    steps,
    // A timestep schedule runs the same model at each stage's T: RepeatTime is needed when any stage has
    // T > 1 and the encoder makes one step whatever T is (direct coding; asked at the largest T).
    timeConstantInput: maxSteps > 1 && (maxSteps === steps ? encoder : createEncoder({ type: encType, ...encOpts }, maxSteps)).outputSteps === 1,
    rng: modelRng,
    where: 'model.layers',
    readout: lossRegistry.has(config.train.loss.type) && lossRegistry.get(config.train.loss.type).readout === true,
  });
  // Quantizers attach after the model is built (composite layers' children included) and before any optimizer sees the parameters.
  const quantized = config.model.quantize ? quantizeModel(model, quantizeOptionsFromSection(config.model.quantize), 'model.quantize') : [];
  const lossEntry = lossRegistry.get(config.train.loss.type, 'train.loss.type');
  const loss = makeLoss(config.train.loss);
  // The per-step form is checked here, before anything is written (a loss without one is a ConfigError naming it).
  if (isOnlineMethod(config.train.method)) makeStepLoss(config.train.loss);
  const neurons = model.namedModules().map(([, m]) => m).filter(isNeuron);
  const out = neurons[neurons.length - 1];
  if (lossEntry.needsMembrane && out) out.recordMembrane = true;
  checkClassFeatures(outputShape, classes, data.train.name);
  const predict = makePredict(config.train.loss) ?? predictByCounts;
  // Forked after the model's generator, so turning augmentation on leaves the initialisation, order and encoding as they were.
  let augment: ImageAugmenter | null = null;
  if (prep.augment) {
    rngs.augment = root.fork();
    const normalize = config.data.normalize;
    augment = new ImageAugmenter(data.train.shape, camelAugment(config), rngs.augment, {
      where: 'data.augment',
      dataset: data.train.name,
      ...(normalize ? { fill: normalizedFill(normalize) } : {}),
    });
  }
  // SLTT-K's draws of steps: forked last, and only for that method, so every other run's generators are as they were.
  if (config.train.method === 'sltt_k') rngs.online = root.fork();
  if (config.data.normalize) {
    const n = config.data.normalize;
    data = {
      train: normalizeDataset(data.train, n, 'data.normalize'),
      test: normalizeDataset(data.test, n, 'data.normalize'),
      ...(data.validation ? { validation: normalizeDataset(data.validation, n, 'data.normalize') } : {}),
    };
  }
  return { config, backend, data, encoder, model, loss, predict, lossName: config.train.loss.type, rngs, augment, steps, quantized };
}

/**
 * The run's size budgets: the config's `limits` over the defaults. Here, not
 * beside the schema, so the browser core imports no zod.
 */
export function configLimits(config: Pick<RunConfig, 'limits'>): SizeLimits {
  const l = config.limits ?? {};
  return withLimits({ dataBytes: l.data_bytes, parameterBytes: l.parameter_bytes, activationBytes: l.activation_bytes });
}

/** The network's per-sample output must be one feature per class. */
function checkClassFeatures(outputShape: readonly number[], classes: number, dataset: string): void {
  if (outputShape.length !== 1 || outputShape[0] !== classes) {
    throw new ConfigError(`model.layers: the network outputs [${outputShape.join(', ')}] per sample, but '${dataset}' has ${classes} classes: the last layers must produce ${classes} features`);
  }
}

function camelAugment(config: RunConfig): { randomCrop: { padding: number } | null; horizontalFlip: boolean } {
  const a = config.data.augment;
  return { randomCrop: a.random_crop, horizontalFlip: a.horizontal_flip };
}

/**
 * Check `data.augment` and `data.normalize` against the data before anything
 * is built: both apply to image samples [C, H, W] (not to time sequences),
 * and normalize gives one mean and std per channel. Returns whether the
 * training batches are augmented.
 */
function checkPreprocessing(config: RunConfig, data: SplitDataset, temporal: boolean): { augment: boolean } {
  const d = config.data;
  const augment = augmentEnabled(camelAugment(config));
  for (const [key, on] of [['augment', augment], ['normalize', d.normalize !== null]] as const) {
    if (on && temporal) throw new ConfigError(`data.${key}: applies to image datasets, not to time sequences like '${d.dataset}' (samples [T, ...])`);
  }
  if (d.normalize) checkNormalize(d.normalize, data.train.shape, 'data.normalize', data.train.name);
  if (augment) checkAugment(camelAugment(config), data.train.shape, 'data.augment', data.train.name);
  return { augment };
}

/**
 * The generators a checkpoint of this session saves and a resume restores:
 * the training encoder's, and the augmentation's when it is on (so a run
 * without augmentation still resumes from a checkpoint that predates it).
 */
export function checkpointRngs(session: Pick<Session, 'rngs'>): Record<string, Rng> {
  const { encoder, augment, online } = session.rngs;
  return { encoder, ...(augment ? { augment } : {}), ...(online ? { online } : {}) };
}

/** One stage of training: its T and epochs (a run without train.timestep_schedule is one stage). */
export interface TrainStage {
  steps: number;
  epochs: number;
}

/**
 * The stages a config trains (train.timestep_schedule with train.stage_epochs,
 * else one stage of train.epochs at encoder.steps), after checking the
 * schedule against the encoder and the method: the last stage's T must be
 * encoder.steps (the T of the saved model, which eval and the measurement
 * use), a time-sequence input cannot change its T, and SLTT-K's K must fit
 * every stage.
 */
export function trainStages(config: RunConfig): TrainStage[] {
  const t = config.train;
  const steps = config.encoder.steps;
  const schedule = t.timestep_schedule;
  if (schedule !== null) {
    const last = schedule[schedule.length - 1]!;
    if (last !== steps) {
      throw new ConfigError(
        `train.timestep_schedule: the last stage runs at T = ${last} but encoder.steps is ${steps}; encoder.steps is the T of the saved model (the last stage), so set encoder.steps: ${last}`,
      );
    }
    if (config.encoder.type === 'frames') throw new ConfigError("train.timestep_schedule: the 'frames' encoder reads time sequences of a fixed length; a schedule changes T, which needs an encoder that makes its own steps (direct, rate, ...)");
  }
  const Ts = schedule ?? [steps];
  const e = t.stage_epochs;
  const stages = Ts.map((T, i) => ({ steps: T, epochs: e === null ? t.epochs : Array.isArray(e) ? e[i]! : e }));
  if (t.method === 'sltt_k' && t.sltt_k !== null) {
    const small = Math.min(...Ts);
    if (t.sltt_k > small) throw new ConfigError(`train.sltt_k: K = ${t.sltt_k} steps per batch, but ${schedule ? 'a stage of train.timestep_schedule runs' : 'the encoder runs'} at T = ${small}; K must be at most T`);
  }
  return stages;
}

/**
 * The session of one stage of a timestep schedule: the same model, data and
 * generators, with the stage's T (the encoder made for it, every RepeatTime
 * set to it) and its epochs as train.epochs (the length the scheduler and
 * the modules' epoch hooks see). The model is shared: its weights carry from
 * stage to stage, which is the point of the schedule.
 */
export function stageSession(session: Session, stage: TrainStage): Session {
  const { config } = session;
  const { type, steps: _s, ...encOpts } = config.encoder;
  const encoder = createEncoder({ type, ...encOpts }, stage.steps);
  for (const [, m] of session.model.namedModules()) if (m instanceof RepeatTime) m.setSteps(stage.steps);
  return {
    ...session,
    config: { ...config, encoder: { ...config.encoder, steps: stage.steps }, train: { ...config.train, epochs: stage.epochs } },
    encoder,
    steps: stage.steps,
  };
}

/**
 * The session's training batches from `loader`: copied out of the dataset,
 * augmented when `data.augment` says so, then made tensors.
 */
export function trainBatches(session: Pick<Session, 'data' | 'backend' | 'augment'>, loader: DataLoader): Generator<TrainBatch> {
  return tensorBatches(loader, session.data.train.shape, session.backend, session.augment);
}

/**
 * Adapts the data loader's raw batches to the Trainer's tensors; `augment`
 * rewrites each batch in the loader's buffer first (a copy: the dataset is
 * never changed).
 */
export function* tensorBatches(loader: DataLoader, shape: readonly number[], backend: Backend, augment?: ImageAugmenter | null): Generator<TrainBatch> {
  for (const b of loader) {
    augment?.apply(b.x, b.size);
    yield { x: batchTensor(b, shape, backend), y: Int32Array.from(b.labels) };
  }
}

export function makeLoader(ds: Dataset, batchSize: number, shuffle: boolean, rng?: Rng, dropLast = false): DataLoader {
  return new DataLoader(ds, { batchSize, shuffle, rng: rng ?? new Rng(0), dropLast });
}

/**
 * The Trainer a session's config describes: the optimizer with its parameter
 * groups and schedules (train.param_groups), the training encoder on the
 * session's generator, the loss and its class decision, clipping, TBPTT and
 * the run length for the modules' epoch hooks. The CLI and the browser
 * playground both train through it; `callbacks` are the caller's, and
 * `options.readEvery` the window of the asynchronous epochs (webgpu).
 */
export function sessionTrainer(
  session: Session,
  callbacks: TrainerCallbacks = {},
  options: Pick<TrainerOptions, 'readEvery'> = {},
): { trainer: Trainer; optimizer: Optimizer; scheduler: LrScheduler | null } {
  const { config, model, encoder } = session;
  const q = config.model.quantize;
  if (q && isPostTraining(q.method)) {
    throw new ConfigError(
      `model.quantize.method: '${q.method}' is post-training quantization, which fixes the steps of a trained float model and does not train; train with method 'lsq' (quantization-aware training) or without model.quantize and then run \`spikeflow quantize RUN_DIR --method ${q.method}\``,
    );
  }
  if (config.train.distill && !session.distillation) {
    throw new ConfigError("train.distill: no teacher is attached to this session (the CLI loads the run folder; a library caller calls attachTeacher from 'src/config/teacher.ts')");
  }
  const { optimizer, scheduler } = makeTrainOptimizer(config.train, model.namedParameters());
  const trainer = new Trainer({
    model,
    encode: (x: Tensor) => encoder.encode(x, session.rngs.encoder),
    loss: session.loss,
    predict: session.predict,
    scores: makeScores(config.train.loss),
    optimizer,
    scheduler,
    epochs: config.train.epochs,
    clipGradNorm: config.train.clip_grad_norm,
    checkFiniteEvery: config.train.check_finite_every,
    checkActivations: config.train.check_activations,
    layerOrigin,
    method: config.train.method,
    tbptt: config.train.tbptt,
    stepLoss: isOnlineMethod(config.train.method) ? makeStepLoss(config.train.loss) : null,
    online: { k: config.train.sltt_k, update: config.train.online_update, rng: session.rngs.online ?? null },
    objective: session.distillation?.distiller ?? null,
    callbacks,
    ...options,
  });
  return { trainer, optimizer, scheduler };
}
