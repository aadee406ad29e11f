import type { Backend } from '../backend/backend.js';
import { backward, noGrad } from '../autograd/tape.js';
import { NumericError } from '../errors.js';
import type { Module } from '../module/module.js';
import { add } from '../ops/elementwise.js';
import { l2wrap, tokenCrossEntropy } from '../ops/lm.js';
import { tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import { randomWindows, type TokenBatch } from '../data/text.js';
import { clipGradNorm } from '../train/clip.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import { runInStepScope } from '../train/trainer.js';
import { evaluateBpc } from './evaluate.js';

/*
 * The language-model training loop (docs/spikegpt.md): random context
 * windows of the training split, next-character cross-entropy (+ L2Wrap),
 * clipped gradients, Adam with a learning rate decaying over the run
 * (exponential, cosine or linear), a validation bits-per-character figure every `evalEvery` steps. Not
 * the classification Trainer: its batches carry one label per sample and it
 * counts epochs and accuracy, where a language model has a target per token
 * and runs for a step count or a time budget.
 */

export const LN2 = Math.LN2;

export interface LmTrainOptions {
  model: Module;
  backend: Backend;
  optimizer: Optimizer;
  train: Int32Array;
  validation: Int32Array;
  context: number;
  batchSize: number;
  rng: Rng;
  /** Stop after this many steps (null: no limit). */
  steps: number | null;
  /** Stop once this many minutes of training have passed (null: no limit); at least one step runs. */
  minutes: number | null;
  lr: number;
  lrFinal: number;
  /** How the rate falls from lr to lrFinal over the run's progress (after the warm-up). */
  lrSchedule: LmLrSchedule;
  warmupSteps: number;
  clipGradNorm: number | null;
  l2wrap: number;
  evalEvery: number;
  evalTokens: number;
  logEvery: number;
  onLog?: (e: LmLogEntry) => void;
  /** Seconds since the start, injectable for tests (default: wall clock). */
  clock?: () => number;
}

export interface LmLogEntry {
  step: number;
  seconds: number;
  lr: number;
  /** Mean training loss of the steps since the last entry, in bits per character. */
  trainBpc: number;
  /** Validation bits per character, on evaluation steps. */
  valBpc?: number;
  gradNorm?: number;
}

export interface LmTrainResult {
  steps: number;
  seconds: number;
  tokens: number;
  history: LmLogEntry[];
  /** Validation bpc after the last step. */
  valBpc: number;
}

/** The run's progress in [0, 1]: the larger of the step and time fractions. */
function progress(step: number, seconds: number, o: Pick<LmTrainOptions, 'steps' | 'minutes'>): number {
  const a = o.steps ? step / o.steps : 0;
  const b = o.minutes ? seconds / (60 * o.minutes) : 0;
  return Math.min(1, Math.max(a, b));
}

/**
 * The decay of the learning rate over a run, progress p ∈ [0, 1]:
 * - `exponential`: lr·(lr_final/lr)^p, RWKV's (and SpikeGPT's) schedule;
 * - `cosine`: lr_final + (lr − lr_final)·(1 + cos πp)/2;
 * - `linear`: lr + (lr_final − lr)·p.
 * Exponential spends most of a run near lr_final (at p = 2/3 it is at 3 % of lr
 * for lr/lr_final = 200), which suits RWKV's long runs; a time-budgeted run of a
 * few thousand steps learns more with cosine (docs/spikegpt.md).
 */
export const LM_LR_SCHEDULES = ['exponential', 'cosine', 'linear'] as const;
export type LmLrSchedule = (typeof LM_LR_SCHEDULES)[number];

/** Learning rate: linear warm-up, then the schedule's decay from lr to lrFinal over the progress p. */
export function lmLearningRate(step: number, p: number, o: Pick<LmTrainOptions, 'lr' | 'lrFinal' | 'warmupSteps'> & { lrSchedule?: LmLrSchedule }): number {
  const schedule = o.lrSchedule ?? 'exponential';
  const decayed =
    schedule === 'cosine' ? o.lrFinal + ((o.lr - o.lrFinal) * (1 + Math.cos(Math.PI * p))) / 2
    : schedule === 'linear' ? o.lr + (o.lrFinal - o.lr) * p
    : o.lr * Math.pow(o.lrFinal / o.lr, p);
  return o.warmupSteps > 0 && step < o.warmupSteps ? (decayed * (step + 1)) / o.warmupSteps : decayed;
}

/** One optimisation step on one batch; returns the cross-entropy in nats and the gradient norm (NaN without clipping). */
export function lmTrainStep(model: Module, optimizer: Optimizer, batch: TokenBatch, o: Pick<LmTrainOptions, 'clipGradNorm' | 'l2wrap'>): { loss: number; gradNorm: number } {
  model.train();
  model.resetState();
  const logits = model.forward(tensor(batch.x, [batch.T, batch.B, 1]));
  const ce = tokenCrossEntropy(logits, batch.y);
  const loss = o.l2wrap > 0 ? add(ce, l2wrap(logits, o.l2wrap)) : ce;
  const value = ce.data[0]!;
  if (!Number.isFinite(value)) throw new NumericError(`training loss is ${value}: the model diverged (lower train.lr, or keep train.clip_grad_norm)`);
  optimizer.zeroGrad();
  backward(loss);
  const gradNorm = o.clipGradNorm ? clipGradNorm(model.parameters(), o.clipGradNorm) : NaN;
  optimizer.step();
  model.resetState();
  return { loss: value, gradNorm };
}

export function trainLm(o: LmTrainOptions): LmTrainResult {
  const start = Date.now();
  const clock = o.clock ?? (() => (Date.now() - start) / 1000);
  const keep = (): Iterable<Tensor> => [...o.model.allPersistentTensors(), ...o.optimizer.stateTensors()];
  const history: LmLogEntry[] = [];
  const evaluate = (): number =>
    runInStepScope([o.backend], keep, () => noGrad(() => evaluateBpc(o.model, o.validation, o.context, o.batchSize, o.evalTokens)));
  let step = 0;
  let sum = 0, count = 0;
  let lastGrad = NaN;
  let valBpc = NaN;
  for (;;) {
    const seconds = clock();
    const p = progress(step, seconds, o);
    if (step > 0 && p >= 1) break;
    o.optimizer.lr = lmLearningRate(step, p, o);
    const batch = randomWindows(o.train, o.context, o.batchSize, o.rng);
    const r = runInStepScope([o.backend], keep, () => lmTrainStep(o.model, o.optimizer, batch, o));
    step++;
    sum += r.loss;
    count++;
    lastGrad = r.gradNorm;
    const evalNow = step % o.evalEvery === 0;
    if (step % o.logEvery === 0 || evalNow) {
      const entry: LmLogEntry = { step, seconds: clock(), lr: o.optimizer.lr, trainBpc: sum / count / LN2, gradNorm: lastGrad };
      if (evalNow) entry.valBpc = valBpc = evaluate();
      history.push(entry);
      o.onLog?.(entry);
      sum = 0;
      count = 0;
    }
  }
  if (history.length === 0 || history[history.length - 1]!.step !== step) {
    const entry: LmLogEntry = { step, seconds: clock(), lr: o.optimizer.lr, trainBpc: count > 0 ? sum / count / LN2 : NaN, gradNorm: lastGrad, valBpc: (valBpc = evaluate()) };
    history.push(entry);
    o.onLog?.(entry);
  } else if (history[history.length - 1]!.valBpc === undefined) {
    history[history.length - 1]!.valBpc = valBpc = evaluate();
  }
  return { steps: step, seconds: clock(), tokens: step * o.context * o.batchSize, history, valBpc };
}
