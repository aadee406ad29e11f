/**
 * Training: optimizers, learning-rate schedulers, gradient clipping, the
 * Trainer loop and checkpoint encoding (browser-safe). File-based checkpoints
 * live in checkpoint-node.ts; the losses are ops in src/ops/loss.ts.
 */
export { Optimizer, SGD, Adam, AdamW, type OptimizerState, type Hyper, type SgdOptions, type AdamOptions } from './optim/index.js';
export type { ParamGroup } from './optim/optimizer.js';
export { makeTrainOptimizer, selectParams, type ParamGroupConfig, type TrainOptimizerConfig } from './param-groups.js';
export {
  LrScheduler,
  constantLr,
  stepDecay,
  cosineAnnealing,
  linearWarmup,
  oneCycle,
  type Schedule,
  type SchedulerState,
  type StepInterval,
} from './schedulers.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export {
  Trainer,
  type Batch,
  type ModelOutput,
  type LossFn,
  type PredictFn,
  type ScoreFn,
  type StepLossFn,
  type BatchObjective,
  predictByCounts,
  scoreByCounts,
  membraneSourceOf,
  accuracyOf,
  type TrainerOptions,
  type TrainerCallbacks,
  type BatchEndInfo,
  type EpochEndInfo,
  type EpochResult,
} from './trainer.js';
export {
  TRAIN_METHODS,
  ONLINE_UPDATES,
  isOnlineMethod,
  stepPlan,
  drawSteps,
  type TrainMethod,
  type OnlineMethod,
  type OnlineUpdate,
  type OnlineOptions,
  type StepPlan,
} from './online.js';
export { Distiller, type DistillerOptions, type DistillStats, type FeaturePair } from './distill.js';
export {
  encodeCheckpoint,
  restoreCheckpoint,
  loadCheckpointBytes,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointParts,
  type CheckpointContent,
  type CheckpointInfo,
} from './checkpoint.js';
