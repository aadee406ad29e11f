import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import type { Module } from '../module/module.js';
import { isNeuron } from '../neurons/base.js';
import { buildModel } from '../nn/builder.js';
import type { Sequential } from '../nn/containers.js';
import { zeros } from '../tensor/create.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { Distiller } from '../train/distill.js';
import { lossRegistry, makeLoss, makePredict, makeScores } from '../train/losses.js';
import { SGD } from '../train/optim/sgd.js';
import { predictByCounts, Trainer, type Batch, type EpochResult, type LossFn, type PredictFn, type ScoreFn } from '../train/trainer.js';
import type { DistillSection, RunConfig } from './schema.js';
import type { Encoder } from '../encoding/factory.js';
import type { SplitDataset } from '../data/dataset.js';

/*
 * The teacher of a distilled run (train.distill): its network is built from
 * the teacher run's own config, for the student's encoded input, loaded with
 * the run's weights, frozen, and checked against the student before any
 * training. Browser-safe: reading the run folder is the caller's
 * (src/cli/teacher-node.ts). docs/distillation.md.
 */

/** A finished run to distil from, as read by the caller. */
export interface TeacherSource {
  /** The teacher run's validated config (its config.yaml). */
  config: RunConfig;
  /** Put the run's weights into the model built from `config` (errors name the file and the tensor). */
  loadWeights(model: Module): void;
  /** Where it came from (the run folder), for messages and the summary. */
  where: string;
}

export interface Teacher {
  where: string;
  config: RunConfig;
  model: Sequential;
  /** The teacher's own loss, class decision and class scores (from its train.loss). */
  loss: LossFn;
  predict: PredictFn;
  scores: ScoreFn;
}

/** A session's distillation: the teacher and the objective the Trainer adds. */
export interface Distillation {
  teacher: Teacher;
  distiller: Distiller;
  settings: DistillSection;
}

/**
 * What attachTeacher reads of a session and writes back (src/config/session.ts's
 * Session, which imports this file's types, so it is not imported here).
 */
export interface StudentSession {
  config: RunConfig;
  encoder: Encoder;
  data: SplitDataset;
  steps: number;
  model: Module;
  distillation?: Distillation | null;
}

/** JSON with sorted keys: two configs' blocks compared by value. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Build the teacher `source` describes for `session` (whose config has a
 * `train.distill` block), check it and attach the distillation to the session
 * (`session.distillation`, which sessionTrainer hands to the Trainer).
 *
 * The teacher runs on the student's encoded batches, so the two runs must
 * have the same `encoder` block; the teacher's model is built for the
 * student's per-sample input shape and must score as many classes as the
 * student's data has. Feature pairs must name modules that exist, run once per
 * forward and produce equal shapes. Every such problem is a ConfigError,
 * raised here, before training.
 */
export function attachTeacher(session: StudentSession, source: TeacherSource): Distillation {
  const settings = session.config.train.distill;
  if (!settings) throw new ConfigError('attachTeacher: the config has no train.distill block');
  const where = `train.distill.teacher (${source.where})`;
  const tcfg = source.config;
  if (canonical(tcfg.encoder) !== canonical(session.config.encoder)) {
    throw new ConfigError(
      `${where}: the teacher was trained with encoder ${canonical(tcfg.encoder)} but this run uses ${canonical(session.config.encoder)}; the teacher runs on the student's encoded input, so both encoder blocks must be the same`,
    );
  }
  const { encoder, data, steps } = session;
  const probe = noGrad(() => encoder.encode(zeros([1, ...data.train.shape]), new Rng(0)));
  const { model } = buildModel(tcfg.model.layers, {
    inputShape: probe.shape.slice(2),
    steps,
    timeConstantInput: encoder.outputSteps === 1 && steps > 1,
    rng: new Rng(tcfg.seed),
    where: `${where}: model.layers`,
    readout: lossRegistry.has(tcfg.train.loss.type) && lossRegistry.get(tcfg.train.loss.type).readout === true,
  });
  const lossWhere = `${where}: train.loss`;
  if (lossRegistry.get(tcfg.train.loss.type, `${lossWhere}.type`).needsMembrane) {
    const neurons = model.namedModules().map(([, m]) => m).filter(isNeuron);
    if (neurons.length > 0) neurons[neurons.length - 1]!.recordMembrane = true;
  }
  const teacher: Teacher = {
    where: source.where,
    config: tcfg,
    model,
    loss: makeLoss(tcfg.train.loss, lossWhere),
    predict: makePredict(tcfg.train.loss, lossWhere) ?? predictByCounts,
    scores: makeScores(tcfg.train.loss, lossWhere),
  };
  source.loadWeights(model);
  const distiller = new Distiller({
    student: session.model,
    teacher: model,
    studentScores: makeScores(session.config.train.loss),
    teacherScores: teacher.scores,
    temperature: settings.temperature,
    alpha: settings.alpha,
    features: settings.features,
  });
  try {
    distiller.check(probe, data.train.numClasses);
  } catch (e) {
    distiller.dispose();
    throw e;
  }
  const d: Distillation = { teacher, distiller, settings };
  session.distillation = d;
  return d;
}

/**
 * The teacher's loss and accuracy on `batches` (the student's test batches,
 * encoded by `encode`: what the teacher sees during training), in eval mode
 * without gradients.
 */
export function evaluateTeacher(teacher: Teacher, batches: Iterable<Batch>, encode: (x: Tensor) => Tensor): EpochResult {
  const t = new Trainer({ model: teacher.model, encode, loss: teacher.loss, predict: teacher.predict, optimizer: new SGD([], { lr: 0 }) });
  return t.evaluate(batches);
}
