import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { applyOverrides, readConfigYaml } from '../../config/load-node.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import { registerNativeBackend } from '../../backend/native/load-node.js';
import { setBackend } from '../../backend/registry.js';
import type { Backend } from '../../backend/backend.js';
import { Rng } from '../../tensor/rng.js';
import { CharTokenizer, splitTokens, type TextSplits } from '../../data/text.js';
import { readKjv, readTextFile } from '../../data/text-node.js';
import { Adam } from '../../train/optim/adam.js';
import { saveWeights, loadWeights } from '../../interop/weights-node.js';
import { validateLmConfig, type LmConfig } from '../../lm/config.js';
import { buildLanguageModel } from '../../lm/model.js';
import { trainLm, type LmLogEntry } from '../../lm/train.js';
import { lmMeasure, type LmMeasurement } from '../../lm/measure.js';
import { generate } from '../../lm/generate.js';
import type { Sequential } from '../../nn/containers.js';
import { Transformer } from '../../nn/transformer.js';

/*
 * The language-model runs of the CLI (docs/spikegpt.md): `spikeflow train`
 * hands a config with `task: language_model` here; `spikeflow generate` and
 * `spikeflow eval` on a language-model run folder. A run folder holds
 * config.yaml (resolved), tokenizer.json, model.safetensors, metrics.json
 * (the training log) and summary.json.
 */

const TOKENIZER_FILE = 'tokenizer.json';
const WEIGHTS_FILE = 'model.safetensors';

export interface LmTrainCliOptions {
  configPath: string;
  raw: Record<string, unknown>;
  sets: string[];
  out?: string;
  backend?: string;
  seed?: string;
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
}

function write(path: string, text: string): void {
  writeFileAtomic(path, new TextEncoder().encode(text));
}

/** --data-dir for a text corpus: a file, or a folder holding exactly one .txt file. */
function resolveTextPath(p: string): string {
  const abs = resolve(p);
  if (!existsSync(abs)) throw new NotFoundError(`--data-dir / data.path '${p}' does not exist`);
  if (!statSync(abs).isDirectory()) return abs;
  const txt = readdirSync(abs).filter((f) => f.endsWith('.txt'));
  if (txt.length !== 1) throw new ConfigError(`--data-dir '${p}' is a folder with ${txt.length} .txt files; give the text file itself`);
  return join(abs, txt[0]!);
}

/** The corpus a config names, as text. */
export function readLmCorpus(config: LmConfig): string {
  const max = config.limits.data_bytes ?? DEFAULT_LIMITS.dataBytes;
  return config.data.dataset === 'kjv' ? readKjv() : readTextFile(resolveTextPath(config.data.path!), max);
}

export function parseLmConfig(raw: Record<string, unknown>, source: string, sets: string[], dataDir?: string, seed?: string): LmConfig {
  applyOverrides(raw, sets);
  if (dataDir !== undefined) {
    const data = (raw.data ?? {}) as Record<string, unknown>;
    data.path = dataDir;
    if (data.dataset === undefined) data.dataset = 'text';
    raw.data = data;
  }
  if (seed !== undefined) raw.seed = Number(seed);
  return validateLmConfig(raw, source + (sets.length ? ' (with --set)' : ''));
}

function pickBackend(name: string): Backend {
  registerNativeBackend();
  return setBackend(name);
}

interface Prepared {
  tokenizer: CharTokenizer;
  splits: TextSplits;
  model: Sequential;
}

function prepare(config: LmConfig, text: string, tokenizer: CharTokenizer, source: string): Prepared {
  const ids = tokenizer.encode(text, source);
  const splits = splitTokens(ids, config.data.splits, config.data.context + 1);
  const { model } = buildLanguageModel(config.model.layers, tokenizer.size, config.data.context, new Rng(config.seed));
  return { tokenizer, splits, model };
}

function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** `spikeflow train` for a language-model config. */
export function runLmTrain(o: LmTrainCliOptions): void {
  const config = parseLmConfig(o.raw, o.configPath, o.sets, o.dataDir, o.seed);
  // The run folder's config names the corpus file itself, absolute, so eval and generate find it from anywhere.
  if (config.data.path !== null) config.data.path = resolveTextPath(config.data.path);
  const backend = pickBackend(o.backend ?? config.backend);
  const text = readLmCorpus(config);
  const source = config.data.dataset === 'kjv' ? 'kjv corpus' : `text corpus '${config.data.path}'`;
  const tokenizer = CharTokenizer.fromText(text, source);
  const { splits, model } = prepare(config, text, tokenizer, source);
  const outDir = resolve(o.out ?? join('runs', config.name));
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new ConfigError(`run folder ${outDir} already holds files; choose another --out`);
  mkdirSync(outDir, { recursive: true });
  write(join(outDir, 'config.yaml'), YAML.stringify(config));
  write(join(outDir, TOKENIZER_FILE), JSON.stringify(tokenizer.toJson()));
  const log = (s: string): void => {
    if (!o.quiet) process.stdout.write(s + '\n');
  };
  const params = model.parameters().reduce((a, p) => a + p.size, 0);
  log(`${config.name}: ${params} parameters, vocabulary ${tokenizer.size}, tokens train/validation/test ${splits.train.length}/${splits.validation.length}/${splits.test.length}, backend ${backend.name}`);
  const t = config.train;
  const optimizer = new Adam(model.parameters(), { lr: t.lr, betas: t.betas, eps: t.eps });
  const rng = new Rng(config.seed).fork();
  const result = trainLm({
    model,
    backend,
    optimizer,
    train: splits.train,
    validation: splits.validation,
    context: config.data.context,
    batchSize: config.data.batch_size,
    rng,
    steps: t.steps,
    minutes: t.minutes,
    lr: t.lr,
    lrFinal: t.lr_final,
    lrSchedule: t.lr_schedule,
    warmupSteps: t.warmup_steps,
    clipGradNorm: t.clip_grad_norm,
    l2wrap: t.l2wrap,
    evalEvery: t.eval_every,
    evalTokens: t.eval_tokens,
    logEvery: t.log_every,
    onLog: (e: LmLogEntry) => log(`step ${e.step}  ${e.seconds.toFixed(0)} s  lr ${e.lr.toExponential(2)}  train ${fmt(e.trainBpc)} bpc${e.valBpc !== undefined ? `  validation ${fmt(e.valBpc)} bpc` : ''}`),
  });
  saveWeights(join(outDir, WEIGHTS_FILE), model, { metadata: { config: YAML.stringify(config), tokenizer: JSON.stringify(tokenizer.toJson()) } });
  write(join(outDir, 'metrics.json'), JSON.stringify(result.history, null, 1));
  const summary = { name: config.name, parameters: params, vocabulary: tokenizer.size, steps: result.steps, seconds: result.seconds, tokens: result.tokens, validationBpc: result.valBpc, backend: backend.name };
  write(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  log(`done: ${result.steps} steps in ${result.seconds.toFixed(0)} s, validation ${fmt(result.valBpc)} bpc; run folder ${outDir}`);
  if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

/** Whether a folder is a language-model run (it has a tokenizer). */
export function isLmRun(dir: string): boolean {
  return existsSync(join(dir, TOKENIZER_FILE)) && existsSync(join(dir, 'config.yaml'));
}

interface LoadedRun {
  config: LmConfig;
  tokenizer: CharTokenizer;
  model: Sequential;
  backend: Backend;
}

/** A run folder's model; `sets` (the user's --set) apply to its config before validation, as for image runs. */
function loadRun(dir: string, backendName?: string, sets: readonly string[] = []): LoadedRun {
  const d = resolve(dir);
  if (!isLmRun(d)) throw new NotFoundError(`${dir} is not a language-model run folder (it needs config.yaml, ${TOKENIZER_FILE} and ${WEIGHTS_FILE})`);
  const cfgPath = join(d, 'config.yaml');
  const raw = readConfigYaml(readFileSync(cfgPath, 'utf8'), cfgPath);
  applyOverrides(raw, [...sets]);
  const config = validateLmConfig(raw, cfgPath + (sets.length ? ' (with --set)' : ''));
  const backend = pickBackend(backendName ?? config.backend);
  const tokPath = join(d, TOKENIZER_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(tokPath, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${tokPath}: not JSON (${(e as Error).message})`);
  }
  const tokenizer = CharTokenizer.fromJson(json, tokPath);
  const { model } = buildLanguageModel(config.model.layers, tokenizer.size, config.data.context, new Rng(config.seed));
  loadWeights(join(d, WEIGHTS_FILE), model);
  return { config, tokenizer, model, backend };
}

export interface LmGenerateOptions {
  run: string;
  prompt: string;
  tokens: number;
  temperature: number;
  topP: number;
  seed: number;
  backend?: string;
  /** Print the statistics line on stderr (default true). */
  stats?: boolean;
}

/** `spikeflow generate`: prints the prompt, then each token as it is drawn; a speed line on stderr. */
export function runLmGenerate(o: LmGenerateOptions): void {
  if (!Number.isInteger(o.tokens) || o.tokens < 0) throw new ConfigError(`--tokens must be a non-negative integer, got ${o.tokens}`);
  const { tokenizer, model, backend, config } = loadRun(o.run, o.backend);
  const prompt = tokenizer.encode(o.prompt, '--prompt');
  process.stdout.write(o.prompt);
  const r = generate(model, prompt, {
    tokens: o.tokens,
    temperature: o.temperature,
    topP: o.topP,
    rng: new Rng(o.seed),
    backend,
    onToken: (id) => process.stdout.write(tokenizer.decode([id])),
  });
  process.stdout.write('\n');
  if (o.stats !== false) {
    const tr = model.namedModules().find((e): e is [string, Transformer] => e[1] instanceof Transformer)?.[1];
    const total = prompt.length + o.tokens;
    const beyond = tr
      ? total > tr.maxContext
        ? ` (past max_context ${tr.maxContext}: the attention window slid, re-encoding the last ${tr.slideKeep} tokens each time it was full)`
        : ''
      : total > config.data.context
        ? ` (past the trained context of ${config.data.context}: the recurrent state continues)`
        : '';
    process.stderr.write(`${o.tokens} tokens in ${r.seconds.toFixed(2)} s: ${r.tokensPerSecond.toFixed(0)} tokens/s on ${backend.name}${beyond}\n`);
  }
}

export interface LmEvalOptions {
  run: string;
  backend?: string;
  /** A text run's corpus, when it is no longer where the run's config says (--data-dir). */
  dataDir?: string;
  json?: boolean;
  /** Predict at most this many test characters (default: config eval.test_tokens, else the whole split). */
  testTokens?: number;
  /** Config overrides (`--set key=value`), applied to the run's config.yaml before it is validated. */
  set?: readonly string[];
  /** The split measured: `test` (default) or `validation` (data.splits' middle part, for choices made between runs). */
  split?: 'test' | 'validation';
}

/** `spikeflow eval` on a language-model run: test bpc and perplexity, firing rates, operations, energy, generation speed. */
export function runLmEval(o: LmEvalOptions): LmMeasurement {
  const { config, tokenizer, model, backend } = loadRun(o.run, o.backend, o.set);
  if (o.dataDir !== undefined) config.data.path = o.dataDir;
  const text = readLmCorpus(config);
  const splits = splitTokens(tokenizer.encode(text, 'corpus'), config.data.splits, config.data.context + 1);
  const split = o.split ?? 'test';
  const m = lmMeasure(model, splits[split], {
    context: config.data.context,
    batchSize: config.data.batch_size,
    maxTokens: o.testTokens ?? config.eval.test_tokens ?? Infinity,
    speedTokens: config.eval.speed_tokens,
    backend,
  });
  if (o.json) process.stdout.write(JSON.stringify(m, null, 2) + '\n');
  else {
    const lines = [
      `${config.name} on the ${split} split (${m.testTokens} characters), backend ${backend.name}`,
      `  bits per character  ${m.bpc.toFixed(4)}`,
      `  perplexity          ${m.perplexity.toFixed(3)} (per character)`,
      `  generation          ${m.tokensPerSecond.toFixed(0)} tokens/s (batch 1, recurrent, ${m.speedTokens} tokens)`,
      `  per token           ${fmtCount(m.perToken.macs)} MACs, ${fmtCount(m.perToken.sops)} SOPs (synaptic accumulates on spikes), dense equivalent ${fmtCount(m.perToken.denseMacs)} MACs`,
      `  energy per token    ${fmtPJ(m.perToken.energyPJ)} compute (45 nm fp32), ANN equivalent ${fmtPJ(m.perToken.annEnergyPJ)}`,
      '  firing rates:',
      ...m.firingRates.map((f) => `    ${f.layer.padEnd(28)} ${(100 * f.rate).toFixed(2)} %`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return m;
}

function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

function fmtPJ(pj: number): string {
  return pj >= 1e6 ? `${(pj / 1e6).toFixed(2)} µJ` : pj >= 1e3 ? `${(pj / 1e3).toFixed(2)} nJ` : `${pj.toFixed(1)} pJ`;
}
