import { noGrad } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import { softTargetKl } from '../ops/distill.js';
import { add, scale } from '../ops/elementwise.js';
import { mseLoss } from '../ops/loss.js';
import { sliceLeading } from '../ops/shape.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { membraneSourceOf, type BatchObjective, type ModelOutput, type ScoreFn } from './trainer.js';

/*
 * Knowledge distillation: a fixed teacher network runs on each training
 * batch's encoded input, and the student's loss becomes
 *
 *   (1 − α)·task + α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + Σ_i w_i·MSE(student_i, teacher_i)
 *
 * with z the class scores each network's own loss ranks (ScoreFn) and
 * student_i / teacher_i the outputs of paired inner modules, caught with
 * forward hooks (Module.registerForwardHook). The Trainer sees it as a
 * BatchObjective; building the teacher from a run folder is the config
 * floor's business (src/config/teacher.ts). docs/distillation.md.
 */

/** Two modules whose outputs are aligned by mean squared error, with the term's weight. */
export interface FeaturePair {
  /** Module path in the student, as `namedModules()` names it ('3', '2.body.0'). */
  student: string;
  /** Module path in the teacher. */
  teacher: string;
  weight: number;
}

export interface DistillerOptions {
  student: Module;
  /** Switched to eval mode and frozen (no parameter requires a gradient) by the constructor. */
  teacher: Module;
  studentScores: ScoreFn;
  teacherScores: ScoreFn;
  /** T > 0 of the softened softmax. */
  temperature: number;
  /** Weight α ∈ [0, 1] of the soft-target term; the task loss gets 1 − α. */
  alpha: number;
  /** Module pairs to align, or 'blocks': the top-level layers that hold layers of their own, paired in order. */
  features: readonly FeaturePair[] | 'blocks';
  /** Config path for messages (default 'train.distill'). */
  where?: string;
}

/** Running means per training sample since the last `takeStats()`. */
export interface DistillStats {
  samples: number;
  /** The task loss (before the 1 − α weight). */
  task: number;
  /** KL(p_t ‖ p_s) at temperature T (before α·T²). */
  kd: number;
  /** Each pair's MSE (before its weight). */
  features: number[];
  /** Seconds spent in the teacher's forward passes. */
  teacherSeconds: number;
}

/** A module's forward output caught during one forward (calls counts how often it ran). */
interface Capture {
  out: Tensor | null;
  calls: number;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Top-level layers that hold layers of their own (residual / transformer blocks), with their paths. */
function blockPaths(m: Module): string[] {
  return m.children().filter(([, c]) => c.children().length > 0).map(([n]) => n);
}

function listPaths(m: Module): string {
  const paths = m.namedModules().map(([p, x]) => `${p || "''"} (${x.kind})`);
  return paths.length > 24 ? `${paths.slice(0, 24).join(', ')}, … (${paths.length} in all)` : paths.join(', ');
}

export class Distiller implements BatchObjective {
  readonly pairs: readonly FeaturePair[];
  readonly temperature: number;
  readonly alpha: number;
  private readonly student: Module;
  private readonly teacher: Module;
  private readonly studentScores: ScoreFn;
  private readonly teacherScores: ScoreFn;
  private readonly where: string;
  private readonly studentCaps = new Map<string, Capture>();
  private readonly teacherCaps = new Map<string, Capture>();
  private readonly unhooks: (() => void)[] = [];
  private armed = false;
  private teacherOut: ModelOutput | null = null;
  private seqSteps = 0;
  private stats = { samples: 0, task: 0, kd: 0, features: [] as number[], teacherSeconds: 0 };

  constructor(opts: DistillerOptions) {
    this.where = opts.where ?? 'train.distill';
    if (!(opts.temperature > 0 && Number.isFinite(opts.temperature))) throw new ConfigError(`${this.where}.temperature must be a positive number, got ${opts.temperature}`);
    if (!(opts.alpha >= 0 && opts.alpha <= 1)) throw new ConfigError(`${this.where}.alpha must lie in [0, 1], got ${opts.alpha}`);
    this.student = opts.student;
    this.teacher = opts.teacher;
    this.studentScores = opts.studentScores;
    this.teacherScores = opts.teacherScores;
    this.temperature = opts.temperature;
    this.alpha = opts.alpha;
    this.pairs = this.resolvePairs(opts.features);
    this.stats.features = this.pairs.map(() => 0);
    this.teacher.eval();
    for (const p of this.teacher.parameters()) p.requiresGrad = false;
    this.hook(this.student, this.pairs.map((p) => p.student), this.studentCaps);
    this.hook(this.teacher, this.pairs.map((p) => p.teacher), this.teacherCaps);
  }

  private resolvePairs(features: readonly FeaturePair[] | 'blocks'): FeaturePair[] {
    if (features === 'blocks') {
      const s = blockPaths(this.student), t = blockPaths(this.teacher);
      if (s.length === 0 || s.length !== t.length) {
        throw new ConfigError(
          `${this.where}.features: 'blocks' pairs the top-level layers that hold layers of their own (residual or transformer blocks) in order; the student has ${s.length} (${s.join(', ') || 'none'}), the teacher ${t.length} (${t.join(', ') || 'none'}): list the pairs instead`,
        );
      }
      return s.map((p, i) => ({ student: p, teacher: t[i]!, weight: 1 }));
    }
    const sMods = new Map(this.student.namedModules()), tMods = new Map(this.teacher.namedModules());
    return features.map((f, i) => {
      if (!sMods.has(f.student)) throw new ConfigError(`${this.where}.features[${i}].student: no module '${f.student}' in the student (its modules: ${listPaths(this.student)})`);
      if (!tMods.has(f.teacher)) throw new ConfigError(`${this.where}.features[${i}].teacher: no module '${f.teacher}' in the teacher (its modules: ${listPaths(this.teacher)})`);
      if (!(f.weight > 0 && Number.isFinite(f.weight))) throw new ConfigError(`${this.where}.features[${i}].weight must be a positive number, got ${f.weight}`);
      return { ...f };
    });
  }

  private hook(model: Module, paths: string[], caps: Map<string, Capture>): void {
    const mods = new Map(model.namedModules());
    for (const path of new Set(paths)) {
      const cap: Capture = { out: null, calls: 0 };
      caps.set(path, cap);
      this.unhooks.push(
        mods.get(path)!.registerForwardHook((_m, _x, y) => {
          if (!this.armed) return;
          cap.out = y;
          cap.calls++;
        }),
      );
    }
  }

  private clearCaptures(caps: Map<string, Capture>): void {
    for (const c of caps.values()) {
      c.out = null;
      c.calls = 0;
    }
  }

  /** The teacher's output and the student's as the Trainer reads them (the membrane of the last recording neuron layer). */
  private runTeacher(seq: Tensor): ModelOutput {
    const spikes = this.teacher.forward(seq);
    if (spikes.ndim !== 3) throw new ShapeError(`${this.where}.teacher: the teacher's output must be [T, B, C], got ${fmtShape(spikes.shape)}`);
    const src = membraneSourceOf(this.teacher);
    return { spikes, membrane: src ? src.lastMembrane : null };
  }

  /**
   * Run both networks once on `probe` (an encoded batch, one sample is
   * enough) and check before training what training would trip on: the
   * teacher takes the student's input and scores `classes` classes, every
   * paired module runs once per forward, and paired outputs have equal
   * shapes. Errors are ConfigErrors naming the config path, both module
   * paths and both shapes. Leaves both models' state cleared.
   */
  check(probe: Tensor, classes: number): void {
    const wasTraining = this.student.training;
    this.student.eval();
    this.armed = true;
    try {
      noGrad(() => {
        this.student.resetState();
        this.student.forward(probe);
        this.teacher.resetState();
        let out: ModelOutput;
        try {
          out = this.runTeacher(probe);
        } catch (e) {
          throw new ConfigError(`${this.where}.teacher: the teacher cannot run on the student's encoded input ${fmtShape(probe.shape)}: ${(e as Error).message}`);
        }
        const C = out.spikes.shape[2]!;
        if (C !== classes) throw new ConfigError(`${this.where}.teacher: the teacher scores ${C} classes, the student's data has ${classes}`);
        const scores = this.teacherScores(out);
        if (!shapeEq(scores.shape, [probe.shape[1]!, classes])) throw new ConfigError(`${this.where}.teacher: the teacher's class scores are ${fmtShape(scores.shape)}, expected [${probe.shape[1]}, ${classes}]`);
        this.pairs.forEach((p, i) => {
          const s = this.studentCaps.get(p.student)!, t = this.teacherCaps.get(p.teacher)!;
          for (const [who, c, path] of [['student', s, p.student], ['teacher', t, p.teacher]] as const) {
            if (c.calls !== 1) throw new ConfigError(`${this.where}.features[${i}].${who}: module '${path}' ran ${c.calls} times in one forward of the ${who}; a pair aligns a module that runs exactly once`);
          }
          if (!shapeEq(s.out!.shape, t.out!.shape)) {
            throw new ConfigError(
              `${this.where}.features[${i}]: student '${p.student}' outputs ${fmtShape(s.out!.shape)} but teacher '${p.teacher}' outputs ${fmtShape(t.out!.shape)} for the input ${fmtShape(probe.shape)}; aligned outputs need equal shapes`,
            );
          }
        });
      });
    } finally {
      this.armed = false;
      this.clearCaptures(this.studentCaps);
      this.clearCaptures(this.teacherCaps);
      this.student.resetState();
      this.teacher.resetState();
      this.student.train(wasTraining);
    }
  }

  beginBatch(seq: Tensor): void {
    this.clearCaptures(this.studentCaps);
    this.clearCaptures(this.teacherCaps);
    this.seqSteps = seq.shape[0] ?? 0;
    const t0 = now();
    this.armed = true;
    this.teacher.resetState();
    this.teacherOut = noGrad(() => this.runTeacher(seq));
    this.stats.teacherSeconds += (now() - t0) / 1000;
    this.stats.samples += seq.shape[1] ?? 0;
  }

  /** A teacher tensor cut to the steps [s, e) the student's chunk covers (the whole of it without TBPTT). */
  private chunk(t: Tensor, s: number, e: number, what: string): Tensor {
    const T = this.seqSteps;
    if (s === 0 && e === T) return t;
    if (t.shape[0] !== T) throw new ShapeError(`${this.where}: under TBPTT the teacher's ${what} must have the input's ${T} steps to be cut into chunks, it has ${fmtShape(t.shape)}`);
    return sliceLeading(t, s, e);
  }

  combine(task: Tensor, out: ModelOutput, targets: Int32Array, s: number, e: number): Tensor {
    if (!this.teacherOut) throw new Error('Distiller.combine: beginBatch was not called for this batch');
    const B = targets.length;
    const frac = this.seqSteps > 0 ? (e - s) / this.seqSteps : 1;
    const parts: Tensor[] = [];
    this.stats.task += task.item() * B * frac;
    if (this.alpha < 1) parts.push(scale(task, 1 - this.alpha));
    if (this.alpha > 0) {
      const t = this.teacherOut;
      const tOut: ModelOutput = { spikes: this.chunk(t.spikes, s, e, 'output'), membrane: t.membrane ? this.chunk(t.membrane, s, e, 'membrane') : null };
      const kl = softTargetKl(this.studentScores(out), this.teacherScores(tOut), this.temperature);
      this.stats.kd += kl.item() * B * frac;
      parts.push(scale(kl, this.alpha * this.temperature * this.temperature));
    }
    this.pairs.forEach((p, i) => {
      const sc = this.studentCaps.get(p.student)!, tc = this.teacherCaps.get(p.teacher)!;
      if (sc.calls !== 1 || tc.calls !== 1) {
        const [who, path, n] = sc.calls !== 1 ? ['student', p.student, sc.calls] : ['teacher', p.teacher, tc.calls];
        throw new ShapeError(`${this.where}.features[${i}].${who}: module '${path}' ran ${n} times in one forward; a pair aligns a module that runs exactly once`);
      }
      const tf = this.chunk(tc.out!, s, e, `'${p.teacher}' output`);
      if (!shapeEq(sc.out!.shape, tf.shape)) throw new ShapeError(`${this.where}.features[${i}]: student '${p.student}' outputs ${fmtShape(sc.out!.shape)} but teacher '${p.teacher}' outputs ${fmtShape(tf.shape)}`);
      const mse = mseLoss(sc.out!, tf);
      this.stats.features[i]! += mse.item() * B * frac;
      parts.push(scale(mse, p.weight));
    });
    // The next TBPTT chunk runs the student again.
    this.clearCaptures(this.studentCaps);
    return parts.reduce((a, b) => add(a, b));
  }

  endBatch(): void {
    this.armed = false;
    this.teacherOut = null;
    this.clearCaptures(this.studentCaps);
    this.clearCaptures(this.teacherCaps);
    this.teacher.resetState();
  }

  persistentTensors(): Tensor[] {
    return this.teacher.allPersistentTensors();
  }

  /** Means per sample (and the teacher's time) since the last call, then start counting afresh. */
  takeStats(): DistillStats {
    const n = this.stats.samples;
    const mean = (v: number): number => (n > 0 ? v / n : NaN);
    const r: DistillStats = { samples: n, task: mean(this.stats.task), kd: this.alpha > 0 ? mean(this.stats.kd) : NaN, features: this.stats.features.map(mean), teacherSeconds: this.stats.teacherSeconds };
    this.stats = { samples: 0, task: 0, kd: 0, features: this.pairs.map(() => 0), teacherSeconds: 0 };
    return r;
  }

  /** Take the forward hooks off both models. */
  dispose(): void {
    for (const u of this.unhooks.splice(0)) u();
  }
}
