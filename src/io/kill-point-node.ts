/*
 * Crash-test hook: `SPIKEFLOW_KILL_AT=<point>[@<n>]` makes the process
 * SIGKILL itself the n-th time (default: the first) it reaches the named
 * point, so a test can interrupt a run exactly where a power cut or an OOM
 * kill could (in the middle of a checkpoint write, right after a metrics
 * line) and check the folder still resumes. SIGKILL, not an exception: no
 * finally block, exit handler or buffered write runs, as in a real kill.
 * Without the variable a point costs one property read.
 *
 * Points: `write:<file name>` (writeFileAtomic: the temporary file written
 * and flushed, not yet renamed), and those the train command names
 * (`checkpoint-saved`, `epoch-end`; src/cli/commands/train-node.ts).
 */

let parsed: { point: string; n: number } | null | undefined;
const reached = new Map<string, number>();

function target(): { point: string; n: number } | null {
  if (parsed === undefined) {
    const v = process.env['SPIKEFLOW_KILL_AT'];
    const m = v ? /^(.+?)(?:@(\d+))?$/.exec(v) : null;
    parsed = m ? { point: m[1]!, n: m[2] ? Number(m[2]) : 1 } : null;
  }
  return parsed;
}

/** Kill this process here if SPIKEFLOW_KILL_AT names this point and this is its n-th visit. */
export function killPoint(point: string): void {
  const t = target();
  if (t === null || t.point !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count === t.n) process.kill(process.pid, 'SIGKILL');
}
