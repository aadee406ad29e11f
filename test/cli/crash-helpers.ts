import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

/*
 * Killing `spikeflow train` at chosen and at random points and going on,
 * for the crash-consistency tests (test/cli/crash-resume.test.ts, and the
 * 20-kill run in test/slow/crash-resume.test.ts). A named point uses the
 * SPIKEFLOW_KILL_AT hook (src/io/kill-point-node.ts): the process SIGKILLs
 * itself there. "Going on" is what a user does after a crash: --resume the
 * folder's checkpoint when it has one, else run the same command again.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

/** Three short epochs on 64 embedded digits: about a second of training per process. */
export const CRASH_CONFIG = `
name: crash
seed: 5
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 64, test_limit: 32 }
encoder: { type: direct, steps: 2 }
model:
  layers:
    - { type: linear, out: 16 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 3
  loss: { type: ce_rate }
  optimizer: { type: adam, lr: 0.004 }
  scheduler: { type: cosine }
`;

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function args(cfg: string, dir: string): string[] {
  const ckpt = join(dir, 'checkpoint.safetensors');
  const base = [bin, 'train', '-q', '--config', cfg, '--out', dir];
  return existsSync(ckpt) ? [...base, '--resume', ckpt] : base;
}

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, SPIKEFLOW_BACKEND: '', ...extra };
  if (!('SPIKEFLOW_KILL_AT' in extra)) delete e['SPIKEFLOW_KILL_AT'];
  return e;
};

/** Write the config into `tmp` and return its path. */
export function writeCrashConfig(tmp: string): string {
  const cfg = join(tmp, 'crash.yaml');
  writeFileSync(cfg, CRASH_CONFIG);
  return cfg;
}

/** Train (or go on with) the run in `dir`, killed at the named point when given. */
export function step(cfg: string, dir: string, killAt?: string): Outcome {
  const r = spawnSync(process.execPath, args(cfg, dir), { cwd: root, encoding: 'utf8', env: env(killAt ? { SPIKEFLOW_KILL_AT: killAt } : {}) });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

/** Go on with the run in `dir`, SIGKILLed from outside after `ms` (unless it finished first). */
export function stepKilledAfter(cfg: string, dir: string, ms: number): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args(cfg, dir), { cwd: root, env: env({}), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stderr });
    });
  });
}

/** A seeded generator of numbers in [0, 1) (the kill times must be the same on every run of the test). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every file under `dir` whose name ends in .tmp (atomic writes' leftovers). */
export function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.tmp'));
}

interface Metric {
  epoch: number;
  [k: string]: unknown;
}

/** metrics.jsonl without the timing fields (which differ between runs). */
export function metrics(dir: string): Metric[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, samples_per_s: _r, ...rest } = JSON.parse(l) as Metric;
      return rest as Metric;
    });
}

/** The interrupted folder ended as the uninterrupted run `reference` did: same weights (bitwise), one metrics line per epoch with the same numbers, no temporary file. */
export function assertSameRun(dir: string, reference: string, what: string): void {
  assert.deepEqual(tempFiles(dir), [], `${what}: temporary files left`);
  assert.ok(existsSync(join(dir, 'summary.json')), `${what}: the run finished`);
  const m = metrics(dir);
  assert.deepEqual(m.map((l) => l.epoch), [1, 2, 3], `${what}: one metrics line per epoch`);
  assert.deepEqual(m, metrics(reference), `${what}: the same numbers as the uninterrupted run`);
  assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(reference, 'model.safetensors'))), `${what}: model.safetensors differs from the uninterrupted run's`);
}

/** The named points a chain of kills goes through, in order (each in a new process, so `@1` counts within it). */
export const NAMED_KILLS = [
  'write:config.yaml', // before anything is in place: the folder holds a temporary file only
  'write:checkpoint.safetensors', // during the first checkpoint write: config.yaml + a temporary file
  'checkpoint-saved', // the checkpoint written, its metrics line not yet
  'epoch-end', // right after a metrics line
  'write:checkpoint.safetensors', // during a later checkpoint write (a resumed run)
  'write:model.safetensors', // every epoch done, the weights being written
  'write:summary.json',
];

/**
 * Run the named kills in order in `dir`, each followed by the next step; the
 * last step runs to the end. Asserts each killed step died of SIGKILL and
 * that the folder could be gone on with (no step exits with an error).
 */
export function namedKillChain(cfg: string, dir: string, points: readonly string[] = NAMED_KILLS): void {
  for (const p of points) {
    const r = step(cfg, dir, p);
    assert.equal(r.signal, 'SIGKILL', `kill at ${p}: expected the process to die there, got exit ${r.code}: ${r.stderr}`);
  }
  const r = step(cfg, dir);
  assert.equal(r.code, 0, `after the kills: ${r.stderr}`);
}

/**
 * Random-time SIGKILLs of the run in `dir`, each after a delay drawn in
 * [minMs, maxMs) from `seed`, until `kills` have landed or `attempts` steps
 * ran; then a last step to the end. A step that finished before its kill is
 * fine (the next one resumes a finished run). Returns the kills that landed.
 */
export async function randomKills(cfg: string, dir: string, kills: number, seed: number, minMs: number, maxMs: number, attempts = kills): Promise<number> {
  const rand = seeded(seed);
  let killed = 0;
  for (let i = 0; i < attempts && killed < kills; i++) {
    const r = await stepKilledAfter(cfg, dir, minMs + rand() * (maxMs - minMs));
    if (r.signal === 'SIGKILL') killed++;
    else assert.equal(r.code, 0, `random kill ${i}: ${r.stderr}`);
  }
  const r = step(cfg, dir);
  assert.equal(r.code, 0, `after the random kills: ${r.stderr}`);
  return killed;
}
