import { loadSafetensors } from '../interop/safetensors-node.js';
import { writeFileAtomic } from '../io/atomic-node.js';
import type { Rng } from '../tensor/rng.js';
import { encodeCheckpoint, restoreCheckpoint, type CheckpointContent, type CheckpointInfo, type CheckpointParts } from './checkpoint.js';
import type { Trainer } from './trainer.js';

/** Write a checkpoint file atomically (temp file in the same directory, then rename). */
export function saveCheckpoint(path: string, content: CheckpointContent): void {
  writeFileAtomic(path, encodeCheckpoint(content));
}

export interface LoadCheckpointOptions {
  /** Restore NaN / ±Infinity values too (default false: a NumericError names the file, the tensor and the first bad index). */
  allowNonFinite?: boolean;
}

/** Read a checkpoint file and restore it into the given parts (validated first; errors name the file and tensor). */
export function loadCheckpoint(path: string, parts: CheckpointParts, opts: LoadCheckpointOptions = {}): CheckpointInfo {
  return restoreCheckpoint(loadSafetensors(path, { allowNonFinite: opts.allowNonFinite ?? false }), parts, path);
}

export interface TrainerCheckpointExtras {
  rngs?: Record<string, Rng>;
  config?: unknown;
}

/** Save a Trainer's model, optimizer, scheduler, epoch and step (plus RNGs and config). */
export function saveTrainerCheckpoint(path: string, trainer: Trainer, extras: TrainerCheckpointExtras = {}): void {
  saveCheckpoint(path, {
    model: trainer.model,
    optimizer: trainer.optimizer,
    scheduler: trainer.scheduler,
    rngs: extras.rngs,
    epoch: trainer.epoch,
    step: trainer.globalStep,
    config: extras.config,
  });
}

/** Restore a Trainer (and RNGs) from a checkpoint so training continues where it stopped. */
export function loadTrainerCheckpoint(path: string, trainer: Trainer, rngs: Record<string, Rng> = {}, opts: LoadCheckpointOptions = {}): CheckpointInfo {
  const info = loadCheckpoint(path, { model: trainer.model, optimizer: trainer.optimizer, scheduler: trainer.scheduler, rngs }, opts);
  trainer.epoch = info.epoch;
  trainer.globalStep = info.step;
  return info;
}
