import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TrainProgress } from '../commands/train-node.js';
import { ORPHAN_EXIT, type ChildMessage } from './protocol.js';

const CHILD = fileURLToPath(new URL('./cell-child-node.js', import.meta.url));

export interface CellOutcome {
  status: 'done' | 'skipped' | 'failed';
  /** For a failed cell: the error the cell process reported, else the end of its stderr, else how it exited. */
  message?: string;
  /** The cell's config or data was refused (a ConfigError and the like): retrying cannot help. */
  badInput?: boolean;
}

export interface RunningCell {
  child: ChildProcess;
  outcome: Promise<CellOutcome>;
}

/**
 * Start one cell in its own process (cell-child-node.ts). `threads` sets
 * SPIKEFLOW_THREADS for it unless the environment already does: with several
 * cells on one machine, one native thread each keeps them from fighting over
 * the cores.
 */
export function spawnCell(sweepDir: string, id: string, worker: string, opts: { threads?: number; onProgress?: (p: TrainProgress) => void } = {}): RunningCell {
  const env = { ...process.env };
  if (opts.threads !== undefined && env.SPIKEFLOW_THREADS === undefined) env.SPIKEFLOW_THREADS = String(opts.threads);
  const child = fork(CHILD, [sweepDir, id, worker], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let reported: CellOutcome | null = null;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'progress') opts.onProgress?.(m.progress);
    else if (m.type === 'result') reported = { status: m.status };
    else if (m.type === 'error') reported = { status: 'failed', message: m.message, badInput: m.badInput };
  });
  const outcome = new Promise<CellOutcome>((res) => {
    child.on('error', (e) => res({ status: 'failed', message: `cannot start the cell process: ${e.message}` }));
    child.on('exit', (code, signal) => {
      if (code === 0 && reported?.status !== 'failed') res(reported ?? { status: 'done' });
      else if (reported?.status === 'failed') res(reported);
      else {
        const how = signal ? `killed by ${signal}` : code === ORPHAN_EXIT ? 'stopped: its parent went away' : `exited with code ${code}`;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        res({ status: 'failed', message: tail ? `${how}: ${tail}` : how });
      }
    });
  });
  return { child, outcome };
}
