import { cellState, type Plan, type PlanCell } from './plan-node.js';
import { SweepDisplay } from './display-node.js';
import { spawnCell, type RunningCell } from './spawn-node.js';

export interface LocalResult {
  /** Cells this call ran to completion. */
  ran: string[];
  /** Cells that were already done. */
  skipped: string[];
  failed: { id: string; label: string; message: string }[];
  interrupted: boolean;
}

/**
 * The embedded scheduler: run the plan's unfinished cells on this machine,
 * `workers` at a time, each in its own process (spawn-node.ts). Finished cells
 * are skipped and interrupted ones resume from their checkpoints (runCell), so
 * running a sweep again does only what is missing. A failed cell does not stop
 * the others; SIGINT/SIGTERM stop the cell processes (their checkpoints stay)
 * and return with `interrupted`.
 */
export async function runLocal(sweepDir: string, plan: Plan, opts: { workers: number; quiet: boolean }): Promise<LocalResult> {
  const result: LocalResult = { ran: [], skipped: [], failed: [], interrupted: false };
  const todo: PlanCell[] = [];
  for (const c of plan.cells) {
    if (cellState(sweepDir, c) === 'done') result.skipped.push(c.id);
    else todo.push(c);
  }
  const display = new SweepDisplay(plan.name, plan.cells.length, result.skipped.length, !opts.quiet);
  if (!opts.quiet) {
    const partial = todo.filter((c) => cellState(sweepDir, c) === 'partial').length;
    const lanes = Math.min(opts.workers, todo.length);
    display.line(`sweep ${plan.name}: ${plan.cells.length} cells, ${result.skipped.length} already done, ${todo.length} to run${partial ? ` (${partial} resume from checkpoints)` : ''}${lanes > 0 ? `, ${lanes} at a time` : ''}`);
  }
  const running = new Map<string, RunningCell>();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    result.interrupted = true;
    display.line('sweep: interrupted; stopping the running cells (run the sweep again to resume them)');
    for (const r of running.values()) r.child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // With more than one cell at a time, each gets one native thread.
  const threads = opts.workers > 1 ? 1 : undefined;
  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!stopping && next < todo.length) {
        const cell = todo[next++]!;
        display.start(cell.id, cell.label);
        const r = spawnCell(sweepDir, cell.id, 'local', { threads, onProgress: (p) => display.update(cell.id, p) });
        running.set(cell.id, r);
        const out = await r.outcome;
        running.delete(cell.id);
        if (out.status === 'failed') {
          if (stopping) continue;
          result.failed.push({ id: cell.id, label: cell.label, message: out.message ?? 'failed' });
          display.finish(cell.id, 'failed', out.message);
        } else {
          (out.status === 'done' ? result.ran : result.skipped).push(cell.id);
          display.finish(cell.id, out.status);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, todo.length)) }, lane));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    display.close();
  }
  return result;
}
