import type { Session } from '../config/session.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The encoder a test-set evaluation uses, from a generator of its own seeded
 * by the config's seed and started afresh for every evaluation. `spikeflow
 * train` (each epoch's test accuracy, the summary's) and `spikeflow eval` both
 * call it, so a stochastic encoder (rate, poisson) draws the same spikes for
 * the same test samples in both and eval reproduces the run's reported
 * accuracy exactly. It also keeps evaluation from advancing the training
 * encoder's generator, so the training stream does not depend on how often
 * the test set is scored.
 */
export function testEncoder(session: Pick<Session, 'config' | 'encoder'>): (x: Tensor) => Tensor {
  const rng = new Rng(session.config.seed ^ TEST_SEED_SALT);
  return (x) => session.encoder.encode(x, rng);
}

/** Mixed into config.seed for the test-set encoder's generator (measureModel uses another). */
export const TEST_SEED_SALT = 0xe7a1;

/**
 * The encoder for the validation split (early exit's threshold choice): the
 * same construction with a salt of its own, so a stochastic encoder's draws
 * on validation samples do not repeat the test set's.
 */
export function validationEncoder(session: Pick<Session, 'config' | 'encoder'>): (x: Tensor) => Tensor {
  const rng = new Rng(session.config.seed ^ VALIDATION_SEED_SALT);
  return (x) => session.encoder.encode(x, rng);
}

/** Mixed into config.seed for the validation split's encoder. */
export const VALIDATION_SEED_SALT = 0x7a1d;

/**
 * The encoder for the batches that re-estimate batch-norm statistics
 * (train.bn_recalibration), with a generator of its own: the training
 * encoder's draws stay those of a run without the recalibration, so a
 * resumed run repeats them.
 */
export function recalibrationEncoder(session: Pick<Session, 'config' | 'encoder'>): (x: Tensor) => Tensor {
  const rng = new Rng(session.config.seed ^ RECALIBRATION_SEED_SALT);
  return (x) => session.encoder.encode(x, rng);
}

/** Mixed into config.seed for the recalibration's encoder and the order of its batches. */
export const RECALIBRATION_SEED_SALT = 0xb4c1;
