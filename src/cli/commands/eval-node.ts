import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, parseEmbeddedConfigText } from '../../config/load-node.js';
import type { RunConfig } from '../../config/schema.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import { Trainer } from '../../train/trainer.js';
import { createSession, makeLoader, makeOptimizer, tensorBatches } from '../session-node.js';
import { configFromWeights, loadModelWeights } from '../weights-node.js';
import { measureModel } from '../measure.js';
import { checkOutFolder } from '../paths-node.js';
import { isLmRun, runLmEval } from './lm-node.js';
import { testEncoder, validationEncoder } from '../test-encoding.js';
import { describeModelSize, modelSize } from '../../quant/size.js';
import { energySummary, modelSizeSummary } from '../report.js';
import { checkEarlyExitFlags, checkEarlyExitSession, evaluateEarlyExit, formatEarlyExit, writeFront, type EarlyExitFlags, type EarlyExitSummary } from '../early-exit-node.js';

export interface EvalOptions extends EarlyExitFlags {
  run?: string;
  config?: string;
  weights?: string;
  /** With --run: evaluate the run's integer weights (model.int.safetensors) instead of model.safetensors. */
  int?: boolean;
  set: string[];
  backend?: string;
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
  /** Load weights holding NaN / ±Infinity (default: refused, naming the file and the tensor). */
  allowNonFinite?: boolean;
  /**
   * The split scored: `test` (default) or `validation`, the samples the run
   * held out of training (`data.validation`), for choices made between runs
   * (a recipe, a learning rate) without looking at the test split.
   */
  split?: string;
}

/** `spikeflow eval`: rebuild the model from a run folder (or config + weights) and score it on the test set. */
export async function runEval(opts: EvalOptions): Promise<void> {
  // A language-model run folder (it has a tokenizer) is evaluated by its own measurement (docs/spikegpt.md).
  if (opts.run && isLmRun(resolve(opts.run))) {
    // What only image runs have is refused by name rather than ignored.
    const imageOnly = [
      [opts.earlyExit, '--early-exit'],
      [opts.int, '--int'],
      [opts.config !== undefined, '--config'],
      [opts.weights !== undefined, '--weights'],
      [opts.allowNonFinite, '--allow-non-finite'],
    ] as const;
    const refused = imageOnly.filter(([given]) => given).map(([, flag]) => flag);
    if (refused.length > 0) throw new ConfigError(`eval: ${refused.join(', ')} ${refused.length > 1 ? 'do' : 'does'} not apply to a language-model run (${opts.run}); it takes --set, --split, --backend, --data-dir and --json`);
    const split = opts.split ?? 'test';
    if (split !== 'test' && split !== 'validation') throw new ConfigError(`--split: expected 'test' or 'validation', got '${split}'`);
    runLmEval({
      run: opts.run,
      set: opts.set,
      split,
      ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
      ...(opts.json ? { json: true } : {}),
    });
    return;
  }
  // Flags first: a bad one fails before any data is read.
  const early = checkEarlyExitFlags(opts);
  const split = opts.split ?? 'test';
  if (split !== 'test' && split !== 'validation') throw new ConfigError(`--split: expected 'test' or 'validation', got '${split}'`);
  if (split === 'validation' && early) throw new ConfigError('--split validation goes without --early-exit (early exit chooses its threshold on the validation split and reports on the test split)');
  if (early?.front) checkOutFolder(early.front, '--front');
  const sets = [...opts.set];
  if (opts.dataDir !== undefined) sets.push(`data.dir=${JSON.stringify(opts.dataDir)}`);
  if (opts.backend !== undefined) sets.push(`backend=${opts.backend}`);
  let weights: string;
  let config: RunConfig;
  if (opts.run) {
    const dir = resolve(opts.run);
    if (!existsSync(dir)) throw new NotFoundError(`--run: run folder not found: ${dir}`);
    const file = opts.int ? 'model.int.safetensors' : 'model.safetensors';
    weights = join(dir, file);
    if (!existsSync(weights)) {
      throw new NotFoundError(opts.int ? `--int: ${dir} has no model.int.safetensors (only runs with model.quantize write one)` : `--run: ${dir} has no model.safetensors (did the run finish?)`);
    }
    config = loadConfig(join(dir, 'config.yaml'), sets).config;
  } else if (opts.weights) {
    weights = resolve(opts.weights);
    if (!existsSync(weights)) throw new NotFoundError(`--weights: file not found: ${weights}`);
    if (opts.config) config = loadConfig(opts.config, sets).config;
    else {
      const text = configFromWeights(weights);
      if (!text) throw new ConfigError(`--weights: ${weights} carries no config; pass --config`);
      config = parseEmbeddedConfigText(text, `${weights} (embedded config)`, sets);
    }
  } else throw new ConfigError('eval: give --run DIR, or --weights FILE (with --config unless the file embeds one)');
  if (opts.int && !opts.run) throw new ConfigError('eval: --int goes with --run DIR (give an integer weights file to --weights directly)');

  const session = createSession(config);
  loadModelWeights(weights, session.model, { allowNonFinite: opts.allowNonFinite ?? false });
  if (early) checkEarlyExitSession(session, early);
  const { model, data, backend } = session;
  let scored = data.test;
  if (split === 'validation') {
    if (!data.validation) throw new ConfigError(`--split validation: this run holds no validation split (data.validation is 0 in its config; train with data.validation: N)`);
    scored = data.validation;
  }
  // The same test encoding as the run's report (src/cli/test-encoding.ts), so the accuracies agree;
  // the validation split has an encoder of its own (its own draws for a stochastic encoder).
  const encode = split === 'validation' ? validationEncoder(session) : testEncoder(session);
  const trainer = new Trainer({ model, encode, loss: session.loss, predict: session.predict, optimizer: makeOptimizer(config.train.optimizer, model.parameters()) });
  const loader = makeLoader(scored, config.data.test_batch_size, false);
  const r = trainer.evaluate(tensorBatches(loader, scored.shape, backend));
  const m = measureModel(session, loader);
  const size = modelSize(model);
  const result = {
    weights,
    split,
    dataset: scored.name,
    samples: r.samples,
    accuracy: r.accuracy,
    loss: r.loss,
    seconds: r.seconds,
    backend: backend.name,
    model_size: modelSizeSummary(size),
    mean_spike_rate: m.summary.meanRate,
    sops_per_sample: m.ops.totals.sops,
    macs_per_sample: m.ops.totals.macs,
    // The same energy rows as the run's summary.json, from this evaluation's measurement.
    energy: energySummary(m.energy),
    layers: m.summary.layers.filter((l) => l.neuron).map((l) => ({ name: l.name, spike_rate: l.neuron!.rate })),
  };
  let earlyExit: EarlyExitSummary | undefined;
  if (early) {
    const log = opts.quiet || opts.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    const { summary, front } = evaluateEarlyExit(session, early, log);
    // Written last, once everything is computed: a failure before leaves no partial analysis.
    if (front && early.front) summary.front_files = writeFront(early.front, front);
    earlyExit = summary;
  }
  if (opts.json) process.stdout.write(JSON.stringify(earlyExit ? { ...result, early_exit: earlyExit } : result, null, 2) + '\n');
  else {
    process.stdout.write(`${split} accuracy ${(100 * r.accuracy).toFixed(2)}% (loss ${r.loss.toFixed(4)}) on ${r.samples} samples of ${scored.name} in ${r.seconds.toFixed(1)} s [${backend.name}]\n`);
    process.stdout.write(`  model size ${describeModelSize(size)}\n`);
    for (const l of result.layers) process.stdout.write(`  ${l.name}: spike rate ${(100 * l.spike_rate).toFixed(2)}%\n`);
    if (earlyExit) process.stdout.write(formatEarlyExit(earlyExit));
  }
}
