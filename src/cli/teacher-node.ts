import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-node.js';
import type { Session } from '../config/session.js';
import { attachTeacher, type Distillation } from '../config/teacher.js';
import { ConfigError, NotFoundError } from '../errors.js';
import type { DistillSummary, EpochDistill } from './report.js';
import { loadModelWeights } from './weights-node.js';

/*
 * `train.distill.teacher`: read a finished run folder (config.yaml and
 * model.safetensors) and attach it to the session as the teacher
 * (src/config/teacher.ts builds and checks it). Everything here runs before
 * the student's run folder is created.
 */

export interface LoadedTeacher {
  /** The teacher run folder, absolute. */
  dir: string;
  /** SHA-256 of its model.safetensors: a resumed run checks it is distilling from the same weights. */
  sha256: string;
  distillation: Distillation;
}

/** Load the teacher the session's config names (null without train.distill). */
export function loadTeacher(session: Session): LoadedTeacher | null {
  const d = session.config.train.distill;
  if (!d) return null;
  const dir = resolve(d.teacher);
  if (!existsSync(dir)) throw new NotFoundError(`train.distill.teacher: run folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new ConfigError(`train.distill.teacher: ${dir} is not a folder; give the teacher's run folder (config.yaml + model.safetensors)`);
  const configPath = join(dir, 'config.yaml');
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(configPath)) throw new NotFoundError(`train.distill.teacher: ${dir} has no config.yaml (is it a run folder?)`);
  if (!existsSync(weightsPath)) throw new NotFoundError(`train.distill.teacher: ${dir} has no model.safetensors (did the run finish?)`);
  const { config } = loadConfig(configPath);
  const sha256 = createHash('sha256').update(readFileSync(weightsPath)).digest('hex');
  const distillation = attachTeacher(session, { config, loadWeights: (m) => loadModelWeights(weightsPath, m), where: dir });
  return { dir, sha256, distillation };
}

/** What a checkpoint records of the teacher, to be compared on --resume. */
export interface CheckpointTeacher {
  dir: string;
  sha256: string;
}

/**
 * A resumed run must distil from the teacher it started with (or from none
 * if it started with none): the teacher is part of the objective, and resume
 * promises the same run.
 */
export function checkResumedTeacher(saved: CheckpointTeacher | null | undefined, now: LoadedTeacher | null, checkpoint: string): void {
  const was = saved ?? null;
  if (was === null && now === null) return;
  if (was === null) throw new ConfigError(`--resume: ${checkpoint} was trained without train.distill, but the config now names teacher ${now!.dir}`);
  if (now === null) throw new ConfigError(`--resume: ${checkpoint} was trained with teacher ${was.dir}, but the config has no train.distill`);
  if (was.sha256 !== now.sha256) {
    throw new ConfigError(`--resume: ${checkpoint} was trained with teacher weights sha256 ${was.sha256.slice(0, 12)}… (${was.dir}); ${now.dir}/model.safetensors now has ${now.sha256.slice(0, 12)}…`);
  }
}

/** metrics.jsonl's `distill` for one epoch, from the distiller's running means (which restart). */
export function epochDistill(t: LoadedTeacher): EpochDistill {
  const s = t.distillation.distiller.takeStats();
  return { task_loss: s.task, kd_loss: Number.isNaN(s.kd) ? null : s.kd, feature_losses: s.features, teacher_s: s.teacherSeconds };
}

/** summary.json's `distill`. */
export function distillSummary(t: LoadedTeacher, score: { accuracy: number; loss: number; seconds: number }, teacherForwardSeconds: number): DistillSummary {
  const { settings, distiller } = t.distillation;
  return {
    teacher: t.dir,
    teacher_sha256: t.sha256,
    teacher_test_accuracy: score.accuracy,
    teacher_test_loss: score.loss,
    teacher_eval_s: score.seconds,
    temperature: settings.temperature,
    alpha: settings.alpha,
    features: distiller.pairs.map((p) => ({ ...p })),
    teacher_forward_s: teacherForwardSeconds,
  };
}
