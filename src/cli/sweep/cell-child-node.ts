// The process that runs one sweep cell: `node cell-child-node.js <sweep-dir> <cell-id> <worker-name>`,
// forked by the local scheduler (local-node.ts) or a queue worker (queue-node.ts) with an IPC channel.
// A process per cell keeps the parent's event loop free (a queue worker must keep renewing its job's
// lock while the cell trains), gives each cell its own peak memory figure, and lets a crash or a kill
// take one cell down, not the scheduler.
import { SpikeflowError } from '../../errors.js';
import { registerNativeBackend } from '../../backend/native/load-node.js';
import { readPlan } from './plan-node.js';
import { runCell } from './cell-node.js';
import { ORPHAN_EXIT, type ChildMessage } from './protocol.js';

const parentPid = process.ppid;

/** Send a message; resolves once it is written to the channel (so the last one is not lost at exit). */
function send(m: ChildMessage): Promise<void> {
  return new Promise((res) => {
    if (process.send && process.connected) process.send(m, undefined, {}, () => res());
    else res();
  });
}

/**
 * Training blocks the event loop for a whole epoch, so a 'disconnect' event
 * would only be seen at the end; the parent's pid is checked on every
 * progress report instead (a child whose parent died is re-parented). A
 * cell nobody waits for stops before it could mark itself done while the
 * queue hands the job to another worker.
 */
function parentGone(): boolean {
  return process.ppid !== parentPid || (process.send !== undefined && !process.connected);
}

async function main(): Promise<number> {
  const [sweepDir, id, worker] = process.argv.slice(2);
  if (!sweepDir || !id || !worker) {
    await send({ type: 'error', message: 'usage: cell-child-node.js <sweep-dir> <cell-id> <worker-name>', badInput: true });
    return 2;
  }
  process.on('disconnect', () => process.exit(ORPHAN_EXIT));
  registerNativeBackend();
  try {
    const plan = readPlan(sweepDir);
    const cell = plan.cells.find((c) => c.id === id);
    if (!cell) throw new SpikeflowError(`sweep ${sweepDir} has no cell ${id}`);
    let last = 0;
    const status = await runCell(sweepDir, cell, worker, (p) => {
      if (parentGone()) process.exit(ORPHAN_EXIT);
      // At most ~5 messages a second, but every stage change.
      const now = Date.now();
      if (p.stage === 'epoch' && p.batch > 0 && p.batch < p.batches && now - last < 200) return;
      last = now;
      void send({ type: 'progress', progress: p });
    });
    await send({ type: 'result', status });
    return 0;
  } catch (e) {
    const bad = e instanceof SpikeflowError;
    await send({ type: 'error', message: bad ? (e as Error).message : `internal error: ${(e as Error)?.stack ?? String(e)}`, badInput: bad });
    return bad ? 2 : 1;
  }
}

process.exitCode = await main();
// The IPC channel keeps the process alive; close it (without taking that for the parent's death) so the process exits now.
process.removeAllListeners('disconnect');
if (process.connected) process.disconnect();
