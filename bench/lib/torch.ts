import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import type { CaseResult, TorchStatus, WorkloadId } from './types.js';

/*
 * Runs bench/reference/torch_lif.py when some Python on this machine has torch.
 * The environment is pinned so the comparison is like for like: one BLAS/OpenMP
 * thread per torch thread, and OPENBLAS_CORETYPE removed (a forced core type
 * can select a slower kernel than OpenBLAS would detect).
 */

const CANDIDATES = ['python3', '/usr/bin/python3'];

export interface TorchCase {
  workload: WorkloadId;
  case: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  /** Operations the reference performs when they differ from the dense count (sparse products). */
  flops?: number;
  note?: string;
}

function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  const n = String(threads);
  env['OMP_NUM_THREADS'] = n;
  env['OPENBLAS_NUM_THREADS'] = n;
  env['MKL_NUM_THREADS'] = n;
  return env;
}

/** The first interpreter that imports torch, with torch's version; null when none does. */
export function findTorch(threads: number, candidates: readonly string[] = CANDIDATES): { python: string; version: string } | null {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import sys, torch; sys.stdout.write(torch.__version__)'], { env: torchEnv(threads), encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0 && r.stdout.trim().length > 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

function isTorchCase(x: unknown): x is TorchCase {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o['workload'] === 'string' && typeof o['case'] === 'string' && typeof o['medianMs'] === 'number' && typeof o['minMs'] === 'number' && typeof o['maxMs'] === 'number';
}

export interface TorchRun {
  status: TorchStatus;
  cases: TorchCase[];
}

export interface TorchOptions {
  threads: number;
  workloads: readonly WorkloadId[];
  quick: boolean;
  /** Only this interpreter (else the default candidates). */
  python: string | null;
  /** Width of workload k. */
  onmNeurons: number;
  log: (line: string) => void;
}

export function runTorch(opts: TorchOptions): TorchRun {
  const status: TorchStatus = { available: false, python: null, version: null, threads: opts.threads, message: '' };
  const candidates = opts.python ? [opts.python] : CANDIDATES;
  const found = findTorch(opts.threads, candidates);
  if (!found) {
    status.message = `PyTorch not found (tried ${candidates.join(', ')}); no reference timings. Install torch (e.g. Debian: apt-get install python3-torch) to compare.`;
    return { status, cases: [] };
  }
  status.python = found.python;
  status.version = found.version;
  const script = join(repoRoot(), 'bench', 'reference', 'torch_lif.py');
  const args = [script, '--threads', String(opts.threads), '--workloads', opts.workloads.join(','), ...(opts.quick ? ['--quick'] : []), ...(opts.workloads.includes('k') ? ['--onm-neurons', String(opts.onmNeurons)] : [])];
  opts.log(`PyTorch ${found.version} (${found.python}, ${opts.threads} thread${opts.threads > 1 ? 's' : ''}): ${opts.workloads.join(',')}`);
  // stderr is inherited so the reference's progress lines show as it runs; stdout carries the JSON.
  // Workload k at the published widths takes minutes per pass on a CPU: allow for it.
  const minutes = 15 + (opts.workloads.includes('k') && opts.onmNeurons >= 4096 ? 60 : 0);
  const r = spawnSync(found.python, args, { env: torchEnv(opts.threads), encoding: 'utf8', timeout: minutes * 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    status.message = `PyTorch reference failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}); no reference timings.`;
    return { status, cases: [] };
  }
  try {
    const parsed = JSON.parse(r.stdout) as { results?: unknown };
    const cases = Array.isArray(parsed.results) ? parsed.results.filter(isTorchCase) : [];
    status.available = true;
    status.message = `PyTorch ${found.version}, ${opts.threads} thread${opts.threads > 1 ? 's' : ''}, ${cases.length} cases`;
    return { status, cases };
  } catch (e) {
    status.message = `PyTorch reference printed no valid JSON (${(e as Error).message}); no reference timings.`;
    return { status, cases: [] };
  }
}

/** Attach the matching reference timing (same workload and case id, or the result's `torchCase`) to every result. */
export function mergeTorch(results: CaseResult[], cases: readonly TorchCase[]): void {
  const byId = new Map(cases.map((c) => [`${c.workload}.${c.case}`, c]));
  for (const r of results) {
    const t = byId.get(`${r.workload}.${r.torchCase ?? r.case}`);
    if (!t) continue;
    const flops = t.flops ?? r.work.denseFlops;
    r.torch = {
      medianMs: t.medianMs,
      minMs: t.minMs,
      maxMs: t.maxMs,
      reps: t.reps,
      gflops: flops > 0 ? flops / (t.medianMs / 1000) / 1e9 : null,
      ratio: r.medianMs / t.medianMs,
      ...(t.note ? { note: t.note } : {}),
    };
  }
}
