import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../config/load-node.js';
import type { RunConfig } from '../../config/schema.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { noGrad } from '../../autograd/tape.js';
import { batchTensor } from '../../data/loader.js';
import { Rng } from '../../tensor/rng.js';
import { runInStepScope, stepBackends, Trainer } from '../../train/trainer.js';
import { quantizeModel, selectLayers } from '../../quant/apply.js';
import { quantizeOptionsFromSection, type QuantizeSection } from '../../quant/options.js';
import { calibrateMse } from '../../quant/ptq.js';
import { describeModelSize, modelSize } from '../../quant/size.js';
import { readIntWeights, saveIntWeights } from '../../quant/int-weights-node.js';
import { createSession, makeLoader, makeOptimizer, tensorBatches, type Session } from '../session-node.js';
import { loadModelWeights, saveModelWeights } from '../weights-node.js';
import { testEncoder } from '../test-encoding.js';
import { modelSizeSummary, type ModelSizeSummary } from '../report.js';
import { INT_WEIGHTS_FILE } from './train-node.js';
import { checkOutFolder } from '../paths-node.js';

/*
 * `spikeflow quantize RUN_DIR --bits 4 --method percentile`: post-training
 * quantization of a trained float run. Scores the float model on the test
 * set, attaches fixed-step quantizers (minmax, percentile, or MSE-optimal
 * clipping measured on training samples), scores it again and writes a run
 * folder of its own — config.yaml with the `model.quantize` section,
 * model.safetensors (weights and steps), model.int.safetensors and
 * summary.json with both accuracies and sizes — so `spikeflow eval --run` of
 * that folder (with or without --int) reproduces the quantized accuracy.
 */

export interface QuantizeCliOptions {
  bits?: string;
  method: string;
  percentile?: string;
  calibration?: string;
  perTensor?: boolean;
  skipFirst: boolean;
  skipLast: boolean;
  firstLastBits?: string;
  exclude?: string;
  out?: string;
  set: string[];
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

/** quantize's summary.json. */
export interface QuantizeSummary {
  source_run: string;
  quantization: QuantizeSection;
  layers: { path: string; bits: number }[];
  test_samples: number;
  float: { accuracy: number; loss: number; model_size: ModelSizeSummary };
  quantized: { accuracy: number; loss: number; model_size: ModelSizeSummary };
  /** Training samples the mse method measured the layers' output error on (0 for the weight-only methods). */
  calibration_samples: number;
  seconds: number;
}

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`--${name}: expected a positive integer, got '${v}'`);
  return Number(v);
}

function numberArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${name}: expected a number, got '${v}'`);
  return n;
}

function evaluate(session: Session): { accuracy: number; loss: number; samples: number } {
  const { model, config, data, backend } = session;
  const trainer = new Trainer({ model, encode: testEncoder(session), loss: session.loss, predict: session.predict, optimizer: makeOptimizer(config.train.optimizer, model.parameters()) });
  const r = trainer.evaluate(tensorBatches(makeLoader(data.test, config.data.test_batch_size, false), data.test.shape, backend));
  return { accuracy: r.accuracy, loss: r.loss, samples: r.samples };
}

/** Run the model over the first `n` training samples (in order, a fixed encoder seed), one step scope per batch. */
function calibrationPass(session: Session, n: number): number {
  const { model, config, data, backend } = session;
  const rng = new Rng(config.seed ^ 0xca1b);
  const loader = makeLoader(data.train, config.data.test_batch_size, false);
  const backends = stepBackends(model);
  let seen = 0;
  model.eval();
  noGrad(() => {
    for (const b of loader) {
      if (seen >= n) continue; // drain the epoch so the loader resets
      const take = Math.min(b.size, n - seen);
      seen += take;
      runInStepScope(backends, () => model.allPersistentTensors(), () => {
        const part = take === b.size ? b : { ...b, size: take, labels: b.labels.subarray(0, take), indices: b.indices.subarray(0, take), x: b.x.subarray(0, take * (b.x.length / b.size)) };
        const x = batchTensor(part, data.train.shape, backend);
        model.resetState();
        model.forward(session.encoder.encode(x, rng));
        model.resetState();
      });
    }
  });
  return seen;
}

export async function runQuantize(runDir: string, opts: QuantizeCliOptions): Promise<void> {
  const t0 = performance.now();
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new NotFoundError(`quantize: run folder not found: ${dir}`);
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) throw new NotFoundError(`quantize: ${dir} has no model.safetensors (did the run finish?)`);
  const sets = [...opts.set];
  if (opts.backend !== undefined) sets.push(`backend=${opts.backend}`);
  const { config } = loadConfig(join(dir, 'config.yaml'), sets);
  if (config.model.quantize) {
    throw new ConfigError(`quantize: ${dir} is already quantized (model.quantize.method ${config.model.quantize.method}, ${config.model.quantize.bits} bits); quantize a float run`);
  }
  if (opts.method === 'lsq') throw new ConfigError("--method: 'lsq' is quantization-aware training; train with model.quantize: { bits: B } instead (spikeflow quantize does post-training quantization: minmax, percentile, mse)");
  const bits = intArg('bits', opts.bits);
  if (bits === undefined) throw new ConfigError('quantize: --bits is required (2 to 8)');
  if (opts.percentile !== undefined && opts.method !== 'percentile') throw new ConfigError(`--percentile applies to --method percentile, not '${opts.method}'`);
  if (opts.calibration !== undefined && opts.method !== 'mse') throw new ConfigError(`--calibration applies to --method mse (the other methods read only the weights), not '${opts.method}'`);
  const section: Record<string, unknown> = {
    bits,
    method: opts.method,
    per_channel: opts.perTensor !== true,
    skip_first: opts.skipFirst,
    skip_last: opts.skipLast,
    ...(opts.firstLastBits !== undefined ? { first_last_bits: intArg('first-last-bits', opts.firstLastBits) } : {}),
    exclude: opts.exclude === undefined ? [] : opts.exclude.split(',').map((s) => s.trim()),
    ...(opts.percentile !== undefined ? { percentile: numberArg('percentile', opts.percentile) } : {}),
    ...(opts.calibration !== undefined ? { calibration: intArg('calibration', opts.calibration) } : {}),
  };
  // Checked by the config schema, so the messages name model.quantize.<key> as for a config file.
  const qconfig: RunConfig = loadConfig(join(dir, 'config.yaml'), [...sets, `model.quantize=${JSON.stringify(section)}`]).config;
  const q = qconfig.model.quantize!;
  const outDir = resolve(opts.out ?? join(dir, `quantized-${q.method}-int${q.bits}`));
  checkOutFolder(outDir, '--out');
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new ConfigError(`quantize: output folder already exists and is not empty: ${outDir} (choose another --out)`);

  const log = (l: string): void => {
    if (!opts.quiet) process.stderr.write(l + '\n');
  };
  // The float model as trained, then the same model with quantizers attached.
  const session = createSession(config, opts.quiet ? {} : { log });
  selectLayers(session.model, quantizeOptionsFromSection(q), 'model.quantize'); // a bad selection fails before any scoring
  loadModelWeights(weights, session.model);
  const floatSize = modelSize(session.model);
  const before = evaluate(session);
  log(`float32: test accuracy ${(100 * before.accuracy).toFixed(2)}% on ${before.samples} samples, ${describeModelSize(floatSize)}`);
  const quantized = quantizeModel(session.model, quantizeOptionsFromSection(q), 'model.quantize');
  let calibrationSamples = 0;
  if (q.method === 'mse') {
    const r = calibrateMse(quantized.map((l) => l.layer), () => {
      calibrationSamples = calibrationPass(session, q.calibration);
    });
    log(`mse: clip ratios chosen on ${calibrationSamples} training samples (mean per layer: ${r.ratios.map((a) => (a.reduce((s, v) => s + v, 0) / a.length).toFixed(3)).join(', ')})`);
  }
  const qSession: Session = { ...session, config: qconfig, quantized };
  const after = evaluate(qSession);
  const qSize = modelSize(session.model);
  log(`int${q.bits} ${q.method}: test accuracy ${(100 * after.accuracy).toFixed(2)}%, ${describeModelSize(qSize)}`);

  const summary: QuantizeSummary = {
    source_run: dir,
    quantization: q,
    layers: quantized.map((l) => ({ path: l.path, bits: l.bits })),
    test_samples: after.samples,
    float: { accuracy: before.accuracy, loss: before.loss, model_size: modelSizeSummary(floatSize) },
    quantized: { accuracy: after.accuracy, loss: after.loss, model_size: modelSizeSummary(qSize) },
    calibration_samples: calibrationSamples,
    seconds: (performance.now() - t0) / 1000,
  };
  const created = !existsSync(outDir);
  mkdirSync(outDir, { recursive: true });
  try {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    writeFileAtomic(join(outDir, 'config.yaml'), enc(`# post-training quantization of ${dir} (spikeflow quantize)\n` + YAML.stringify(qconfig)));
    saveModelWeights(join(outDir, 'model.safetensors'), session.model, qconfig);
    saveIntWeights(join(outDir, INT_WEIGHTS_FILE), session.model, { config: YAML.stringify(qconfig) });
    readIntWeights(join(outDir, INT_WEIGHTS_FILE));
    writeFileAtomic(join(outDir, 'summary.json'), enc(JSON.stringify(summary, null, 2) + '\n'));
  } catch (e) {
    if (created) rmSync(outDir, { recursive: true, force: true });
    else for (const f of ['config.yaml', 'model.safetensors', INT_WEIGHTS_FILE, 'summary.json']) rmSync(join(outDir, f), { force: true });
    throw e;
  }
  if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(
      `float32 ${(100 * before.accuracy).toFixed(2)}% → int${q.bits} ${q.method} ${(100 * after.accuracy).toFixed(2)}% on ${after.samples} test samples; ` +
        `${quantized.length} layer${quantized.length > 1 ? 's' : ''} quantized (${summary.layers.map((l) => `${l.path}: int${l.bits}`).join(', ')}); ${describeModelSize(qSize)}; wrote ${outDir}\n`,
    );
  }
}
