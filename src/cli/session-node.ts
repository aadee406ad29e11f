import { setBackend } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import type { RunConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { loadDataset } from '../data/load-node.js';
import type { SplitDataset, Dataset } from '../data/dataset.js';
import { DataLoader, batchTensor } from '../data/loader.js';
import { createEncoder, type Encoder } from '../encoding/factory.js';
import { buildModel, type LayerConfig } from '../nn/builder.js';
import type { Sequential } from '../nn/containers.js';
import { isNeuron } from '../neurons/base.js';
import { ceCountLoss, ceMembraneLoss, ceRateLoss, mseCountLoss, type MembraneReduction } from '../ops/loss.js';
import { zeros } from '../tensor/create.js';
import { noGrad } from '../autograd/tape.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LossFn, Batch as TrainBatch } from '../train/trainer.js';
import { Adam, AdamW } from '../train/optim/adam.js';
import { SGD } from '../train/optim/sgd.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import { LrScheduler, constantLr, cosineAnnealing, linearWarmup, stepDecay, type Schedule } from '../train/schedulers.js';

/** Everything a run needs, built from a validated config before anything is written. */
export interface Session {
  config: RunConfig;
  backend: Backend;
  data: SplitDataset;
  encoder: Encoder;
  model: Sequential;
  loss: LossFn;
  lossName: string;
  /** Generators whose state checkpoints save (data order lives in the loader state). */
  rngs: { encoder: Rng; loader: Rng };
  steps: number;
}

const LOSS_TYPES = ['ce_rate', 'ce_count', 'mse_count', 'ce_membrane'] as const;

function makeLoss(cfg: RunConfig['train']['loss']): LossFn {
  const { type, ...opts } = cfg;
  const allowed: Record<string, string[]> = { ce_rate: [], ce_count: [], mse_count: ['correct_rate', 'incorrect_rate'], ce_membrane: ['reduce'] };
  const keys = allowed[type];
  if (!keys) throw new ConfigError(`train.loss.type: unknown loss '${type}' (available: ${LOSS_TYPES.join(', ')})`);
  for (const k of Object.keys(opts)) if (!keys.includes(k)) throw new ConfigError(`train.loss: unknown option '${k}' for '${type}'${keys.length ? ` (allowed: ${keys.join(', ')})` : ''}`);
  switch (type) {
    case 'ce_rate':
      return (out, y) => ceRateLoss(out.spikes, y);
    case 'ce_count':
      return (out, y) => ceCountLoss(out.spikes, y);
    case 'mse_count': {
      const num = (k: string, d: number): number => {
        const v = opts[k];
        if (v === undefined) return d;
        if (typeof v !== 'number') throw new ConfigError(`train.loss.${k}: expected a number, got ${JSON.stringify(v)}`);
        return v;
      };
      const o = { correctRate: num('correct_rate', 0.8), incorrectRate: num('incorrect_rate', 0.2) };
      return (out, y) => mseCountLoss(out.spikes, y, o);
    }
    default: {
      const reduce = (opts['reduce'] ?? 'mean') as MembraneReduction;
      if (!['mean', 'last', 'max'].includes(reduce)) throw new ConfigError(`train.loss.reduce: expected 'mean', 'last' or 'max', got ${JSON.stringify(reduce)}`);
      return (out, y) => {
        if (!out.membrane) throw new ConfigError('ce_membrane loss: the output neuron layer records no membrane');
        return ceMembraneLoss(out.membrane, y, reduce);
      };
    }
  }
}

export function makeOptimizer(cfg: RunConfig['train']['optimizer'], params: Tensor[]): Optimizer {
  switch (cfg.type) {
    case 'sgd':
      return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.weight_decay });
    case 'adam':
      return new Adam(params, { lr: cfg.lr, betas: cfg.betas, eps: cfg.eps, weightDecay: cfg.weight_decay });
    case 'adamw':
      return new AdamW(params, { lr: cfg.lr, betas: cfg.betas, eps: cfg.eps, weightDecay: cfg.weight_decay });
  }
}

export function makeScheduler(cfg: RunConfig['train']['scheduler'], epochs: number, opt: Optimizer): LrScheduler | null {
  if (cfg.type === 'none' && cfg.warmup_epochs === 0) return null;
  let s: Schedule;
  const rest = Math.max(1, epochs - cfg.warmup_epochs);
  switch (cfg.type) {
    case 'none':
      s = constantLr();
      break;
    case 'step':
      s = stepDecay(cfg.step_size, cfg.gamma);
      break;
    case 'cosine':
      s = cosineAnnealing(rest, cfg.eta_min);
      break;
  }
  if (cfg.warmup_epochs > 0) s = linearWarmup(cfg.warmup_epochs, s);
  return new LrScheduler(opt, s, 'epoch');
}

/** Datasets whose samples are already time sequences [T, ...]: the encoder must be `frames`. */
const TEMPORAL_DATASETS: readonly string[] = ['nmnist-emulated'];

/**
 * The config's dataset with `train_limit` / `test_limit` applied (event
 * datasets generate only the samples kept). Event datasets have
 * `data.frames` (default encoder.steps) time bins and need the `frames`
 * encoder with as many steps.
 */
export function loadSessionData(config: RunConfig, log?: (line: string) => void): SplitDataset {
  const d = config.data;
  const temporal = TEMPORAL_DATASETS.includes(d.dataset);
  const frames = d.frames ?? config.encoder.steps;
  if (temporal) {
    if (config.encoder.type !== 'frames') {
      throw new ConfigError(`encoder.type: dataset '${d.dataset}' holds time sequences [T, 2, 34, 34]; use encoder type 'frames' (got '${config.encoder.type}')`);
    }
    if (frames !== config.encoder.steps) throw new ConfigError(`data.frames (${frames}) must equal encoder.steps (${config.encoder.steps}) for dataset '${d.dataset}'`);
  } else if (d.frames !== null) {
    throw new ConfigError(`data.frames applies to event datasets only (${TEMPORAL_DATASETS.join(', ')}), not '${d.dataset}'`);
  }
  const e = d.emulator;
  return loadDataset(d.dataset, {
    ...(d.dir ? { dataDir: d.dir } : {}),
    trainLimit: d.train_limit,
    testLimit: d.test_limit,
    frames,
    cacheDir: d.cache ? d.cache_dir ?? undefined : null,
    emulation: {
      seed: e.seed,
      framesPerSaccade: e.frames_per_saccade,
      emulator: { thresholdOn: e.threshold, thresholdOff: e.threshold, thresholdSigma: e.threshold_sigma, refractory: e.refractory_us, noiseRate: e.noise_rate },
    },
    ...(log ? { log } : {}),
  });
}

/** Load data, build encoder and model; throws typed errors before anything touches disk. */
export function createSession(config: RunConfig, opts: { backend?: string; log?: (line: string) => void } = {}): Session {
  const backend = setBackend(opts.backend ?? config.backend);
  const data = loadSessionData(config, opts.log);
  const steps = config.encoder.steps;
  const { type: encType, steps: _s, ...encOpts } = config.encoder;
  const encoder = createEncoder({ type: encType, ...encOpts }, steps);
  const root = new Rng(config.seed);
  const rngs = { encoder: root.fork(), loader: root.fork() };
  const modelRng = root.fork();
  // The encoder may change the per-sample shape (population coding): probe it with one sample.
  const probeOut = noGrad(() => encoder.encode(zeros([1, ...data.train.shape]), new Rng(0)));
  const inputShape = probeOut.shape.slice(2);
  const { model, outputShape } = buildModel(config.model.layers as LayerConfig[], {
    inputShape,
    steps,
    timeConstantInput: encoder.outputSteps === 1 && steps > 1,
    rng: modelRng,
    where: 'model.layers',
  });
  const neurons = model.namedModules().map(([, m]) => m).filter(isNeuron);
  const out = neurons[neurons.length - 1]!;
  if (config.train.loss.type === 'ce_membrane') out.recordMembrane = true;
  const classes = data.train.numClasses;
  if (outputShape.length !== 1 || outputShape[0] !== classes) {
    throw new ConfigError(`model.layers: the network outputs [${outputShape.join(', ')}] per sample, but '${data.train.name}' has ${classes} classes: the last layers must produce ${classes} features`);
  }
  return { config, backend, data, encoder, model, loss: makeLoss(config.train.loss), lossName: config.train.loss.type, rngs, steps };
}

/** Adapts the data loader's raw batches to the Trainer's tensors. */
export function* tensorBatches(loader: DataLoader, shape: readonly number[], backend: Backend): Generator<TrainBatch> {
  for (const b of loader) yield { x: batchTensor(b, shape, backend), y: Int32Array.from(b.labels) };
}

export function makeLoader(ds: Dataset, batchSize: number, shuffle: boolean, rng?: Rng): DataLoader {
  return new DataLoader(ds, { batchSize, shuffle, rng: rng ?? new Rng(0) });
}
