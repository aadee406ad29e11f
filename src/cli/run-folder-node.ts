import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/*
 * Opening a run folder for `spikeflow train` so that a run killed at any
 * point can go on (docs/config.md, "The run folder"):
 *   - a folder with a checkpoint resumes with --resume DIR/checkpoint.safetensors;
 *   - a folder killed before its first checkpoint holds nothing of value
 *     (config.yaml, perhaps metrics.jsonl, temporary files) and is restarted
 *     in place by running the same command again;
 *   - the temporary files a killed atomic write left (`.<file>.<pid>.<time>.tmp`,
 *     src/io/atomic-node.ts) are removed before the run writes anything.
 * Anything else in a non-empty folder is someone's results: refused.
 */

/** The files a run writes before its first checkpoint: a folder holding only these (and temporary files) can be restarted. */
const EARLY_FILES = new Set(['config.yaml', 'metrics.jsonl']);

/** writeFileAtomic's temporary file: `.<name>.<pid>.<base-36 time>.tmp`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/;

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Whether process `pid` is alive (a temporary file of a live process is not stale). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `name` is a temporary file left by a process that no longer runs. */
function isStaleTemp(name: string): boolean {
  const m = TEMP_FILE.exec(name);
  return m !== null && !alive(Number(m[1]));
}

/**
 * Remove the stale temporary files in `dir` and its sub-folders (plots/);
 * returns how many were removed.
 */
export function removeStaleTemps(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += removeStaleTemps(p);
    else if (e.isFile() && isStaleTemp(e.name)) {
      rmSync(p, { force: true });
      n++;
    }
  }
  return n;
}

/**
 * Make `outDir` ready for a run. `resumingHere`: the run continues the
 * folder's own checkpoint. Returns `created`: whether the folder holds
 * nothing from before (a run that fails before its first checkpoint then
 * removes it), and `restarted`: whether an interrupted folder was cleared
 * for a new start. Throws a ConfigError for a folder holding results.
 */
export function openRunFolder(outDir: string, resumingHere: boolean): { created: boolean; restarted: boolean } {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new ConfigError(`run folder is a file: ${outDir} (choose another --out)`);
  if (resumingHere) {
    removeStaleTemps(outDir);
    return { created: false, restarted: false };
  }
  const entries = existsSync(outDir) ? readdirSync(outDir) : [];
  const restarted = entries.length > 0;
  if (restarted) {
    if (entries.includes(CHECKPOINT_FILE)) {
      throw new ConfigError(`run folder already exists and holds a checkpoint: ${outDir} (continue it with --resume ${join(outDir, CHECKPOINT_FILE)}, or choose another --out)`);
    }
    const restartable = entries.every((name) => EARLY_FILES.has(name) || isStaleTemp(name));
    if (!restartable) throw new ConfigError(`run folder already exists and is not empty: ${outDir} (choose another --out)`);
    // Killed before its first checkpoint: nothing to keep, start again in place.
    for (const name of entries) rmSync(join(outDir, name), { force: true });
  }
  mkdirSync(outDir, { recursive: true });
  return { created: true, restarted };
}
