import { ArrayStorage } from '../backend/storage.js';
import { ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Trainer } from './trainer.js';

/*
 * A CPU copy of a trainer that lives on a backend without synchronous reads
 * (webgpu). Checkpoints, weight files, the finite check before saving, the
 * measurements and plots of a run folder all read tensors on the host; rather
 * than give each of them an asynchronous twin, the CLI keeps a second trainer
 * of the same config on a CPU backend and copies the device state into it
 * (one awaited read per tensor) whenever the host needs it: once per epoch.
 */

/** dst's values ← src's (src on any backend, read with `await`); shapes must match. */
async function copyInto(src: Tensor, dst: Tensor, what: string): Promise<void> {
  if (!shapeEq(src.shape, dst.shape)) throw new ShapeError(`mirror: ${what} is ${fmtShape(src.shape)} on the device and ${fmtShape(dst.shape)} on the host copy`);
  dst.storage.data.set(await src.read());
}

/** Every parameter and buffer of `from` copied into the same-named tensor of `to` (models built from one config). */
export async function copyModelState(from: Module, to: Module): Promise<void> {
  const pairs = (m: Module): Map<string, Tensor> => new Map([...m.namedParameters(), ...m.namedBuffers()]);
  const src = pairs(from), dst = pairs(to);
  for (const name of dst.keys()) if (!src.has(name)) throw new ShapeError(`mirror: the host copy has tensor '${name}', the device model does not`);
  await Promise.all([...src].map(([name, t]) => {
    const d = dst.get(name);
    if (!d) throw new ShapeError(`mirror: the device model has tensor '${name}', the host copy does not`);
    return copyInto(t, d, `tensor '${name}'`);
  }));
}

/**
 * `to` becomes what `from` is: model tensors, optimizer state (moments, step
 * counts, rates), scheduler position, epoch and step counters. Afterwards a
 * checkpoint of `to` is a checkpoint of `from`.
 */
export async function copyTrainerState(from: Trainer, to: Trainer): Promise<void> {
  await copyModelState(from.model, to.model);
  const state = from.optimizer.stateDict();
  const tensors: Record<string, Tensor> = {};
  await Promise.all(Object.entries(state.tensors).map(async ([key, t]) => {
    tensors[key] = new Tensor(new ArrayStorage(Float32Array.from(await t.read())), t.shape);
  }));
  to.optimizer.loadStateDict({ ...state, tensors });
  if (from.scheduler && to.scheduler) to.scheduler.loadStateDict(from.scheduler.stateDict());
  to.epoch = from.epoch;
  to.globalStep = from.globalStep;
}
