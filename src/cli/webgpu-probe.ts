import { noGrad } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { withBackend } from '../backend/registry.js';
import type { RunConfig } from '../config/schema.js';
import type { Session } from '../config/session.js';
import { createEncoder } from '../encoding/factory.js';
import { BackendError, ConfigError } from '../errors.js';
import { layerOrigin } from '../nn/builder.js';
import { zeros } from '../tensor/create.js';
import { Rng } from '../tensor/rng.js';
import { probeLayers } from '../train/backend-probe.js';
import { runInStepScope, type Trainer } from '../train/trainer.js';

/*
 * Whether a session can train on a backend without synchronous reads
 * (webgpu), asked before anything trains. Browser-safe (no Node module), so
 * `spikeflow train --backend webgpu` (webgpu-train-node.ts), which refuses
 * the run, and the browser playground's worker, which falls back to wasm
 * with the answer as its reason, share one rule.
 */

/**
 * Why the config's encoder cannot run on `backend`, or null, asked before
 * the session is built (buildSession encodes a zero sample first, and on
 * webgpu an encoder that computes its spikes on the host — rate, poisson,
 * latency, … read the pixels synchronously — fails there with a storage
 * error that names neither the encoder nor the config key). The encoder
 * runs once on one zero sample of `sampleShape` on `backend`, in a step
 * scope of its own, with a generator of its own.
 */
export function encoderRefusal(config: RunConfig, backend: Backend, sampleShape: readonly number[]): string | null {
  const { type, steps, ...options } = config.encoder;
  const encoder = createEncoder({ type, ...options }, steps);
  try {
    withBackend(backend, () => runInStepScope([backend], () => [], () => noGrad(() => encoder.encode(zeros([1, ...sampleShape]), new Rng(0)))));
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    // The storage error is the expected one (the encoder reads its input on the host); anything else is quoted.
    const how = /no synchronous view/.test(e.message) ? 'it computes its spikes on the host, from a synchronous read of the input' : e.message;
    return `encoder.type '${type}' cannot run on the ${backend.name} backend yet: ${how}`;
  }
  return null;
}

/** Every top-level layer run forward and backward once on the device; a layer without kernels fails naming itself (ConfigError). */
export function probeSession(session: Session): void {
  const input = noGrad(() => session.encoder.encode(zeros([1, ...session.data.train.shape]), new Rng(0)));
  probeLayers(session.model, input, session.backend, layerOrigin);
}

/**
 * Why `session` (with its `trainer`) cannot train on its backend
 * asynchronously, or null: first the trainer's settings the asynchronous
 * epoch refuses (train.method, clip_grad_norm, …), then the layer probe.
 * Errors other than a refusal propagate.
 */
export function asyncTrainingRefusal(session: Session, trainer: Trainer): string | null {
  const setting = trainer.asyncRefusal();
  if (setting) return `${setting} does not run on the ${session.backend.name} backend yet`;
  try {
    probeSession(session);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return null;
}
