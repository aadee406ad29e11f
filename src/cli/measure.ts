import { profileModel, type ProfileResult } from '../analysis/profile.js';
import { batchTensor, type DataLoader } from '../data/loader.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { stepBackends } from '../train/trainer.js';
import type { Session } from './session-node.js';

/** The uniform rows of a run's energy report (a quantized model adds its own row): the widths a deployment would pick. */
export const RUN_PRECISIONS = ['fp32', 'fp16', 'int8', 'int4'] as const;

/** Samples of the test set the spike statistics and energy figures are measured on. */
export const MEASURE_SAMPLES = 1024;

/**
 * Per-layer spike rates, operation counts and energy on (up to) the first
 * MEASURE_SAMPLES test samples, encoded with a fixed seed so the measurement
 * does not disturb the training generators and is the same for every run.
 * Per-neuron rates are kept for the firing-rate plots.
 */
export function measureModel(session: Session, testLoader: DataLoader): ProfileResult {
  const rng = new Rng(session.config.seed ^ 0x5eed);
  const shape = session.data.test.shape;
  const { model, backend } = session;
  const backends = stepBackends(model);
  // Each batch is a step scope (see Trainer): it opens before the batch is
  // built and closes when the profiler asks for the next one, having finished
  // with this one. The profiler resets the neuron state before every batch;
  // resetting it at the end too leaves nothing in the model pointing at a
  // released storage, so only the persistent tensors are kept.
  function* batches(): Generator<Tensor> {
    let seen = 0;
    for (const b of testLoader) {
      if (seen >= MEASURE_SAMPLES) continue; // drain the epoch so the loader resets
      seen += b.size;
      for (const be of backends) be.beginScope?.();
      try {
        yield session.encoder.encode(batchTensor(b, shape, backend), rng);
      } finally {
        model.resetState();
        const keep = new Set(model.allPersistentTensors().map((t) => t.storage));
        for (let i = backends.length - 1; i >= 0; i--) backends[i]!.endScope?.(keep);
      }
    }
  }
  return profileModel(model, batches(), { perNeuron: true, precisions: RUN_PRECISIONS });
}
