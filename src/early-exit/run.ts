import { noGrad } from '../autograd/tape.js';
import { estimateEnergy, type EnergyReport } from '../analysis/energy.js';
import { SpikeMonitor, type MonitorSummary } from '../analysis/monitor.js';
import { countOps, type OpsReport } from '../analysis/ops-count.js';
import { ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { runInStepScope, stepBackends, type PredictFn, type ScoreFn } from '../train/trainer.js';
import { confidences, type ConfidenceRule } from './confidence.js';
import { StepReadout } from './readout.js';
import { ModelStepper } from './stepper.js';
import type { Trajectories } from './front.js';

/** One batch of already encoded inputs ([T, B, ...] or [1, B, ...]) and their labels. */
export interface EncodedBatch {
  x: Tensor;
  y: Int32Array;
}

export interface EarlyExitOptions {
  rule: ConfidenceRule;
  /**
   * A sample stops after the first step whose confidence is at least this;
   * null runs every sample for all T steps (full-T inference, the reference).
   */
  threshold: number | null;
  /** The loss's class scores and class decision (LossEntry.scores / predict; makeScores / makePredict of a config). */
  score: ScoreFn;
  predict: PredictFn;
  /** Classes the output must have (checked at the first step). */
  classes?: number;
  /** Keep every sample's confidence and class after every step (needs threshold null: all steps run). */
  trajectories?: boolean;
  /** Count spikes, operations and energy per sample over the sample-steps actually run. */
  measure?: boolean;
}

/** The figures a run measured (`measure`): per sample, averaged over the samples run. */
export interface ExitProfile {
  summary: MonitorSummary;
  ops: OpsReport;
  energy: EnergyReport;
}

export interface EarlyExitResult {
  samples: number;
  /** T: time steps of a full sequence. */
  steps: number;
  /** Steps each sample ran, 1..T, in input order. */
  exitSteps: Int32Array;
  /** The class decided when the sample stopped. */
  predictions: Int32Array;
  /** Its confidence then. */
  confidence: Float64Array;
  labels: Int32Array;
  accuracy: number;
  meanSteps: number;
  trajectories?: Trajectories;
  profile?: ExitProfile;
}

/**
 * Classify encoded batches with early exit: each batch runs one step at a
 * time (ModelStepper); after every step the loss's scores of the output so
 * far (StepReadout) give each sample's confidence under `rule`, and a sample
 * whose confidence reaches the threshold, or that has run all T steps,
 * stops there with the class decided on that prefix. Finished samples leave
 * the batch and every layer's state, so the remaining steps run on fewer
 * rows and the measured operations (`measure`) are those of the
 * sample-steps actually run.
 *
 * Runs in eval mode without recording (the model's mode is restored), each
 * batch in a step scope like the Trainer's (backends that release memory
 * per step keep only the model's persistent tensors).
 */
export function runEarlyExit(model: Module, batches: Iterable<EncodedBatch>, opts: EarlyExitOptions): EarlyExitResult {
  if (opts.trajectories && opts.threshold !== null) throw new ShapeError('runEarlyExit: trajectories need every step of every sample (threshold null)');
  const monitor = opts.measure ? new SpikeMonitor(model) : undefined;
  const stepper = new ModelStepper(model, monitor ? { monitor } : {});
  const readout = new StepReadout(opts.score, opts.predict, opts.classes ?? null);
  const parts: { exit: Int32Array; pred: Int32Array; conf: Float64Array; y: Int32Array; trConf?: Float64Array; trPred?: Int32Array }[] = [];
  let T = 0;
  const backends = stepBackends(model);
  const wasTraining = model.training;
  model.eval();
  try {
    const it = batches[Symbol.iterator]();
    let done = false;
    try {
      for (;;) {
        const more = runInStepScope(backends, () => model.allPersistentTensors(), () => {
          const next = it.next();
          if (next.done) return false;
          try {
            noGrad(() => {
              const r = runBatch(stepper, readout, next.value, opts);
              if (T !== 0 && r.T !== T) throw new ShapeError(`runEarlyExit: a batch of ${r.T} steps follows batches of ${T}`);
              T = r.T;
              parts.push(r.part);
            });
          } finally {
            // Nothing in the model may point at the step's temporaries once the scope closes.
            model.resetState();
            readout.reset();
          }
          return true;
        });
        if (!more) {
          done = true;
          break;
        }
      }
    } finally {
      if (!done) it.return?.();
    }
  } finally {
    model.train(wasTraining);
  }
  const N = parts.reduce((a, p) => a + p.y.length, 0);
  const cat = <A extends Int32Array | Float64Array>(make: (n: number) => A, pick: (p: (typeof parts)[number]) => A): A => {
    const out = make(parts.reduce((a, p) => a + pick(p).length, 0));
    let o = 0;
    for (const p of parts) {
      const a = pick(p);
      out.set(a, o);
      o += a.length;
    }
    return out;
  };
  const exitSteps = cat((n) => new Int32Array(n), (p) => p.exit);
  const predictions = cat((n) => new Int32Array(n), (p) => p.pred);
  const labels = cat((n) => new Int32Array(n), (p) => p.y);
  let correct = 0, total = 0;
  for (let i = 0; i < N; i++) {
    if (predictions[i] === labels[i]) correct++;
    total += exitSteps[i]!;
  }
  const result: EarlyExitResult = {
    samples: N,
    steps: T,
    exitSteps,
    predictions,
    confidence: cat((n) => new Float64Array(n), (p) => p.conf),
    labels,
    accuracy: N > 0 ? correct / N : NaN,
    meanSteps: N > 0 ? total / N : NaN,
  };
  if (opts.trajectories) {
    result.trajectories = {
      samples: N,
      steps: T,
      confidence: cat((n) => new Float64Array(n), (p) => p.trConf!),
      prediction: cat((n) => new Int32Array(n), (p) => p.trPred!),
      labels,
    };
  }
  if (monitor) {
    const summary = monitor.summary();
    const ops = countOps(summary);
    result.profile = { summary, ops, energy: estimateEnergy(ops) };
  }
  return result;
}

/** One batch, step by step, dropping the samples that stop. */
function runBatch(stepper: ModelStepper, readout: StepReadout, b: EncodedBatch, opts: EarlyExitOptions) {
  const B = b.x.shape[1] ?? 0;
  if (b.y.length !== B) throw new ShapeError(`runEarlyExit: a batch of ${B} inputs comes with ${b.y.length} labels`);
  stepper.start(b.x);
  readout.reset();
  const T = stepper.steps;
  const exit = new Int32Array(B), pred = new Int32Array(B), conf = new Float64Array(B);
  const trConf = opts.trajectories ? new Float64Array(B * T) : undefined;
  const trPred = opts.trajectories ? new Int32Array(B * T) : undefined;
  // active[r]: the batch index of the sample in row r.
  let active = Int32Array.from({ length: B }, (_, i) => i);
  while (active.length > 0) {
    const d = readout.push(stepper.step());
    const t = stepper.time;
    const c = confidences(opts.rule, d.scores, d.rows, d.classes);
    const kept: number[] = [];
    for (let r = 0; r < d.rows; r++) {
      const i = active[r]!;
      if (trConf) {
        trConf[i * T + t - 1] = c[r]!;
        trPred![i * T + t - 1] = d.predictions[r]!;
      }
      if (t === T || (opts.threshold !== null && c[r]! >= opts.threshold)) {
        exit[i] = t;
        pred[i] = d.predictions[r]!;
        conf[i] = c[r]!;
      } else kept.push(r);
    }
    if (kept.length === 0) break;
    if (kept.length < d.rows) {
      stepper.keep(kept);
      readout.keep(kept);
      active = Int32Array.from(kept, (r) => active[r]!);
    }
  }
  return { T, part: { exit, pred, conf, y: b.y, ...(trConf ? { trConf, trPred: trPred! } : {}) } };
}
