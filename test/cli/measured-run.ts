import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

/*
 * Running the CLI as a user does, measuring what the hardening tests bound:
 * the exit code, the one-line message, the wall time and the process's peak
 * resident memory, reported by the child itself on exit
 * (process.resourceUsage().maxRSS, from a module preloaded with --import).
 */

export interface MeasuredRun {
  code: number;
  stdout: string;
  /** stderr without the peak-memory line. */
  stderr: string;
  seconds: number;
  /** Peak resident set size of the CLI process, bytes. */
  maxRssBytes: number;
}

const MARK = 'spikeflow-test-maxrss=';
let preload: string | null = null;

function preloadModule(): string {
  if (preload) return preload;
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-rss-'));
  const file = join(dir, 'rss.mjs');
  writeFileSync(file, `process.on('exit', () => process.stderr.write('\\n${MARK}' + process.resourceUsage().maxRSS * 1024 + '\\n'));\n`);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  preload = pathToFileURL(file).href;
  return preload;
}

/** Run `spikeflow ARGS` in `cwd` and measure it. */
export function runMeasured(args: string[], cwd: string, timeoutMs = 60_000): MeasuredRun {
  const bin = join(repoRoot(), 'bin', 'spikeflow.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', preloadModule(), bin, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  const seconds = (performance.now() - t0) / 1000;
  const err = r.stderr ?? '';
  const at = err.lastIndexOf(MARK);
  const maxRssBytes = at >= 0 ? Number(err.slice(at + MARK.length).trim()) : NaN;
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (at >= 0 ? err.slice(0, at) : err).trim(), seconds, maxRssBytes };
}

let startup: number | null = null;

/**
 * The acceptance bounds of a refused input: a one-line error, exit 2, within
 * 5 s, under 512 MB. On a machine busy with other work even `spikeflow
 * --version` can take seconds, so the time bound grows by whatever the
 * start-up (measured once, here) takes beyond one second: the bound is on the
 * refusal's own work, which a bomb inflating gigabytes exceeds by far.
 */
export const REFUSAL = {
  get seconds(): number {
    startup ??= runMeasured(['--version'], repoRoot()).seconds;
    return 5 + Math.max(0, startup - 1);
  },
  maxRssBytes: 512 * 1024 * 1024,
} as const;
