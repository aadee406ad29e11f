import { appendFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigError, NotFoundError } from '../../errors.js';
import { parseSetArg, readConfigYaml } from '../../config/load-node.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { expandMatrix, parseMatrix, seedAxes, type Axis, type Cell } from './matrix.js';

/*
 * The sweep folder (docs/sweeps.md):
 *   sweep.json            the plan: axes and cells (id, label, axis values), rewritten by every run/submit
 *   matrix.yaml           the matrix as given
 *   configs/<id>.yaml     each cell's resolved config
 *   cells/<id>/           each cell's run folder (`spikeflow train -c configs/<id>.yaml -o cells/<id>`)
 *   cells/<id>/done.json  written once the cell's run folder is complete
 *   completions.log       one line per completed cell run (who, when): a cell that ran twice shows twice
 */

export const PLAN_FILE = 'sweep.json';
export const DONE_FILE = 'done.json';
export const COMPLETIONS_LOG = 'completions.log';

export interface PlanCell {
  id: string;
  label: string;
  axes: Record<string, string>;
  values: Record<string, unknown>;
  /** Relative to the sweep folder. */
  config: string;
  /** Relative to the sweep folder. */
  dir: string;
}

export interface Plan {
  version: 1;
  name: string;
  /** The matrix file this plan was made from (absolute). */
  matrix: string;
  base: string;
  axes: { name: string; kind: Axis['kind']; keys: string[]; values: string[] }[];
  /** Axes that only vary the seed (grouped over in the report). */
  seed_axes: string[];
  cells: PlanCell[];
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Read a matrix file, read its base config and expand it into validated cells. */
export function loadMatrix(file: string, sets: string[] = []): { plan: Omit<Plan, 'cells'>; cells: Cell[]; duplicates: string[]; text: string } {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new NotFoundError(`sweep matrix not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  const doc = readConfigYaml(text, file);
  let base: { config: Record<string, unknown>; source: string };
  if (typeof doc.base === 'string') {
    const bp = resolve(dirname(path), doc.base);
    if (!existsSync(bp)) throw new NotFoundError(`${file}: base: config file not found: ${bp}`);
    base = { config: readConfigYaml(readFileSync(bp, 'utf8'), bp), source: bp };
  } else if (doc.base !== null && typeof doc.base === 'object' && !Array.isArray(doc.base)) {
    base = { config: doc.base as Record<string, unknown>, source: `${file}: base` };
  } else {
    throw new ConfigError(`${file}: base: required: a config file (relative to the matrix) or an inline config mapping`);
  }
  const readBase = (rel: string, where: string): { config: Record<string, unknown>; source: string } => {
    const bp = resolve(dirname(path), rel);
    if (!existsSync(bp)) throw new NotFoundError(`${where}: config file not found: ${bp}`);
    return { config: readConfigYaml(readFileSync(bp, 'utf8'), bp), source: bp };
  };
  const matrix = parseMatrix(doc, file, base, basename(path, extname(path)), readBase);
  const extra: Record<string, unknown> = {};
  for (const s of sets) {
    // Checked like train's --set (no __proto__ key: it would set `extra`'s prototype).
    const { key, value } = parseSetArg(s);
    extra[key] = value;
  }
  const { cells, duplicates } = expandMatrix(matrix, extra);
  const plan = {
    version: 1 as const,
    name: matrix.name,
    matrix: path,
    base: base.source,
    axes: matrix.axes.map((a) => ({ name: a.name, kind: a.kind, keys: a.keys, values: a.values.map((v) => v.label) })),
    seed_axes: seedAxes(matrix.axes),
  };
  return { plan, cells, duplicates, text };
}

/**
 * Write (or refresh) the sweep folder for these cells: the plan, the matrix
 * and each cell's resolved config. Run folders and completion markers are
 * never touched here, so a re-run finds what earlier runs finished.
 */
export function writeSweepFolder(dir: string, loaded: ReturnType<typeof loadMatrix>): Plan {
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new ConfigError(`sweep folder is a file: ${root}`);
  if (existsSync(join(root, 'summary.json'))) throw new ConfigError(`${root} is a run folder, not a sweep folder (choose another --out)`);
  if (existsSync(join(root, PLAN_FILE))) {
    const prev = readPlan(root);
    if (prev.name !== loaded.plan.name) throw new ConfigError(`sweep folder ${root} holds sweep '${prev.name}', not '${loaded.plan.name}' (choose another --out)`);
  }
  mkdirSync(join(root, 'configs'), { recursive: true });
  mkdirSync(join(root, 'cells'), { recursive: true });
  const cells: PlanCell[] = loaded.cells.map((c) => {
    const config = join('configs', `${c.id}.yaml`);
    const yaml = `# sweep ${loaded.plan.name}, cell ${c.id}: ${c.label}\n` + YAML.stringify(c.config);
    const p = join(root, config);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== yaml) writeFileAtomic(p, enc(yaml));
    return { id: c.id, label: c.label, axes: c.axes, values: c.values, config, dir: join('cells', c.id) };
  });
  const plan: Plan = { ...loaded.plan, cells };
  writeFileAtomic(join(root, 'matrix.yaml'), enc(loaded.text));
  writeFileAtomic(join(root, PLAN_FILE), enc(JSON.stringify(plan, null, 2) + '\n'));
  return plan;
}

/** The plan of an existing sweep folder. */
export function readPlan(dir: string): Plan {
  const p = join(resolve(dir), PLAN_FILE);
  if (!existsSync(p)) throw new NotFoundError(`not a sweep folder (no ${PLAN_FILE}): ${resolve(dir)}`);
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(p, 'utf8')) as Plan;
  } catch (e) {
    throw new ConfigError(`${p}: not valid JSON: ${(e as Error).message}`);
  }
  if (plan.version !== 1 || !Array.isArray(plan.cells)) throw new ConfigError(`${p}: not a sweep plan of this spikeflow version`);
  return plan;
}

export type CellState = 'done' | 'partial' | 'pending';

/** done: the run folder is complete; partial: a checkpoint to resume from; pending: nothing usable. */
export function cellState(sweepDir: string, cell: Pick<PlanCell, 'dir'>): CellState {
  const d = join(resolve(sweepDir), cell.dir);
  if (existsSync(join(d, DONE_FILE))) return 'done';
  if (existsSync(join(d, 'checkpoint.safetensors'))) return 'partial';
  return 'pending';
}

/** What done.json records. */
export interface DoneRecord {
  id: string;
  label: string;
  finished_at: string;
  /** Who ran it: `local` or the queue worker's name. */
  worker: string;
  host: string;
  pid: number;
  /** The run resumed from a checkpoint an earlier attempt left. */
  resumed: boolean;
  accuracy: number;
  wall_time_s: number;
}

/**
 * Mark a cell complete: done.json, then one line in completions.log. done.json
 * is written whole to a temporary name and hard-linked to its name, which
 * fails when it exists: of two processes that finish the same cell (a job
 * handed to a second worker while the first still ran) exactly one marks it,
 * and the other gets false. The log line is one append of well under a pipe
 * buffer, so lines from concurrent workers do not interleave.
 */
export function markDone(sweepDir: string, cell: Pick<PlanCell, 'dir'>, rec: DoneRecord): boolean {
  const root = resolve(sweepDir);
  const final = join(root, cell.dir, DONE_FILE);
  const tmp = `${final}.${process.pid}.tmp`;
  writeFileAtomic(tmp, enc(JSON.stringify(rec, null, 2) + '\n'));
  try {
    linkSync(tmp, final);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  appendFileSync(join(root, COMPLETIONS_LOG), JSON.stringify({ id: rec.id, worker: rec.worker, host: rec.host, pid: rec.pid, finished_at: rec.finished_at, resumed: rec.resumed }) + '\n');
  return true;
}

/** The completions.log lines (the tests count them per cell). */
export function readCompletions(sweepDir: string): { id: string; worker: string; pid: number; resumed: boolean }[] {
  const p = join(resolve(sweepDir), COMPLETIONS_LOG);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as { id: string; worker: string; pid: number; resumed: boolean });
}
