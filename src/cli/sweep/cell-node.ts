import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { runTrain, type TrainProgress } from '../commands/train-node.js';
import type { RunSummary } from '../report.js';
import { cellState, markDone, type PlanCell } from './plan-node.js';

/**
 * Run one cell to completion in this process: skip it when done.json says it
 * finished (so a queue job delivered twice never trains twice to the end),
 * resume from its checkpoint when an earlier attempt left one, otherwise
 * start over (a folder without a checkpoint is an attempt that died before
 * its first epoch ended, and `spikeflow train` wants an empty folder).
 */
export async function runCell(sweepDir: string, cell: PlanCell, worker: string, onProgress?: (p: TrainProgress) => void): Promise<'skipped' | 'done'> {
  const root = resolve(sweepDir);
  if (cellState(root, cell) === 'done') return 'skipped';
  const dir = join(root, cell.dir);
  const checkpoint = join(dir, 'checkpoint.safetensors');
  const resumed = existsSync(checkpoint);
  if (!resumed && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  await runTrain({ config: join(root, cell.config), set: [], out: dir, resume: resumed ? checkpoint : undefined, quiet: true, onProgress });
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const marked = markDone(root, cell, {
    id: cell.id,
    label: cell.label,
    finished_at: new Date().toISOString(),
    worker,
    host: hostname(),
    pid: process.pid,
    resumed,
    accuracy: summary.accuracy,
    wall_time_s: summary.wall_time_s,
  });
  return marked ? 'done' : 'skipped';
}
