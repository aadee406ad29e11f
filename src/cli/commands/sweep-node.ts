import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { ConfigError } from '../../errors.js';
import { loadMatrix, readPlan, writeSweepFolder, cellState, type Plan } from '../sweep/plan-node.js';
import { runLocal } from '../sweep/local-node.js';
import { writeSweepReport } from '../sweep/report-node.js';
import { parseReportPrecision } from '../sweep/report.js';
import { collectSweep, connectRedis, submitSweep, sweepQueueStatus, DEFAULT_QUEUE_NAME, type QueueOptions } from '../sweep/queue-node.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new ConfigError(`${flag}: expected a positive integer, got '${v}'`);
  return Number(v);
}

/** Exit with this code without an error line (the command already said what happened). */
function exitWith(code: number): never {
  throw new CommanderError(code, 'spikeflow.sweep', '');
}

/** Where a matrix's sweep folder goes: --out, else sweeps/<name>. */
function sweepDirFor(out: string | undefined, name: string): string {
  return resolve(out ?? join('sweeps', name));
}

interface RunOpts {
  out?: string;
  set: string[];
  workers?: string;
  quiet?: boolean;
  report?: boolean;
  precision?: string;
}

/** Expand and validate the matrix, write the sweep folder; every cell's config is checked before anything runs. */
function plan(matrix: string, opts: { out?: string; set: string[]; quiet?: boolean }, loaded = loadMatrix(matrix, opts.set)): { dir: string; plan: Plan } {
  const dir = sweepDirFor(opts.out, loaded.plan.name);
  const p = writeSweepFolder(dir, loaded);
  if (!opts.quiet && loaded.duplicates.length > 0) {
    process.stderr.write(`sweep ${p.name}: ${loaded.duplicates.length} axis combination(s) resolve to a config already in the sweep and run once: ${loaded.duplicates.slice(0, 3).join('; ')}${loaded.duplicates.length > 3 ? '; ...' : ''}\n`);
  }
  return { dir, plan: p };
}

async function runSweep(matrix: string, opts: RunOpts): Promise<void> {
  const workers = positiveInt('--workers', opts.workers, 1);
  parseReportPrecision(opts.precision);
  const { dir, plan: p } = plan(matrix, opts);
  const r = await runLocal(dir, p, { workers, quiet: opts.quiet === true });
  if (r.interrupted) exitWith(130);
  // (With every cell failed there is nothing to report; the failures below say why.)
  if (opts.report !== false && p.cells.some((c) => cellState(dir, c) === 'done')) {
    const rep = writeSweepReport(dir, { precision: opts.precision });
    if (!opts.quiet) process.stderr.write(`sweep ${p.name}: report of ${rep.cells} finished cells in ${rep.files.map((f) => join(dir, f)).join(', ')}\n`);
  }
  if (r.failed.length > 0) {
    process.stderr.write(`spikeflow: error: ${r.failed.length} of ${p.cells.length} cells failed:\n${r.failed.map((f) => `  ${f.id} (${f.label}): ${f.message}`).join('\n')}\n`);
    exitWith(1);
  }
}

export function queueOpts(o: { queue?: string; queueName?: string; connectTimeout?: string }): QueueOptions {
  if (!o.queue) throw new ConfigError('--queue: required (a Redis URL, e.g. redis://127.0.0.1:6379)');
  const t = o.connectTimeout === undefined ? 5 : Number(o.connectTimeout);
  if (!Number.isFinite(t) || t <= 0) throw new ConfigError(`--connect-timeout: expected seconds > 0, got '${o.connectTimeout}'`);
  const name = o.queueName ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(`--queue-name: letters, digits, '.', '_' or '-' only, got '${name}'`);
  return { url: o.queue, queueName: name, connectTimeoutMs: t * 1000 };
}

export function registerSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('run a matrix of configs (axes × include/exclude) as ordinary run folders, locally or on a BullMQ/Redis queue, and report them (docs/sweeps.md)');

  const addRunOptions = (c: Command): Command =>
    c
      .argument('<matrix>', 'sweep matrix YAML (base config, set, axes, include, exclude)')
      .option('-o, --out <dir>', 'sweep folder (default: sweeps/<matrix name>)')
      .option('-s, --set <key=value>', 'override a config key in every cell (repeatable; part of each cell id)', collect, [])
      .option('-w, --workers <n>', 'cells run at a time, each in its own process (default 1)')
      .option('--precision <row>', 'energy row the report compares: auto (each cell\'s quantized row, else fp32), fp32, fp16, int8, int4', 'auto')
      .option('--no-report', 'do not write the report when the cells are done')
      .option('-q, --quiet', 'no progress output');

  addRunOptions(sweep.command('run', { isDefault: true }).description('run the unfinished cells on this machine (also: `spikeflow sweep <matrix>`); a re-run skips finished cells and resumes interrupted ones')).action(async (matrix: string, opts: RunOpts) => {
    await runSweep(matrix, opts);
  });

  sweep
    .command('plan')
    .description('expand and validate a matrix and write the sweep folder without running anything; prints one line per cell')
    .argument('<matrix>', 'sweep matrix YAML')
    .option('-o, --out <dir>', 'sweep folder (default: sweeps/<matrix name>)')
    .option('-s, --set <key=value>', 'override a config key in every cell (repeatable)', collect, [])
    .option('--json', 'print the plan as JSON')
    .action(async (matrix: string, opts: { out?: string; set: string[]; json?: boolean }) => {
      const { dir, plan: p } = plan(matrix, { ...opts, quiet: opts.json });
      if (opts.json) process.stdout.write(JSON.stringify(p, null, 2) + '\n');
      else {
        process.stdout.write(`sweep ${p.name}: ${p.cells.length} cells in ${dir}\n`);
        for (const c of p.cells) process.stdout.write(`${c.id}  ${cellState(dir, c).padEnd(7)}  ${c.label}\n`);
      }
    });

  sweep
    .command('submit')
    .description('plan a sweep and queue its unfinished cells on BullMQ/Redis (job id = cell id); `spikeflow worker` processes run them')
    .argument('<matrix>', 'sweep matrix YAML')
    .option('-o, --out <dir>', 'sweep folder, shared with every worker at the same path (default: sweeps/<matrix name>)')
    .option('-s, --set <key=value>', 'override a config key in every cell (repeatable)', collect, [])
    .option('--queue <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (default 5)')
    .option('--attempts <n>', 'tries per cell before it is marked failed (default 3)')
    .option('-q, --quiet', 'no output but errors')
    .action(async (matrix: string, opts: { out?: string; set: string[]; queue?: string; queueName?: string; connectTimeout?: string; attempts?: string; quiet?: boolean }) => {
      const q = queueOpts(opts);
      const attempts = positiveInt('--attempts', opts.attempts, 3);
      // Validate the matrix, then reach Redis, and only then write the sweep folder: a failed submit leaves nothing behind.
      const loaded = loadMatrix(matrix, opts.set);
      const connection = await connectRedis(q);
      let dir: string, p: Plan;
      try {
        ({ dir, plan: p } = plan(matrix, opts, loaded));
      } catch (e) {
        connection.disconnect();
        throw e;
      }
      const r = await submitSweep(dir, p, q, { attempts, connection });
      if (!opts.quiet) process.stderr.write(`sweep ${p.name}: ${r.added} cells queued, ${r.queued} already queued, ${r.done} already done (${dir}; queue ${q.queueName} at ${q.url})\n`);
    });

  sweep
    .command('status')
    .description("each cell's state: done, partial (a checkpoint), pending; with --queue also its job's state, attempts and last error")
    .argument('<sweep-dir>', 'sweep folder')
    .option('--queue <url>', 'Redis URL')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (default 5)')
    .option('--json', 'print as JSON')
    .action(async (dir: string, opts: { queue?: string; queueName?: string; connectTimeout?: string; json?: boolean }) => {
      const p = readPlan(dir);
      const jobs = opts.queue ? await sweepQueueStatus(p, queueOpts(opts)) : null;
      const rows = p.cells.map((c) => ({ id: c.id, label: c.label, state: cellState(dir, c), ...(jobs ? { job: jobs.get(c.id) ?? null } : {}) }));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ name: p.name, dir: resolve(dir), cells: rows }, null, 2) + '\n');
        return;
      }
      const count = (s: string): number => rows.filter((r) => r.state === s).length;
      process.stdout.write(`sweep ${p.name}: ${p.cells.length} cells, ${count('done')} done, ${count('partial')} partial, ${count('pending')} pending\n`);
      for (const r of rows) {
        const j = 'job' in r ? r.job : undefined;
        const job = j === undefined ? '' : j === null ? '  job: none' : `  job: ${j.state}, ${j.attemptsMade} attempt(s)${j.failedReason ? `, last error: ${j.failedReason}` : ''}`;
        process.stdout.write(`${r.id}  ${r.state.padEnd(7)}  ${r.label}${job}\n`);
      }
    });

  sweep
    .command('collect')
    .description('wait for a queued sweep to finish (every cell done, or its job failed for good), then write its report; exits non-zero when cells are missing')
    .argument('<sweep-dir>', 'sweep folder')
    .option('--queue <url>', 'Redis URL (without it: report what the folder holds, failing when cells are missing)')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (default 5)')
    .option('--timeout <s>', 'stop waiting after this many seconds (default: no limit)')
    .option('--precision <row>', 'energy row the report compares (see `sweep run`)', 'auto')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, opts: { queue?: string; queueName?: string; connectTimeout?: string; timeout?: string; precision?: string; quiet?: boolean }) => {
      const p = readPlan(dir);
      parseReportPrecision(opts.precision);
      const timeout = opts.timeout === undefined ? Infinity : Number(opts.timeout);
      if (Number.isNaN(timeout) || timeout <= 0) throw new ConfigError(`--timeout: expected seconds > 0, got '${opts.timeout}'`);
      const r = opts.queue ? await collectSweep(dir, p, queueOpts(opts), { timeoutS: timeout, quiet: opts.quiet === true }) : { failed: [] as { id: string; reason: string }[] };
      const missing = p.cells.filter((c) => cellState(dir, c) !== 'done');
      const rep = missing.length < p.cells.length ? writeSweepReport(dir, { precision: opts.precision }) : null;
      if (!opts.quiet) process.stderr.write(`sweep ${p.name}: ${p.cells.length - missing.length}/${p.cells.length} cells done${rep ? `; report in ${rep.files.map((f) => join(resolve(dir), f)).join(', ')}` : ''}\n`);
      if (missing.length > 0) {
        const why = new Map(r.failed.map((f) => [f.id, f.reason]));
        process.stderr.write(`spikeflow: error: ${missing.length} cell(s) not done:\n${missing.map((c) => `  ${c.id} (${c.label})${why.has(c.id) ? `: failed: ${why.get(c.id)}` : ''}`).join('\n')}\n`);
        exitWith(1);
      }
    });

  sweep
    .command('report')
    .description('write report.md, report.html, results.jsonl and plots of the finished cells (mean ± std over seeds)')
    .argument('<sweep-dir>', 'sweep folder')
    .option('--precision <row>', "energy row to compare: auto (each cell's quantized row, else fp32), fp32, fp16, int8, int4", 'auto')
    .action(async (dir: string, opts: { precision?: string }) => {
      const rep = writeSweepReport(dir, { precision: opts.precision });
      process.stderr.write(`report of ${rep.cells} finished cells: ${rep.files.map((f) => join(resolve(dir), f)).join(', ')}\n`);
    });
}
