import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

/*
 * Run the CLI the way the hardening tests judge it: exit code, stderr,
 * wall time and, where /usr/bin/time exists, the peak resident memory and
 * the CPU time of the process (GNU time's %M in KiB, %U + %S; null
 * elsewhere). The CPU time is what a time limit can be judged by on a
 * machine whose two cores are shared with training runs: there the wall
 * time mostly measures the neighbours.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const MARK = 'spikeflow-test-maxrss=';

export interface Measured {
  code: number;
  stdout: string;
  /** The command's own stderr (the measurement line removed). */
  stderr: string;
  ms: number;
  /** Peak resident memory in bytes, or null when it cannot be measured here. */
  peakBytes: number | null;
  /** User + system CPU time in ms, or null when it cannot be measured here. */
  cpuMs: number | null;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Measured {
  const cmd = gnuTime ?? process.execPath;
  const argv = gnuTime ? ['-f', `${MARK}%M %U %S`, process.execPath, bin, ...args] : [bin, ...args];
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '', ...opts.env } });
  const ms = Date.now() - t0;
  let stderr = r.stderr;
  let peakBytes: number | null = null;
  let cpuMs: number | null = null;
  const at = stderr.lastIndexOf(MARK);
  if (gnuTime && at >= 0) {
    const [rss, user, sys] = stderr.slice(at + MARK.length).trim().split(' ').map(Number) as [number, number, number];
    peakBytes = rss * 1024;
    cpuMs = (user + sys) * 1000;
    stderr = stderr.slice(0, at);
    // GNU time reports a non-zero exit on its own line before the measurement.
    stderr = stderr.replace(/Command exited with non-zero status \d+\n$/, '');
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr, ms, peakBytes, cpuMs };
}
