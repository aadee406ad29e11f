import { existsSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadConfig, packageRoot, readConfigYaml } from '../../config/load-node.js';
import { isLmConfig } from '../../lm/config.js';
import { runLmTrain } from './lm-node.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import type { Trainer } from '../../train/trainer.js';
import { loadTrainerCheckpoint, saveTrainerCheckpoint } from '../../train/checkpoint-node.js';
import { loadSafetensors } from '../../interop/safetensors-node.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { checkOutFolder } from '../paths-node.js';
import { killPoint } from '../../io/kill-point-node.js';
import { checkModelFinite } from '../../train/finite.js';
import { layerOrigin } from '../../nn/builder.js';
import { CHECKPOINT_FILE, openRunFolder } from '../run-folder-node.js';
import { readResumeMeta, restoreLoader } from '../resume-meta.js';
import { saveModelWeights } from '../weights-node.js';
import { Progress } from '../progress-node.js';
import { registerNativeBackend } from '../../backend/native/load-node.js';
import { createSession, loadSessionData, makeLoader, tensorBatches, type Session } from '../session-node.js';
import { checkpointRngs, sessionTrainer, stageSession, trainBatches, trainStages } from '../../config/session.js';
import { measureModel } from '../measure.js';
import { buildSummary, renderReport, type EpochRecord, type QuantizationSummary, type RunEnvironment } from '../report.js';
import { renderReportHtml } from '../report-html.js';
import { collectPlotData, ConfusionCounter } from '../plot-data.js';
import { writeRunPlots } from '../plots-node.js';
import { applyInitWeights, configForInitWeights } from '../init-weights-node.js';
import { recalibrationEncoder, RECALIBRATION_SEED_SALT, testEncoder } from '../test-encoding.js';
import { Rng } from '../../tensor/rng.js';
import { describeModelSize, modelSize } from '../../quant/size.js';
import { readIntWeights, saveIntWeights } from '../../quant/int-weights-node.js';
import { checkResumedTeacher, distillSummary, epochDistill, loadTeacher } from '../teacher-node.js';
import { evaluateTeacher } from '../../config/teacher.js';
import { getBackendByName, setBackend, withBackend } from '../../backend/registry.js';
import { copyTrainerState } from '../../train/mirror.js';
import { ensureWebGpu, hostMirror, probeSession, refuseUnsupported, releaseDevice, type HostMirror } from '../webgpu-train-node.js';
import { encoderRefusal } from '../webgpu-probe.js';

export interface TrainOptions {
  config?: string;
  set: string[];
  out?: string;
  backend?: string;
  seed?: string;
  dataDir?: string;
  resume?: string;
  /** Start from these weights (model.safetensors) instead of a fresh initialisation. */
  weights?: string;
  /** Load --weights / --resume files holding NaN / ±Infinity (default: refused, naming the file and the tensor). */
  allowNonFinite?: boolean;
  json?: boolean;
  quiet?: boolean;
  /** Called as training goes (a sweep's worker process forwards it to the scheduler's display). */
  onProgress?: (p: TrainProgress) => void;
}

/** Where a run is: the epoch (1-based) and batch, or the stage after training. */
export interface TrainProgress {
  stage: 'epoch' | 'measure' | 'done';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number | null;
  accuracy: number | null;
  /** Test accuracy of the last finished epoch, null before the first. */
  testAccuracy: number | null;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Where and with what a run ran, for summary.json: enough to tell two runs' figures apart. */
function runEnvironment(backend: string): RunEnvironment {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return {
    spikeflow_version: typeof pkg.version === 'string' ? pkg.version : 'unknown',
    node_version: process.versions.node,
    backend,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The integer weights file a quantized run writes next to model.safetensors. */
export const INT_WEIGHTS_FILE = 'model.int.safetensors';

/** summary.json's `quantization` of a session with quantized layers. */
export function quantizationSummary(session: Session): QuantizationSummary {
  const q = session.config.model.quantize!;
  return { bits: q.bits, method: q.method, per_channel: q.per_channel, layers: session.quantized.map((l) => ({ path: l.path, bits: l.bits })), int_weights: INT_WEIGHTS_FILE };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The parsed YAML of a config file when it is a language-model config, else null (the classification path reads it again). */
function lmConfigRaw(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  let raw: Record<string, unknown>;
  try {
    raw = readConfigYaml(readFileSync(path, 'utf8'), path);
  } catch {
    return null;
  }
  return isLmConfig(raw) ? raw : null;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Re-estimates the batch-norm statistics (train.bn_recalibration) on that
 * many training batches: the training split without augmentation, in an
 * order drawn per epoch from a generator of its own (seeded by the config's
 * seed and the epoch), so the training stream and a resumed run are
 * unchanged by it.
 */
export function recalibrate(trainer: Trainer, session: Session, epoch: number): { layers: number; batches: number; samples: number; seconds: number } {
  const t0 = performance.now();
  const n = session.config.train.bn_recalibration;
  const loader = makeLoader(session.data.train, session.config.data.batch_size, true, new Rng((session.config.seed ^ RECALIBRATION_SEED_SALT) + 7919 * epoch));
  const batches = (function* () {
    let k = 0;
    for (const b of tensorBatches(loader, session.data.train.shape, session.backend)) {
      yield b;
      if (++k >= n) return; // before the loader builds one more batch than is used
    }
  })();
  const r = trainer.recalibrateBatchNorm(batches, recalibrationEncoder(session));
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

/** `spikeflow train`: validate everything, then train, evaluate, measure and write the run folder. */
export async function runTrain(opts: TrainOptions): Promise<void> {
  if (opts.out !== undefined) checkOutFolder(opts.out, '--out');
  // A language-model config (task: language_model) has its own schema and loop (docs/spikegpt.md).
  const lm = opts.config !== undefined && opts.weights === undefined && opts.resume === undefined ? lmConfigRaw(opts.config) : null;
  if (lm) {
    if (opts.seed !== undefined && !/^\d+$/.test(opts.seed)) throw new ConfigError(`--seed: expected a non-negative integer, got '${opts.seed}'`);
    runLmTrain({ configPath: opts.config!, raw: lm, sets: opts.set, ...pick(opts, ['out', 'backend', 'seed', 'dataDir', 'json', 'quiet']) });
    return;
  }
  const sets = [...opts.set];
  if (opts.seed !== undefined) {
    if (!/^\d+$/.test(opts.seed)) throw new ConfigError(`--seed: expected a non-negative integer, got '${opts.seed}'`);
    sets.push(`seed=${opts.seed}`);
  }
  if (opts.dataDir !== undefined) sets.push(`data.dir=${JSON.stringify(opts.dataDir)}`);
  if (opts.backend !== undefined) sets.push(`backend=${opts.backend}`);
  const { config, source } = opts.weights !== undefined ? configForInitWeights(opts.weights, opts.config, sets) : loadConfig(opts.config, sets);
  const progress = new Progress(!opts.quiet);
  let reportEpoch = 0;
  let reportBatches = 0;
  let lastTestAccuracy: number | null = null;
  const report = (stage: TrainProgress['stage'], batch: number, loss: number | null, accuracy: number | null): void => {
    opts.onProgress?.({ stage, epoch: reportEpoch, epochs: config.train.epochs, batch, batches: reportBatches, loss, accuracy, testAccuracy: lastTestAccuracy });
  };

  // Everything that can fail on bad input happens before the run folder exists.
  await ensureWebGpu(config);
  const log = opts.quiet ? {} : { log: (l: string) => process.stderr.write(l + '\n') };
  // webgpu: the data is loaded once for the device session and its host mirror.
  const rawData = config.backend === 'webgpu' ? loadSessionData(config, log.log) : undefined;
  if (rawData) {
    // Refused by name before buildSession would fail inside the encoder on a storage error.
    const gpu = getBackendByName('webgpu');
    const why = encoderRefusal(config, gpu, rawData.train.shape);
    if (why) {
      releaseDevice(gpu);
      throw new ConfigError(`${why}; train on a CPU backend (--backend native, wasm or ts)`);
    }
  }
  const session = createSession(config, { ...log, ...(rawData ? { data: rawData } : {}) });
  if (config.backend === 'auto' && session.backend.name !== 'native') {
    progress.log(`spikeflow: ${registerNativeBackend().reason}; using the '${session.backend.name}' backend`);
  }
  const { model, data, backend } = session;
  // A backend without synchronous reads trains asynchronously; the host reads go through a CPU mirror (webgpu-train-node.ts).
  let mirror: HostMirror | null = null;
  if (!backend.syncRead) {
    try {
      refuseUnsupported({ resume: opts.resume, weights: opts.weights, scheduled: config.train.timestep_schedule !== null, distill: Boolean(config.train.distill) });
      probeSession(session);
      mirror = hostMirror(config, rawData ?? loadSessionData(config));
    } catch (e) {
      releaseDevice(backend);
      throw e;
    }
  }
  /** The model whose tensors the host reads: the mirror's on webgpu (synced each epoch), else the trained one. */
  const hostModel = mirror ? mirror.session.model : model;
  // The stages of train.timestep_schedule (one stage without it), checked against the encoder and method.
  const stages = trainStages(config);
  const scheduled = config.train.timestep_schedule !== null;
  if (scheduled && opts.resume !== undefined) {
    throw new ConfigError('--resume: runs with train.timestep_schedule cannot be resumed (a stage restarts from the previous stage\'s final weights); start the schedule again, or train the remaining stages with --weights RUN_DIR/model.safetensors and a shorter schedule');
  }
  if (opts.weights !== undefined) applyInitWeights(opts.weights, model, opts.resume, { allowNonFinite: opts.allowNonFinite ?? false });
  // train.distill: the teacher run is read, built and checked against the student here, before the run folder exists.
  const teacher = loadTeacher(session);
  const trainLoader = makeLoader(data.train, config.data.batch_size, true, session.rngs.loader, config.data.drop_last);
  const history: EpochRecord[] = [];
  let batchesDone = 0;
  let epochSamples = 0; // counted as batches are handed to the Trainer
  let epochT0 = 0;
  // The rates the epoch's batches trained with (the Trainer reports each batch's
  // rate before the scheduler steps): first and last differ only for a
  // per-iteration schedule.
  // (An object, so the callback's writes are not hidden from the reads below by narrowing.)
  const batchLr: { first: number | null; last: number | null } = { first: null, last: null };
  const callbacks = {
    onBatchEnd: (info: { lr: number; loss: number; accuracy: number }) => {
      batchesDone++;
      batchLr.first ??= info.lr;
      batchLr.last = info.lr;
      const elapsed = (performance.now() - epochT0) / 1000;
      progress.update(batchesDone, { loss: info.loss, acc: info.accuracy, rate: elapsed > 0 ? epochSamples / elapsed : 0 });
      report('epoch', batchesDone, info.loss, info.accuracy);
    },
  };
  // Each stage trains the same model at its T with a fresh optimizer and schedule; the first is built (and checked) here.
  let current = scheduled ? stageSession(session, stages[0]!) : session;
  const totalEpochs = stages.reduce((a, s) => a + s.epochs, 0);
  let { trainer, optimizer } = sessionTrainer(current, callbacks);
  let resumedFrom: string | null = null;
  if (opts.resume) {
    const path = resolve(opts.resume);
    resumedFrom = path;
    if (!existsSync(path)) throw new NotFoundError(`--resume: checkpoint not found: ${path}`);
    const info = loadTrainerCheckpoint(path, trainer, checkpointRngs(session), { allowNonFinite: opts.allowNonFinite ?? false });
    const meta = readResumeMeta(info.config, info.epoch, path);
    checkResumedTeacher(meta.teacher, teacher, path);
    if (meta.loader) restoreLoader(trainLoader, meta.loader, path);
    history.push(...meta.history);
  }

  const outDir = resolve(opts.out ?? join('runs', `${config.name}-${timestamp()}`));
  const resumingHere = opts.resume !== undefined && resolve(dirname(resolve(opts.resume))) === outDir;
  // Stale temporary files go; a folder killed before its first checkpoint is restarted in place.
  const { created, restarted } = openRunFolder(outDir, resumingHere);
  if (restarted) progress.log(`spikeflow: ${outDir} was interrupted before its first checkpoint; starting the run again in place`);
  try {
    const configYaml = `# resolved from ${source}\n` + YAML.stringify(config);
    writeFileAtomic(join(outDir, 'config.yaml'), enc(configYaml));
    const metricsPath = join(outDir, 'metrics.jsonl');
    // A resumed run's folder holds the whole run: the epochs the checkpoint
    // carries come first, whether the folder is new or the checkpoint's own
    // (rewritten there, so a line appended after the last checkpoint by an
    // interrupted epoch does not stay behind as a duplicate).
    if (opts.resume !== undefined) writeFileAtomic(metricsPath, enc(history.map((r) => JSON.stringify(r) + '\n').join('')));
    const t0 = performance.now();
    let trainSeconds = 0;
    let trainSamples = 0;
    let confusion: number[][] | null = null;
    const testLoader = makeLoader(data.test, config.data.test_batch_size, false);
    // The teacher scored once on this run's test split, encoded as the student's test set is.
    const teacherScore = teacher ? evaluateTeacher(teacher.distillation.teacher, tensorBatches(testLoader, data.test.shape, backend), testEncoder(session)) : null;
    if (teacher && teacherScore) progress.log(`spikeflow: distilling from ${teacher.dir}: teacher test accuracy ${(100 * teacherScore.accuracy).toFixed(2)}% (${teacherScore.seconds.toFixed(1)} s)`);
    let teacherForwardSeconds = 0;
    progress.log(
      `spikeflow: training '${config.name}' on ${data.train.name} (${data.train.length} train${data.validation ? ` / ${data.validation.length} validation` : ''} / ${data.test.length} test), backend ${backend.name}, T=${scheduled ? `[${config.train.timestep_schedule!.join(', ')}]` : session.steps}, method ${config.train.method}, ${model.parameters().reduce((a, p) => a + p.size, 0)} parameters, ${describeModelSize(modelSize(model))} → ${outDir}`,
    );
    for (let stage = 0; stage < stages.length; stage++) {
      const { steps: stageT, epochs: stageEpochs } = stages[stage]!;
      if (stage > 0) {
        current = stageSession(session, stages[stage]!);
        ({ trainer, optimizer } = sessionTrainer(current, callbacks));
        progress.log(`spikeflow: stage ${stage + 1}/${stages.length}: retraining at T=${stageT} for ${stageEpochs} epochs from the T=${stages[stage - 1]!.steps} weights`);
      } else if (scheduled) progress.log(`spikeflow: stage 1/${stages.length}: T=${stageT} for ${stageEpochs} epochs (train.timestep_schedule [${config.train.timestep_schedule!.join(', ')}])`);
      while (trainer.epoch < stageEpochs) {
        // The run's epoch index: a schedule's epochs count on over its stages.
        const e = scheduled ? history.length : trainer.epoch;
        batchesDone = 0;
        epochSamples = 0;
        epochT0 = performance.now();
        batchLr.first = null;
        batchLr.last = null;
        const lrAtStart = optimizer.lr;
        progress.start(`epoch ${e + 1}/${totalEpochs}${scheduled ? ` (T=${stageT})` : ''}`, trainLoader.numBatches);
        reportEpoch = e + 1;
        reportBatches = trainLoader.numBatches;
        report('epoch', 0, null, null);
        const batches = (function* () {
          for (const b of trainBatches(session, trainLoader)) {
            epochSamples += b.y.length;
            yield b;
          }
        })();
        const tr = mirror ? await trainer.trainEpochAsync(batches) : trainer.trainEpoch(batches);
        progress.stop();
        trainSeconds += tr.seconds;
        trainSamples += tr.samples;
        // train.bn_recalibration: the running statistics re-estimated on the final weights of the epoch, before its test pass and checkpoint.
        const recal = config.train.bn_recalibration > 0 && !mirror ? recalibrate(trainer, current, e) : null;
        if (recal && recal.layers > 0) progress.log(`epoch ${e + 1}: batch norm statistics re-estimated on ${recal.samples} training samples (${recal.batches} batches, ${recal.layers} layers) in ${recal.seconds.toFixed(1)} s`);
        // The confusion matrix of the last epoch's test pass goes into the plots (the same predictions as its accuracy).
        let te: ReturnType<Trainer['evaluate']>;
        if (mirror) {
          te = await trainer.evaluateAsync(tensorBatches(testLoader, data.test.shape, backend), testEncoder(current));
          await copyTrainerState(trainer, mirror.trainer);
        } else {
          const counter = new ConfusionCounter(data.test.numClasses, session.predict);
          te = trainer.evaluate(tensorBatches(testLoader, data.test.shape, backend), testEncoder(current), (out, y) => counter.add(out, y));
          confusion = counter.matrix;
        }
        const rec: EpochRecord = {
          epoch: e + 1,
          train_loss: tr.loss,
          train_accuracy: tr.accuracy,
          test_loss: te.loss,
          test_accuracy: te.accuracy,
          // The rate this epoch trained with, not the one the scheduler set for the next.
          lr: batchLr.first ?? lrAtStart,
          ...(batchLr.last !== null && batchLr.last !== batchLr.first ? { lr_last: batchLr.last } : {}),
          seconds: tr.seconds,
          samples_per_s: tr.samples / Math.max(1e-9, tr.seconds),
          ...(teacher ? { distill: epochDistill(teacher) } : {}),
          ...(scheduled ? { stage: stage + 1, steps: stageT } : {}),
          ...(recal && recal.layers > 0 ? { bn_recalibration: recal } : {}),
        };
        teacherForwardSeconds += rec.distill?.teacher_s ?? 0;
        lastTestAccuracy = te.accuracy;
        history.push(rec);
        // Never checkpoint a diverged model: the last good checkpoint stays (with check_finite_every 0 or > 1 this is the check that catches it).
        checkModelFinite(hostModel, `at the end of epoch ${e + 1}`, { buffers: true, layerOrigin });
        // The checkpoint first, then the metrics line: a kill in between leaves a checkpoint whose
        // history has the epoch and a metrics.jsonl without it, which --resume rewrites from the history.
        // (The other order left a line for an epoch the checkpoint did not hold: trained again, logged twice.)
        saveTrainerCheckpoint(join(outDir, CHECKPOINT_FILE), mirror ? mirror.trainer : trainer, {
          rngs: checkpointRngs(session),
          config: { run: config, loader: trainLoader.getState(), history, teacher: teacher ? { dir: teacher.dir, sha256: teacher.sha256 } : null, ...(scheduled ? { stage: stage + 1 } : {}) },
        });
        killPoint('checkpoint-saved');
        appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
        killPoint('epoch-end');
        progress.log(
          `epoch ${e + 1}: train loss ${tr.loss.toFixed(4)} acc ${(100 * tr.accuracy).toFixed(2)}% | test loss ${te.loss.toFixed(4)} acc ${(100 * te.accuracy).toFixed(2)}% | ${rec.samples_per_s.toFixed(0)} samples/s` +
            (rec.distill ? ` (teacher ${rec.distill.teacher_s.toFixed(1)} of ${tr.seconds.toFixed(1)} s)` : ''),
        );
      }
      if (scheduled) {
        const last = history[history.length - 1];
        progress.log(`stage ${stage + 1}/${stages.length} (T=${stageT}) done: test accuracy ${last && last.stage === stage + 1 ? `${(100 * last.test_accuracy).toFixed(2)}%` : '– (0 epochs)'}`);
      }
    }
    if (mirror) {
      // The confusion matrix of the final weights, counted on the host mirror (the device evaluation keeps only counts).
      const m = mirror;
      const counter = new ConfusionCounter(data.test.numClasses, m.session.predict);
      withBackend(m.session.backend, () => m.trainer.evaluate(tensorBatches(testLoader, data.test.shape, m.session.backend), testEncoder(m.session), (out, y) => counter.add(out, y)));
      confusion = counter.matrix;
      // From here on everything reads tensors on the host: the mirror's session stands in for the device one.
      current = m.session;
      setBackend(m.session.backend.name);
    }
    // The weights a resumed run that trained no epoch here writes come from the checkpoint: checked as well.
    checkModelFinite(hostModel, 'before writing model.safetensors', { buffers: true, layerOrigin });
    saveModelWeights(join(outDir, 'model.safetensors'), hostModel, config);
    // A quantized model also gets its integer weights (docs/quantization.md), read back (and dequantized) before success is reported.
    const quantization = current.quantized.length > 0 ? quantizationSummary(current) : null;
    if (quantization) {
      saveIntWeights(join(outDir, INT_WEIGHTS_FILE), hostModel, { config: YAML.stringify(config) });
      readIntWeights(join(outDir, INT_WEIGHTS_FILE));
    }
    let final: EpochRecord | ReturnType<Trainer['evaluate']>;
    if (history.length > 0 && confusion !== null) final = history[history.length - 1]!;
    else {
      // No epoch ran here (a resumed run that had finished): score the test set once, counting the confusion matrix too.
      const counter = new ConfusionCounter(data.test.numClasses, session.predict);
      const te = (mirror ? mirror.trainer : trainer).evaluate(tensorBatches(testLoader, data.test.shape, current.backend), testEncoder(current), (out, y) => counter.add(out, y));
      confusion = counter.matrix;
      final = history.length > 0 ? history[history.length - 1]! : te;
    }
    report('measure', reportBatches, null, null);
    // Measured at the final stage's T (encoder.steps), as eval runs the saved model.
    const measured = measureModel(current, testLoader);
    const summary = buildSummary({
      config,
      environment: runEnvironment(backend.name),
      resumedFrom,
      history,
      final: { test_accuracy: 'test_accuracy' in final ? final.test_accuracy : final.accuracy, test_loss: 'test_loss' in final ? final.test_loss : final.loss },
      wallSeconds: (performance.now() - t0) / 1000,
      trainSeconds,
      trainSamples,
      parameters: model.parameters().reduce((a, p) => a + p.size, 0),
      modelSize: modelSize(model),
      quantization,
      measured,
      dataset: { name: data.train.name, train: data.train.length, ...(data.validation ? { validation: data.validation.length } : {}), test: data.test.length },
      distill: teacher && teacherScore ? distillSummary(teacher, teacherScore, teacherForwardSeconds) : null,
      // The process's peak resident memory so far (maxRSS is in KiB): the run's own peak when it is the process's only work, as in a sweep's worker process.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    });
    writeFileAtomic(join(outDir, 'summary.json'), enc(JSON.stringify(summary, null, 2) + '\n'));
    // Plots: a recording of a few test samples plus what was measured above, drawn as SVG (timed: it should stay a small part of a run).
    const tPlots = performance.now();
    const plots = writeRunPlots(outDir, collectPlotData({ session: current, history, measured, confusion }));
    writeFileAtomic(join(outDir, 'report.html'), enc(renderReportHtml({ summary, measured, configYaml, plots })));
    const plotMs = performance.now() - tPlots;
    writeFileAtomic(join(outDir, 'report.md'), enc(renderReport(summary, measured, plots)));
    progress.log(`plots: ${plots.length} SVGs and report.html in ${plotMs.toFixed(0)} ms`);
    // Confirm the weights file reads back before reporting success (its format: whether training stayed finite is the trainer's check).
    loadSafetensors(join(outDir, 'model.safetensors'), { allowNonFinite: true });
    report('done', reportBatches, null, null);
    progress.log(`done: test accuracy ${(100 * summary.accuracy).toFixed(2)}% in ${summary.wall_time_s.toFixed(1)} s; wrote ${outDir}`);
    if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } catch (e) {
    progress.stop();
    // A run that fails before its first epoch completes leaves nothing behind.
    if (created && !existsSync(join(outDir, CHECKPOINT_FILE))) rmSync(outDir, { recursive: true, force: true });
    throw e;
  } finally {
    releaseDevice(backend);
  }
}
