import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError, ConnectionError } from '../../errors.js';
import { cellState, readPlan, type Plan } from './plan-node.js';
import { spawnCell, type RunningCell } from './spawn-node.js';
import { formatDuration } from './display-node.js';

/*
 * Sweeps on BullMQ + Redis (docs/sweeps.md). One job per cell, job id = cell
 * id, so queueing a cell twice is a no-op. The job carries the sweep folder's
 * absolute path: results land there, so every worker must see that folder at
 * the same path (a shared file system). A worker runs each job's cell in its
 * own process (spawn-node.ts) and keeps renewing the job's lock meanwhile;
 * a worker that dies stops renewing, the lock expires, and another worker's
 * stalled check puts the job back in the queue, where the next worker resumes
 * the cell from its last checkpoint. A cell that fails (its process exits
 * non-zero) is retried with exponential backoff, `attempts` times in all; one
 * whose config or data is refused fails at once (retrying cannot help).
 * runCell checks done.json first and done.json is created exclusively, so a
 * cell delivered twice completes once.
 */

export const DEFAULT_QUEUE_NAME = 'spikeflow-sweeps';

export interface QueueOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  queueName: string;
  connectTimeoutMs: number;
}

/** What a job carries. */
export interface CellJob {
  sweepDir: string;
  cellId: string;
  label: string;
  sweep: string;
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue: not a URL: '${url}' (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`--queue: expected a redis:// or rediss:// URL, got '${url}'`);
}

/**
 * Connect to Redis with a short timeout and no retries, so an unreachable
 * server is one clear error instead of a hang (BullMQ's own connections retry
 * forever). The connection is returned for BullMQ to use (it needs
 * `maxRetriesPerRequest: null` on a worker's blocking connection, and from
 * here on a lost connection should be waited out, not fatal).
 */
export async function connectRedis(q: QueueOptions): Promise<Redis> {
  checkUrl(q.url);
  const probe = new Redis(q.url, { lazyConnect: true, connectTimeout: q.connectTimeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The 'error' event carries the cause (ECONNREFUSED, ENOTFOUND, ...); connect() then rejects with a generic message.
  let cause: Error | null = null;
  probe.on('error', (e: Error) => {
    cause ??= e;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error('timed out')), q.connectTimeoutMs);
      }),
    ]);
  } catch (e) {
    const why = (cause as Error | null)?.message || (e as Error).message || String(e);
    throw new ConnectionError(`cannot reach Redis at ${q.url}: ${why} (gave up after ${q.connectTimeoutMs / 1000} s; --connect-timeout sets it)`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
  const conn = new Redis(q.url, { maxRetriesPerRequest: null });
  conn.on('error', (e: Error) => process.stderr.write(`spikeflow: redis: ${e.message}\n`));
  return conn;
}

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Queue every cell of the plan that is not done. A cell whose job is still
 * waiting or running for this folder is left alone; a finished or failed job
 * of the same id (an earlier submit, or another sweep folder with the same
 * cell) is replaced, since this folder lacks the cell's results. A live job
 * of the same cell for another folder is an error: the two folders would
 * share one job.
 */
export async function submitSweep(sweepDir: string, plan: Plan, q: QueueOptions, opts: { attempts: number; connection?: Redis }): Promise<{ added: number; queued: number; done: number }> {
  const dir = resolve(sweepDir);
  const connection = opts.connection ?? (await connectRedis(q));
  const queue = new Queue<CellJob>(q.queueName, { connection });
  let added = 0, queued = 0, done = 0;
  try {
    for (const c of plan.cells) {
      if (cellState(dir, c) === 'done') {
        done++;
        continue;
      }
      const existing = await queue.getJob(c.id);
      if (existing) {
        const state = await existing.getState();
        if (LIVE.has(state)) {
          if (existing.data.sweepDir === dir) {
            queued++;
            continue;
          }
          throw new ConfigError(`cell ${c.id} (${c.label}) is already queued for sweep folder ${existing.data.sweepDir}; wait for it, or use another --queue-name`);
        }
        await existing.remove();
      }
      await queue.add('cell', { sweepDir: dir, cellId: c.id, label: c.label, sweep: plan.name }, { jobId: c.id, attempts: opts.attempts, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: false, removeOnFail: false });
      added++;
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return { added, queued, done };
}

export interface JobStatus {
  state: string;
  attemptsMade: number;
  failedReason: string | null;
}

/** The state of each cell's job (absent: no job of that id). */
export async function sweepQueueStatus(plan: Plan, q: QueueOptions): Promise<Map<string, JobStatus>> {
  const connection = await connectRedis(q);
  const queue = new Queue<CellJob>(q.queueName, { connection });
  try {
    return await jobStates(queue, plan.cells.map((c) => c.id));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function jobStates(queue: Queue<CellJob>, ids: string[]): Promise<Map<string, JobStatus>> {
  const out = new Map<string, JobStatus>();
  for (const id of ids) {
    const j = await queue.getJob(id);
    if (j) out.set(id, { state: await j.getState(), attemptsMade: j.attemptsMade, failedReason: j.failedReason || null });
  }
  return out;
}

/**
 * Wait until every cell is done in the folder or its job has failed for good
 * (or was never queued), polling once a second; `timeoutS` bounds the wait.
 */
export async function collectSweep(sweepDir: string, plan: Plan, q: QueueOptions, opts: { timeoutS: number; quiet: boolean }): Promise<{ failed: { id: string; reason: string }[] }> {
  const dir = resolve(sweepDir);
  const connection = await connectRedis(q);
  const queue = new Queue<CellJob>(q.queueName, { connection });
  const t0 = Date.now();
  let lastLine = 0;
  // A completed job whose done.json this machine does not see yet: a shared file system may show a new file
  // late (NFS attribute caching), so it counts as failed only when that lasts.
  const unseenSince = new Map<string, number>();
  const UNSEEN_GRACE_MS = 30000;
  try {
    for (;;) {
      const open = plan.cells.filter((c) => cellState(dir, c) !== 'done');
      const states = await jobStates(queue, open.map((c) => c.id));
      const failed: { id: string; reason: string }[] = [];
      let waiting = 0;
      for (const c of open) {
        const s = states.get(c.id);
        if (!s) failed.push({ id: c.id, reason: 'no job in the queue (submit the sweep)' });
        else if (s.state === 'failed') failed.push({ id: c.id, reason: s.failedReason ?? 'failed' });
        else if (s.state === 'completed') {
          // Completed without done.json here: the worker wrote somewhere else (the folder is not shared at this path).
          const since = unseenSince.get(c.id) ?? Date.now();
          unseenSince.set(c.id, since);
          if (Date.now() - since > UNSEEN_GRACE_MS) failed.push({ id: c.id, reason: `its job completed but ${join(dir, c.dir, 'done.json')} is missing: is the sweep folder shared with the workers at this path?` });
          else waiting++;
        } else waiting++;
      }
      if (waiting === 0) return { failed };
      const elapsed = (Date.now() - t0) / 1000;
      if (!opts.quiet && Date.now() - lastLine > 10000) {
        lastLine = Date.now();
        process.stderr.write(`sweep ${plan.name}: ${plan.cells.length - open.length}/${plan.cells.length} done, ${waiting} queued or running, ${failed.length} failed | ${formatDuration(elapsed)}\n`);
      }
      if (elapsed > opts.timeoutS) return { failed };
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface WorkerOptions extends QueueOptions {
  /** Cells this worker runs at a time. */
  concurrency: number;
  /** Shown in done.json and completions.log. */
  workerName: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  quiet: boolean;
}

/**
 * `spikeflow worker`: take cell jobs from the queue until SIGINT/SIGTERM.
 * Resolves when the worker has shut down (running cells are stopped; their
 * jobs go back to the queue through the retry, their checkpoints stay).
 */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const connection = await connectRedis(o);
  const running = new Map<string, RunningCell>();
  const log = (s: string): void => {
    if (!o.quiet) process.stderr.write(`worker ${o.workerName}: ${s}\n`);
  };
  // One native thread per cell when several run on this machine.
  const threads = o.concurrency > 1 ? 1 : undefined;
  const processor = async (job: Job<CellJob>, _token?: string, signal?: AbortSignal): Promise<{ status: string }> => {
    const { sweepDir, cellId } = job.data;
    if (!existsSync(join(sweepDir, 'sweep.json'))) {
      throw new UnrecoverableError(`sweep folder ${sweepDir} is not visible on worker ${o.workerName} (${hostname()}): share it with every worker at the same path`);
    }
    const cell = readPlan(sweepDir).cells.find((c) => c.id === cellId);
    if (!cell) throw new UnrecoverableError(`sweep ${sweepDir} has no cell ${cellId} (was it planned again with other axes?)`);
    if (cellState(sweepDir, cell) === 'done') {
      log(`cell ${cellId} (${cell.label}) is already done: nothing to run`);
      return { status: 'skipped' };
    }
    log(`cell ${cellId} (${cell.label}): started (attempt ${job.attemptsMade + 1})`);
    let lastReport = 0;
    const r = spawnCell(sweepDir, cellId, o.workerName, {
      threads,
      onProgress: (p) => {
        if (Date.now() - lastReport < 2000) return;
        lastReport = Date.now();
        job.updateProgress({ epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches, stage: p.stage }).catch(() => {});
      },
    });
    running.set(job.id!, r);
    signal?.addEventListener('abort', () => r.child.kill('SIGTERM'));
    try {
      const out = await r.outcome;
      if (out.status === 'failed') {
        log(`cell ${cellId}: failed: ${out.message}`);
        if (out.badInput) throw new UnrecoverableError(out.message ?? 'failed');
        throw new Error(out.message ?? 'failed');
      }
      log(`cell ${cellId}: ${out.status}`);
      return { status: out.status };
    } finally {
      running.delete(job.id!);
    }
  };
  const worker = new Worker<CellJob>(o.queueName, processor, {
    connection,
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
  });
  // A lock that could not be renewed means the job may go to another worker: stop our copy of the cell.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const r = running.get(id);
      if (r) {
        log(`cell ${id}: lost the job's lock; stopping it here (the queue hands it to another worker)`);
        r.child.kill('SIGTERM');
      }
    }
  });
  worker.on('error', (e: Error) => log(`error: ${e.message}`));
  await worker.waitUntilReady();
  log(`waiting for cells on queue ${o.queueName} at ${o.url} (${o.concurrency} at a time)`);
  await new Promise<void>((res) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      log('stopping: the running cells go back to the queue');
      for (const r of running.values()) r.child.kill('SIGTERM');
      void worker.close().finally(() => {
        connection.disconnect();
        res();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
