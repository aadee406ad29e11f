import { hostname } from 'node:os';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { runWorker, DEFAULT_QUEUE_NAME } from '../sweep/queue-node.js';
import { queueOpts } from './sweep-node.js';

function intOption(flag: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`${flag}: expected an integer ≥ ${min}, got '${v}'`);
  return Number(v);
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run sweep cells from a BullMQ/Redis queue until stopped (SIGINT/SIGTERM); start any number, on any machine that sees the sweep folders at the same path (docs/sweeps.md)')
    .option('--queue <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (default 5)')
    .option('-c, --concurrency <n>', 'cells at a time, each in its own process (default 1)')
    .option('--name <name>', 'worker name in done.json and completions.log (default: <host>-<pid>)')
    .option('--lock-duration <ms>', "a job's lock lasts this long without renewal: how soon a dead worker's cell goes to another worker (default 30000)")
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs whose lock expired (default 30000)')
    .option('--max-stalled <n>', 'times a job may come back from a dead worker before it fails (default 3)')
    .option('-q, --quiet', 'no log lines')
    .action(async (opts: { queue?: string; queueName?: string; connectTimeout?: string; concurrency?: string; name?: string; lockDuration?: string; stalledInterval?: string; maxStalled?: string; quiet?: boolean }) => {
      const q = queueOpts(opts);
      await runWorker({
        ...q,
        concurrency: intOption('--concurrency', opts.concurrency, 1, 1),
        workerName: opts.name ?? `${hostname()}-${process.pid}`,
        lockDurationMs: intOption('--lock-duration', opts.lockDuration, 30000, 1000),
        stalledIntervalMs: intOption('--stalled-interval', opts.stalledInterval, 30000, 500),
        maxStalledCount: intOption('--max-stalled', opts.maxStalled, 3, 0),
        quiet: opts.quiet === true,
      });
    });
}
