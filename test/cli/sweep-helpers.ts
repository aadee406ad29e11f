import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

export const bin = join(repoRoot(), 'bin', 'spikeflow.js');

/** Run the CLI to completion. */
export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Start the CLI in the background, collecting its stderr. */
export function cliBackground(args: string[], cwd: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, stderr: () => err, exited };
}

/**
 * A matrix of tiny cells: a 784-32-10 LIF MLP on 512 embedded digits, T = 4,
 * `epochs` epochs (a checkpoint after each), one cell per seed.
 */
export function writeTinyMatrix(dir: string, name: string, seeds: number[], epochs: number): string {
  const m = `name: ${name}
base:
  name: ${name}
  seed: 1
  data: { dataset: mnist, batch_size: 64, test_batch_size: 128, train_limit: 512, test_limit: 128 }
  encoder: { type: direct, steps: 4 }
  model:
    layers:
      - { type: linear, out: 32 }
      - { type: lif, beta: 0.9 }
      - { type: linear, out: 10 }
      - { type: lif, beta: 0.9 }
  train:
    epochs: ${epochs}
    loss: { type: ce_count }
    optimizer: { type: adam, lr: 0.005 }
axes:
  seed: [${seeds.join(', ')}]
`;
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, m);
  return p;
}

export interface Completion {
  id: string;
  worker: string;
  pid: number;
  resumed: boolean;
}

export function completions(sweepDir: string): Completion[] {
  const p = join(sweepDir, 'completions.log');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Completion);
}

export function cellIds(sweepDir: string): string[] {
  return (JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')) as { cells: { id: string }[] }).cells.map((c) => c.id);
}

/** Cells with a checkpoint but no done.json: interrupted mid-run. */
export function midCell(sweepDir: string): string[] {
  const d = join(sweepDir, 'cells');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((id) => existsSync(join(d, id, 'checkpoint.safetensors')) && !existsSync(join(d, id, 'done.json')));
}

export function doneRecord(sweepDir: string, id: string): { worker: string; pid: number; resumed: boolean } {
  return JSON.parse(readFileSync(join(sweepDir, 'cells', id, 'done.json'), 'utf8')) as { worker: string; pid: number; resumed: boolean };
}

/** Poll `cond` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
