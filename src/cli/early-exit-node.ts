import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatCount, formatEnergy } from '../analysis/report.js';
import type { Session } from '../config/session.js';
import { makeLoader, tensorBatches } from '../config/session.js';
import type { Dataset } from '../data/dataset.js';
import { checkThreshold, parseRule, type ConfidenceRule } from '../early-exit/confidence.js';
import { chooseThreshold, oracleFront, paretoFront, simulateExit, thresholdSweep, type FrontPoint, type ThresholdChoice } from '../early-exit/front.js';
import { runEarlyExit, type EarlyExitResult, type EncodedBatch } from '../early-exit/run.js';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-node.js';
import type { Tensor } from '../tensor/tensor.js';
import { makeScores } from '../train/losses.js';
import { exitFront } from '../viz/early-exit.js';
import { testEncoder, validationEncoder } from './test-encoding.js';

/** The early-exit flags of `spikeflow eval`, as commander gives them. */
export interface EarlyExitFlags {
  earlyExit?: boolean;
  confidence?: string;
  maxAccuracyLoss?: string;
  rule?: string;
  front?: string;
}

/** The flags checked: a threshold given, or the largest accuracy loss to choose one for on validation. */
export interface EarlyExitRequest {
  rule: ConfidenceRule;
  confidence: number | null;
  /** Percentage points; set when `confidence` is null. */
  maxAccuracyLoss: number | null;
  /** Folder for the accuracy–latency analysis, or null. */
  front: string | null;
}

/** Default of --max-accuracy-loss when neither it nor --confidence is given (the acceptance target of docs/early-exit.md). */
export const DEFAULT_MAX_ACCURACY_LOSS = 0.5;

function number(flag: string, s: string): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new ConfigError(`${flag}: expected a number, got '${s}'`);
  return v;
}

/**
 * Check the early-exit flags before anything is loaded: each needs
 * --early-exit, --confidence and --max-accuracy-loss exclude each other, and
 * the numbers must be numbers (the threshold's range depends on the number
 * of classes and is checked once the data is known). Returns null without
 * --early-exit.
 */
export function checkEarlyExitFlags(o: EarlyExitFlags): EarlyExitRequest | null {
  const given = (['confidence', 'maxAccuracyLoss', 'rule', 'front'] as const).filter((k) => o[k] !== undefined);
  const flag = { confidence: '--confidence', maxAccuracyLoss: '--max-accuracy-loss', rule: '--rule', front: '--front' } as const;
  if (!o.earlyExit) {
    if (given.length > 0) throw new ConfigError(`${flag[given[0]!]} goes with --early-exit`);
    return null;
  }
  if (o.confidence !== undefined && o.maxAccuracyLoss !== undefined) {
    throw new ConfigError('--confidence and --max-accuracy-loss exclude each other: give the threshold, or the accuracy loss to choose it for on the validation split');
  }
  const rule = parseRule(o.rule ?? 'maxprob', '--rule');
  const confidence = o.confidence !== undefined ? number('--confidence', o.confidence) : null;
  let maxAccuracyLoss: number | null = null;
  if (confidence === null) {
    maxAccuracyLoss = o.maxAccuracyLoss !== undefined ? number('--max-accuracy-loss', o.maxAccuracyLoss) : DEFAULT_MAX_ACCURACY_LOSS;
    if (maxAccuracyLoss < 0 || maxAccuracyLoss > 100) throw new ConfigError(`--max-accuracy-loss: ${maxAccuracyLoss} is not a number of percentage points in [0, 100]`);
  }
  if (o.front !== undefined && o.front.trim() === '') throw new ConfigError('--front: expected a folder');
  return { rule, confidence, maxAccuracyLoss, front: o.front !== undefined ? resolve(o.front) : null };
}

/** One inference mode's figures, per sample. */
export interface ExitFigures {
  accuracy: number;
  mean_steps: number;
  median_steps: number;
  max_steps: number;
  sops_per_sample: number;
  macs_per_sample: number;
  acs_per_sample: number;
  neuron_updates_per_sample: number;
  /** Energy per sample in pJ (45 nm table, docs/design.md "Measurement"): arithmetic only and with the memory model. */
  energy_pj: Record<string, { compute: number; total: number }>;
}

/** `early_exit` of eval's JSON summary. */
export interface EarlyExitSummary {
  rule: ConfidenceRule;
  /** Stop when confidence ≥ threshold; null: no threshold met the target on validation, so inference runs full T. */
  threshold: number | null;
  threshold_from: 'given' | 'validation';
  selection: null | { split: 'validation'; samples: number; max_accuracy_loss_points: number; full_accuracy: number; accuracy: number; mean_steps: number };
  samples: number;
  steps: number;
  full: ExitFigures;
  early_exit: ExitFigures;
  /** Early exit minus full T, in percentage points (negative: a loss). */
  accuracy_change_points: number;
  steps_saved: number;
  sops_saved: number;
  /** fp32 arithmetic energy saved. */
  energy_saved: number;
  /** steps_histogram[s − 1]: samples that stopped after s steps. */
  steps_histogram: number[];
  /** The files of --front. */
  front_files?: string[];
}

/** The encoded batches of one split, encoded when each batch is fetched (inside the runner's step scope). */
function* encoded(session: Session, ds: Dataset, encode: (x: Tensor) => Tensor): Generator<EncodedBatch> {
  for (const b of tensorBatches(makeLoader(ds, session.config.data.test_batch_size, false), ds.shape, session.backend)) yield { x: encode(b.x), y: b.y };
}

function median(a: Int32Array): number {
  const s = Int32Array.from(a).sort();
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function figures(r: EarlyExitResult): ExitFigures {
  const ops = r.profile!.ops.totals;
  const layers = r.profile!.ops.layers;
  const energy: ExitFigures['energy_pj'] = {};
  for (const e of r.profile!.energy.results) energy[e.precision] = { compute: e.snn.computePJ, total: e.snn.totalPJ };
  return {
    accuracy: r.accuracy,
    mean_steps: r.meanSteps,
    median_steps: median(r.exitSteps),
    max_steps: r.exitSteps.reduce((a, b) => Math.max(a, b), 0),
    sops_per_sample: ops.sops,
    macs_per_sample: ops.macs,
    acs_per_sample: ops.acs,
    neuron_updates_per_sample: layers.reduce((a, l) => a + l.neuronUpdates, 0),
    energy_pj: energy,
  };
}

function saved(full: number, ee: number): number {
  return full > 0 ? 1 - ee / full : 0;
}

/** The data --front writes. */
export interface FrontData {
  split: 'test';
  rule: ConfidenceRule;
  samples: number;
  steps: number;
  full: FrontPoint;
  chosen: FrontPoint | null;
  /** The thresholds no other threshold beats (fewer mean steps and higher accuracy), by mean steps. */
  threshold_front: FrontPoint[];
  oracle_front: FrontPoint[];
}

/**
 * `spikeflow eval --early-exit`: choose the threshold (given, or on the
 * validation split for the largest accuracy loss), run the test split at
 * full T and with early exit (both step by step with the same encoding,
 * counting operations per sample-step run), and optionally build the
 * accuracy–latency fronts. Returns the summary and the front data; writes
 * nothing.
 */
/**
 * What the flags ask of this session, checked as soon as it is built (before
 * any evaluation runs): the threshold within the rule's range for the
 * dataset's classes, or a validation split to choose it on.
 */
export function checkEarlyExitSession(session: Session, req: EarlyExitRequest): void {
  if (req.confidence !== null) checkThreshold(req.rule, req.confidence, session.data.test.numClasses, '--confidence');
  else if (!session.data.validation) {
    throw new ConfigError(
      `--max-accuracy-loss chooses the threshold on the validation split, but this run holds none (data.validation is 0 in its config): give --confidence C, or train with data.validation: N (docs/early-exit.md)`,
    );
  }
}

export function evaluateEarlyExit(session: Session, req: EarlyExitRequest, log: (line: string) => void = () => {}): { summary: EarlyExitSummary; front: FrontData | null } {
  checkEarlyExitSession(session, req);
  const classes = session.data.test.numClasses;
  const rule = req.rule;
  const score = makeScores(session.config.train.loss);
  const common = { rule, score, predict: session.predict, classes };
  let threshold: number | null;
  let selection: EarlyExitSummary['selection'] = null;
  if (req.confidence !== null) threshold = req.confidence;
  else {
    const val = session.data.validation!;
    log(`early exit: choosing the ${rule} threshold on ${val.length} validation samples (at most ${req.maxAccuracyLoss} points below full T)`);
    const v = runEarlyExit(session.model, encoded(session, val, validationEncoder(session)), { ...common, threshold: null, trajectories: true });
    const choice: ThresholdChoice = chooseThreshold(v.trajectories!, req.maxAccuracyLoss!);
    threshold = choice.threshold;
    selection = { split: 'validation', samples: choice.samples, max_accuracy_loss_points: req.maxAccuracyLoss!, full_accuracy: choice.fullAccuracy, accuracy: choice.accuracy, mean_steps: choice.meanSteps };
  }
  const test = session.data.test;
  log(`early exit: full-T inference on ${test.length} test samples, step by step`);
  // A fresh test encoder for each pass: both see exactly the same encoded inputs.
  const full = runEarlyExit(session.model, encoded(session, test, testEncoder(session)), { ...common, threshold: null, trajectories: true, measure: true });
  let ee = full;
  if (threshold !== null) {
    log(`early exit: ${rule} ≥ ${threshold}`);
    ee = runEarlyExit(session.model, encoded(session, test, testEncoder(session)), { ...common, threshold, measure: true });
  }
  const T = full.steps;
  const histogram = new Array<number>(T).fill(0);
  for (const s of ee.exitSteps) histogram[s - 1]!++;
  const f = figures(full), e = figures(ee);
  const summary: EarlyExitSummary = {
    rule,
    threshold,
    threshold_from: req.confidence !== null ? 'given' : 'validation',
    selection,
    samples: ee.samples,
    steps: T,
    full: f,
    early_exit: e,
    accuracy_change_points: 100 * (e.accuracy - f.accuracy),
    steps_saved: saved(T, e.mean_steps),
    sops_saved: saved(f.sops_per_sample, e.sops_per_sample),
    energy_saved: saved(f.energy_pj['fp32']?.compute ?? 0, e.energy_pj['fp32']?.compute ?? 0),
    steps_histogram: histogram,
  };
  let front: FrontData | null = null;
  if (req.front !== null) {
    const tr = full.trajectories!;
    const at = threshold === null ? null : simulateExit(tr, threshold);
    front = {
      split: 'test',
      rule,
      samples: tr.samples,
      steps: T,
      full: { threshold: Infinity, meanSteps: T, accuracy: full.accuracy },
      chosen: at ? { threshold, meanSteps: at.meanSteps, accuracy: at.accuracy } : null,
      threshold_front: paretoFront(thresholdSweep(tr)),
      oracle_front: oracleFront(tr),
    };
  }
  return { summary, front };
}

/** Infinity (full T) is written as null: JSON has no Infinity. */
function jsonPoint(p: FrontPoint): { threshold: number | null; mean_steps: number; accuracy: number } {
  return { threshold: p.threshold === Infinity ? null : p.threshold, mean_steps: p.meanSteps, accuracy: p.accuracy };
}

/**
 * Write the accuracy–latency analysis into `dir`: early-exit-front.json (the
 * data), early-exit-front.csv (one row per point: series, threshold, mean
 * steps, accuracy) and early-exit-front.svg (exitFront). Everything is
 * rendered first, then each file is written atomically.
 */
export function writeFront(dir: string, data: FrontData): string[] {
  const json = {
    split: data.split,
    rule: data.rule,
    samples: data.samples,
    steps: data.steps,
    full: jsonPoint(data.full),
    chosen: data.chosen ? jsonPoint(data.chosen) : null,
    threshold_front: data.threshold_front.map(jsonPoint),
    oracle_front: data.oracle_front.map(jsonPoint),
  };
  const rows = ['series,threshold,mean_steps,accuracy'];
  const row = (series: string, p: FrontPoint): string => `${series},${p.threshold === null || p.threshold === Infinity ? '' : p.threshold},${p.meanSteps},${p.accuracy}`;
  rows.push(row('full', data.full));
  if (data.chosen) rows.push(row('chosen', data.chosen));
  for (const p of data.threshold_front) rows.push(row('threshold_front', p));
  for (const p of data.oracle_front) rows.push(row('oracle_front', p));
  const svg = exitFront({
    steps: data.steps,
    thresholds: data.threshold_front,
    oracle: data.oracle_front,
    full: data.full,
    rule: data.rule,
    ...(data.chosen ? { chosen: { ...data.chosen, label: `${data.rule} ≥ ${fmtThreshold(data.chosen.threshold!)}` } } : {}),
  });
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const files: [string, string][] = [
    ['early-exit-front.json', JSON.stringify(json, null, 2) + '\n'],
    ['early-exit-front.csv', rows.join('\n') + '\n'],
    ['early-exit-front.svg', svg],
  ];
  mkdirSync(dir, { recursive: true });
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileAtomic(path, enc(text));
    return path;
  });
}

function fmtThreshold(t: number): string {
  return Number(t.toPrecision(4)).toString();
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** The text eval prints for early exit. */
export function formatEarlyExit(s: EarlyExitSummary): string {
  const lines: string[] = [];
  const how = s.threshold_from === 'given' ? 'given' : `chosen on ${s.selection!.samples} validation samples for at most ${s.selection!.max_accuracy_loss_points} points of loss`;
  if (s.threshold === null) lines.push(`early exit (${s.rule}): no threshold keeps the validation accuracy within ${s.selection!.max_accuracy_loss_points} points with fewer steps; full T`);
  else lines.push(`early exit: stop at ${s.rule} ≥ ${fmtThreshold(s.threshold)} (${how})`);
  const f = s.full, e = s.early_exit;
  lines.push(`  accuracy      ${pct(e.accuracy)} vs ${pct(f.accuracy)} at full T = ${s.steps} (${s.accuracy_change_points >= 0 ? '+' : ''}${s.accuracy_change_points.toFixed(2)} points)`);
  lines.push(`  time steps    mean ${e.mean_steps.toFixed(2)} (${(100 * s.steps_saved).toFixed(1)}% fewer), median ${e.median_steps}, max ${e.max_steps}`);
  lines.push(`  SOPs/sample   ${formatCount(e.sops_per_sample)} vs ${formatCount(f.sops_per_sample)} (${(100 * s.sops_saved).toFixed(1)}% fewer)`);
  const fe = f.energy_pj['fp32'], ee = e.energy_pj['fp32'];
  if (fe && ee) lines.push(`  energy/sample ${formatEnergy(ee.compute)} vs ${formatEnergy(fe.compute)} (fp32 arithmetic), ${formatEnergy(ee.total)} vs ${formatEnergy(fe.total)} with memory`);
  lines.push(`  steps run     ${s.steps_histogram.map((n, i) => `${i + 1}:${n}`).join(' ')}`);
  if (s.front_files) lines.push(`  front         ${s.front_files.join(', ')}`);
  return lines.join('\n') + '\n';
}
