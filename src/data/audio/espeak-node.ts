import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '../../errors.js';

/*
 * espeak-ng, the speech synthesizer the spoken-digits corpus is rendered
 * with: finding it (its version is part of every cache key, since another
 * release may pronounce differently) and rendering batches of utterances
 * to WAV files through espeak-child-node.ts, which keeps a few espeak-ng
 * processes running at once while this side waits synchronously (dataset
 * loaders are synchronous).
 */

/** `$SPIKEFLOW_ESPEAK_NG`, else `espeak-ng` on the PATH. */
export function espeakBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env['SPIKEFLOW_ESPEAK_NG'] || 'espeak-ng';
}

const INSTALL = 'install it with `apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS), or point SPIKEFLOW_ESPEAK_NG at the binary';

/** The version line of espeak-ng (`eSpeak NG text-to-speech: 1.51 ...`), or a NotFoundError saying how to install it. */
export function espeakVersion(bin = espeakBinary()): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message) : `exited ${r.status}`;
    throw new NotFoundError(`spoken-digits: speech synthesizer '${bin}' ${why}; the dataset is synthesized with espeak-ng: ${INSTALL}`);
  }
  // Keep the version, not the data path that follows it (a moved install should not invalidate caches).
  const line = r.stdout.trim().split('\n')[0] ?? '';
  return line.replace(/\s+Data at:.*$/, '');
}

export interface EspeakJob {
  /** espeak-ng arguments, the text last. */
  args: readonly string[];
  /** WAV file to write (atomically: a temporary name, then rename). */
  out: string;
}

export interface SynthesizeOptions {
  bin?: string;
  /** espeak-ng processes at once. */
  concurrency?: number;
  /** Jobs per child process (progress is logged after each). */
  chunk?: number;
  log?: (line: string) => void;
  /** Prefix of progress lines. */
  what?: string;
}

/** Render every job (synchronously, in chunks; progress after each chunk). */
export function synthesize(jobs: readonly EspeakJob[], opts: SynthesizeOptions = {}): void {
  const bin = opts.bin ?? espeakBinary();
  const conc = opts.concurrency ?? 4;
  const chunk = opts.chunk ?? 500;
  const what = opts.what ?? 'espeak-ng';
  const child = new URL('./espeak-child-node.js', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(child)}); await m.runEspeakChild(process.argv.slice(1));`;
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-espeak-'));
  const t0 = performance.now();
  try {
    for (let a = 0; a < jobs.length; a += chunk) {
      const part = jobs.slice(a, a + chunk);
      const file = join(tmp, 'jobs.json');
      writeFileSync(file, JSON.stringify(part));
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file, String(conc), bin], { encoding: 'utf8' });
      if (r.status !== 0) {
        const msg = (r.stderr || r.error?.message || `exit ${r.status}`).trim().replace(/^\w+: /, '');
        throw new NotFoundError(`${what}: synthesis failed: ${msg.split('\n')[0]}`);
      }
      const done = Math.min(jobs.length, a + chunk);
      opts.log?.(`${what}: ${done} of ${jobs.length} utterances synthesized (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
