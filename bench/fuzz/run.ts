import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { makeCase } from './mutate.js';
import type { FuzzPool } from './pool.js';
import { hashSeed, Prng } from './prng.js';
import { isFailure, OUTCOMES, type CaseResult, type Outcome } from './protocol.js';
import type { FuzzTarget } from './target.js';

/** One distinct failure (same outcome, error class and message shape), with its first input. */
export interface FailureKind {
  readonly outcome: Outcome;
  readonly signature: string;
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string;
  /** Index of the first case that showed it, and how many did. */
  readonly index: number;
  count: number;
  readonly bytes: Uint8Array;
}

export interface ParserStats {
  readonly parser: string;
  readonly cases: number;
  readonly counts: Record<Outcome, number>;
  /** Mean and largest wall time per case, ms. */
  readonly meanMs: number;
  readonly maxMs: number;
  /** Index of the slowest case (to replay it). */
  readonly slowest: number;
  /** Largest child RSS seen, MB. */
  readonly peakMb: number;
  readonly failures: FailureKind[];
  /** Clean errors whose message does not name the file read (the file name is the case's). */
  readonly unnamed: number;
  /** The first such message, with its case index. */
  readonly unnamedExample?: { readonly index: number; readonly message: string };
}

/** Builds a target's seeds in a scratch folder (removed afterwards). */
export async function buildSeeds(target: FuzzTarget): Promise<Uint8Array[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'sf-fuzz-seeds-'));
  try {
    const seeds = await target.seeds({ root: repoRoot(), tmp });
    if (seeds.length === 0) throw new Error(`fuzz target '${target.name}' has no seed inputs`);
    return seeds;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Case `index` of `target` under `seed`: the same bytes on every run and machine. */
export function caseBytes(target: FuzzTarget, seeds: readonly Uint8Array[], seed: number, index: number): Uint8Array {
  return makeCase(target, seeds, new Prng(hashSeed(seed, target.name, index)));
}

/** Failures that differ only in numbers, offsets or paths are one kind. */
function signature(r: CaseResult): string {
  const msg = (r.message ?? '')
    .replace(/\/[^\s:'")]+/g, '<path>')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, '#')
    .slice(0, 160);
  const frame = r.outcome === 'internal' ? (/\n\s+at [^\n]*?([\w.-]+\.js):\d+/.exec(r.stack ?? '')?.[1] ?? '') : '';
  return `${r.outcome} ${r.name ?? ''} ${frame} ${msg}`;
}

export interface RunOptions {
  readonly cases: number;
  readonly seed: number;
  readonly jobs: number;
  /** Called after every case (progress display). */
  readonly onCase?: (done: number) => void;
}

/** Run `cases` seeded cases of one target through the pool. */
export async function fuzzTarget(pool: FuzzPool, target: FuzzTarget, seeds: readonly Uint8Array[], o: RunOptions): Promise<ParserStats> {
  const counts = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<Outcome, number>;
  const kinds = new Map<string, FailureKind>();
  let totalMs = 0, maxMs = 0, slowest = -1, peakMb = 0, unnamed = 0, next = 0, done = 0;
  let unnamedExample: ParserStats['unnamedExample'];
  const fileName = target.fileName.split(/[\\/]/).pop()!;
  pool.setWarmInput(target.name, seeds[0]!);
  const lane = async (): Promise<void> => {
    while (next < o.cases) {
      const index = next++;
      const bytes = caseBytes(target, seeds, o.seed, index);
      const r = await pool.run(target.name, bytes);
      counts[r.outcome]++;
      totalMs += r.ms;
      if (r.ms > maxMs) {
        maxMs = r.ms;
        slowest = index;
      }
      peakMb = Math.max(peakMb, r.rssMb ?? 0);
      if (r.outcome === 'clean' && !(r.message ?? '').includes(fileName) && unnamed++ === 0) unnamedExample = { index, message: `${r.name}: ${r.message ?? ''}`.slice(0, 300) };
      if (isFailure(r.outcome)) {
        const sig = signature(r);
        const k = kinds.get(sig);
        if (k) k.count++;
        else kinds.set(sig, { outcome: r.outcome, signature: sig, name: r.name, message: r.message, stack: r.stack, index, count: 1, bytes });
      }
      o.onCase?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, lane));
  return {
    parser: target.name,
    cases: o.cases,
    counts,
    meanMs: o.cases > 0 ? totalMs / o.cases : 0,
    maxMs,
    slowest,
    peakMb,
    failures: [...kinds.values()].sort((a, b) => a.index - b.index),
    unnamed,
    unnamedExample,
  };
}
