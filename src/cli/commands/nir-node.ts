import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { noGrad } from '../../autograd/tape.js';
import { loadConfig, parseConfigText, parseEmbeddedConfigText } from '../../config/load-node.js';
import type { RunConfig } from '../../config/schema.js';
import YAML from 'yaml';
import { ConfigError, FormatError, NotFoundError } from '../../errors.js';
import { runNir, type NirSequence } from '../../interop/nir/executor.js';
import { moduleToNir } from '../../interop/nir/export.js';
import { readNirFile, writeNirFile } from '../../interop/nir/file-node.js';
import { nirToModule } from '../../interop/nir/import.js';
import { renderNirSummary, summarizeNir } from '../../interop/nir/summary.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { zeros } from '../../tensor/create.js';
import { Rng } from '../../tensor/rng.js';
import { createSession } from '../session-node.js';
import { checkOutFile } from '../paths-node.js';
import { configFromWeights, loadModelWeights, saveModelWeights } from '../weights-node.js';

function parseDt(v: string | undefined, required: boolean): number | undefined {
  if (v === undefined) {
    if (required) throw new ConfigError('--dt: the Euler time step in seconds is required (NIR fixes no dt), e.g. --dt 1e-4');
    return undefined;
  }
  const x = Number(v);
  if (!(Number.isFinite(x) && x > 0)) throw new ConfigError(`--dt: expected a positive number of seconds, got '${v}'`);
  return x;
}

/** Nested JSON array [t][batch][...shape] → flat values, checking it is rectangular. */
function flattenNested(v: unknown, source: string): { dims: number[]; data: Float64Array } {
  const dims: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const out = new Float64Array(dims.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (x: unknown, d: number, path: string): void => {
    if (d === dims.length) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new FormatError(`${source}: ${path} must be a finite number`);
      out[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== dims[d]) throw new FormatError(`${source}: ${path} must be an array of ${dims[d]} entries (the input must be rectangular [t][batch][...shape])`);
    x.forEach((e, i) => walk(e, d + 1, `${path}[${i}]`));
  };
  walk(v, 0, 'input');
  return { dims, data: out };
}

function nest(data: Float64Array, dims: number[]): unknown {
  let k = 0;
  const build = (d: number): unknown => {
    if (d === dims.length) return data[k++]!;
    return Array.from({ length: dims[d]! }, () => build(d + 1));
  };
  return build(0);
}

const seqJson = (s: NirSequence): unknown => nest(s.data, [s.steps, s.batch, ...s.shape]);

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value) + '\n'));
}

export interface NirInspectOptions {
  json?: boolean;
  lenient?: boolean;
}

export async function nirInspect(file: string, opts: NirInspectOptions): Promise<void> {
  const doc = await readNirFile(file, { lenient: opts.lenient ?? false });
  for (const w of doc.warnings) process.stderr.write(`spikeflow: warning: ${w}\n`);
  const s = summarizeNir(doc.graph, doc.version);
  process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : renderNirSummary(s));
}

export interface NirRunOptions {
  dt?: string;
  input: string;
  out: string;
  all?: boolean;
  allowNonFinite?: boolean;
}

export async function nirRun(file: string, opts: NirRunOptions): Promise<void> {
  checkOutFile(opts.out, '--out');
  const doc = await readNirFile(file);
  const dt = parseDt(opts.dt, false);
  if (!existsSync(opts.input)) throw new NotFoundError(`--input: file not found: ${opts.input}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(opts.input, 'utf8'));
  } catch (e) {
    throw new FormatError(`${opts.input}: not valid JSON (${(e as Error).message})`);
  }
  // Accept a bare nested array or an object with an 'input' key (the fixtures' layout).
  const arr = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && 'input' in raw ? (raw as { input: unknown }).input : null;
  if (!Array.isArray(arr)) throw new FormatError(`${opts.input}: expected a nested array [t][batch][...shape] or an object with 'input'`);
  const { dims, data } = flattenNested(arr, opts.input);
  if (dims.length < 3) throw new FormatError(`${opts.input}: input has ${dims.length} dimensions; expected [t][batch][...shape]`);
  const r = runNir(doc.graph, { steps: dims[0]!, batch: dims[1]!, shape: dims.slice(2), data }, { ...(dt !== undefined ? { dt } : {}), recordAll: opts.all ?? false, source: file, allowNonFinite: opts.allowNonFinite ?? false });
  const out: Record<string, unknown> = { graph: file, dt: r.dt, steps: dims[0], batch: dims[1], layout: '[t][batch][...shape]', outputs: {} };
  for (const [k, s] of r.outputs) (out['outputs'] as Record<string, unknown>)[k] = seqJson(s);
  if (opts.all) {
    const nodes: Record<string, unknown> = {};
    for (const [k, s] of r.nodes) nodes[k] = seqJson(s);
    out['nodes'] = nodes;
  }
  writeJson(opts.out, out);
}

export interface NirExportCliOptions {
  run?: string;
  weights?: string;
  config?: string;
  out: string;
  dt?: string;
  approximateReset?: boolean;
  roundDelays?: boolean;
}

export async function nirExport(opts: NirExportCliOptions): Promise<void> {
  checkOutFile(opts.out, '--out');
  const dt = parseDt(opts.dt, true)!;
  let weights: string;
  let config: RunConfig;
  if (opts.run) {
    const dir = resolve(opts.run);
    weights = join(dir, 'model.safetensors');
    if (!existsSync(weights)) throw new NotFoundError(`--run: ${dir} has no model.safetensors`);
    config = loadConfig(join(dir, 'config.yaml')).config;
  } else if (opts.weights) {
    weights = resolve(opts.weights);
    if (!existsSync(weights)) throw new NotFoundError(`--weights: file not found: ${weights}`);
    if (opts.config) config = loadConfig(opts.config).config;
    else {
      const text = configFromWeights(weights);
      if (!text) throw new ConfigError(`--weights: ${weights} carries no config; pass --config`);
      config = parseEmbeddedConfigText(text, `${weights} (embedded config)`);
    }
  } else throw new ConfigError('nir export: give --run DIR, or --weights FILE (with --config unless the file embeds one)');
  const session = createSession(config);
  loadModelWeights(weights, session.model);
  // The per-sample input of the network is what the encoder produces (population coding changes it).
  const inputShape = noGrad(() => session.encoder.encode(zeros([1, ...session.data.train.shape]), new Rng(0))).shape.slice(2);
  const r = moduleToNir(session.model.eval(), { dt, inputShape, approximateReset: opts.approximateReset ?? false, roundDelays: opts.roundDelays ?? false });
  for (const n of r.approximations) process.stderr.write(`spikeflow: warning: approximated: ${n}\n`);
  for (const n of r.notes) process.stderr.write(`spikeflow: note: ${n}\n`);
  await writeNirFile(opts.out, r.graph);
  process.stdout.write(`wrote ${opts.out}: ${r.graph.nodes.size} nodes, dt = ${dt}\n`);
}

export interface NirImportCliOptions {
  dt?: string;
  out: string;
  /** Overrides of the written config (the encoder, data, train sections), as for train. */
  set?: string[];
  allowNonFinite?: boolean;
}

export async function nirImport(file: string, opts: NirImportCliOptions): Promise<void> {
  checkOutFile(opts.out, '--out');
  const doc = await readNirFile(file);
  const r = nirToModule(doc.graph, { ...(opts.dt !== undefined ? { dt: parseDt(opts.dt, true)! } : {}), source: file, allowNonFinite: opts.allowNonFinite ?? false });
  // The config embedded in the weights is what eval, train --weights and nir export rebuild the model
  // from; --set gives it the encoder and data the graph was made for (NIR records neither). Its
  // layers are the graph's: the builder adds the Flatten a dataset's [1, 28, 28] samples need
  // in front of a flat-input graph, and the weights loader matches the layers in order.
  const config = parseConfigText(YAML.stringify({ name: 'nir-import', model: { layers: r.layers } }), `${file} (imported config)`, opts.set ?? []);
  saveModelWeights(opts.out, r.model, config);
  process.stdout.write(`wrote ${opts.out} (input per sample [${r.inputShape.join(', ')}], dt = ${r.dt}):\n${r.mapping.map((m) => `  ${m}`).join('\n')}\n`);
}

/** Add `nir inspect | run | export | import` to the spikeflow program. */
export function registerNirCommands(program: Command): void {
  const nir = program.command('nir').description('NIR interchange: inspect, run, export and import .nir graphs');
  nir
    .command('inspect <file>')
    .description('list nodes, shapes, edges and parameter summaries of a .nir file')
    .option('--json', 'print as JSON')
    .option('--lenient', 'skip unknown node types and fields with a warning')
    .action(async (file: string, o: NirInspectOptions) => nirInspect(file, o));
  nir
    .command('run <file>')
    .description('simulate a .nir graph with forward Euler; input and output layout [t][batch][...shape]')
    .option('--dt <seconds>', 'Euler step (default: the graph metadata dt)')
    .requiredOption('--input <file>', 'JSON input: nested array [t][batch][...shape] or {"input": ...}')
    .requiredOption('--out <file>', 'JSON output file')
    .option('--all', 'record every node, not only the Output nodes')
    .option('--allow-non-finite', 'run weights, biases and scales holding NaN or infinite values (refused by default, naming the node and the field)')
    .action(async (file: string, o: NirRunOptions) => nirRun(file, o));
  nir
    .command('export')
    .description('write a trained network (run folder or weights + config) as a .nir graph')
    .option('-r, --run <dir>', 'run folder written by `spikeflow train`')
    .option('-w, --weights <file>', 'model.safetensors')
    .option('-c, --config <file>', 'YAML config (with --weights)')
    .requiredOption('--out <file>', '.nir file to write')
    .option('--dt <seconds>', 'time step recorded in the graph (required)')
    .option('--approximate-reset', 'write subtract/no-reset neurons as zero-reset LIFs (recorded in metadata)')
    .option('--round-delays', 'accept rounding the delay positions of a layer that evaluates them unrounded (round_at_eval false); layers that round at eval are always written rounded')
    .action(async (o: NirExportCliOptions) => nirExport(o));
  nir
    .command('import <file>')
    .description('convert a chain-shaped .nir graph to a spikeflow model.safetensors (with its config)')
    .option('--dt <seconds>', 'Euler step (default: the graph metadata dt)')
    .requiredOption('--out <file>', 'model.safetensors to write')
    .option('-s, --set <key=value>', 'set a key of the embedded config (repeatable), e.g. --set encoder.type=rate --set encoder.steps=10', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--allow-non-finite', 'import weights and biases holding NaN or infinite values (refused by default, naming the node and the field)')
    .action(async (file: string, o: NirImportCliOptions) => nirImport(file, o));
}
