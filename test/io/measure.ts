import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

/*
 * Run `node bin/spikeflow.js ...` (or a script) in a child process and
 * measure it: wall time, exit code, output, and the peak resident memory of
 * the whole process (its HDF5 worker threads included), which a preloaded
 * hook writes to a file on exit so that nothing is added to stderr.
 */

export interface Measured {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set of the child, MiB (process.resourceUsage().maxRSS). */
  maxRssMiB: number;
}

const HOOK = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.SPIKEFLOW_TEST_MAXRSS, String(process.resourceUsage().maxRSS)));
`;

/** Run node with `args` (a script path and its arguments) in `dir`. */
export function runNodeMeasured(dir: string, args: readonly string[], timeoutMs = 30_000): Measured {
  const hook = join(dir, 'maxrss-hook.mjs');
  const out = join(dir, 'maxrss.txt');
  writeFileSync(hook, HOOK);
  writeFileSync(out, '0');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', hook, ...args], { cwd: dir, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, SPIKEFLOW_TEST_MAXRSS: out } });
  const ms = performance.now() - t0;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms, maxRssMiB: Number(readFileSync(out, 'utf8')) / 1024 };
}

/** Run the CLI (`spikeflow <args>`) in `dir`. */
export function runCliMeasured(dir: string, args: readonly string[], timeoutMs = 30_000): Measured {
  return runNodeMeasured(dir, [join(repoRoot(), 'bin', 'spikeflow.js'), ...args], timeoutMs);
}
