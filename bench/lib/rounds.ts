import { median } from './timing.js';
import type { CaseResult } from './types.js';

/*
 * `--rounds N`: the suite's workloads and then the PyTorch reference run N
 * times in alternation, and each case's rows are combined here. On a shared
 * machine the time one side takes drifts by tens of percent over minutes
 * (PyTorch's Spikformer step measured 476–703 ms between runs of one day), and
 * a single round times the two sides a whole suite apart. Each round's ratio
 * compares timings taken minutes apart, and the reported ratio is the median
 * of the rounds' ratios; the times are the medians of the rounds' medians.
 */

const key = (r: CaseResult): string => `${r.backend}|${r.workload}|${r.case}`;

/** One row per case (in the first round's order, then cases only later rounds have), combined over the rounds it ran in. */
export function combineRounds(rounds: readonly (readonly CaseResult[])[]): CaseResult[] {
  const groups = new Map<string, CaseResult[]>();
  for (const round of rounds) for (const r of round) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return [...groups.values()].map(combine);
}

function combine(g: readonly CaseResult[]): CaseResult {
  const base = g[0]!;
  if (g.length === 1) return base;
  const medianMs = median(g.map((r) => r.medianMs));
  const sec = medianMs / 1000;
  const gflops = base.work.flops / sec / 1e9;
  const extra: CaseResult['extra'] = { ...base.extra, rounds: g.length, round_medians_ms: g.map((r) => r.medianMs.toFixed(2)).join(' ') };
  const timed = g.filter((r) => r.torch !== null);
  let torch: CaseResult['torch'] = null;
  if (timed.length > 0) {
    const t0 = timed[0]!.torch!;
    const tMedian = median(timed.map((r) => r.torch!.medianMs));
    const ratios = timed.map((r) => r.torch!.ratio);
    torch = {
      ...t0,
      medianMs: tMedian,
      minMs: Math.min(...timed.map((r) => r.torch!.minMs)),
      maxMs: Math.max(...timed.map((r) => r.torch!.maxMs)),
      reps: timed.reduce((a, r) => a + r.torch!.reps, 0),
      gflops: t0.gflops === null ? null : (t0.gflops * t0.medianMs) / tMedian,
      ratio: median(ratios),
    };
    extra['torch_round_medians_ms'] = timed.map((r) => r.torch!.medianMs.toFixed(2)).join(' ');
    extra['round_ratios'] = ratios.map((x) => x.toFixed(3)).join(' ');
  }
  return {
    ...base,
    reps: g.reduce((a, r) => a + r.reps, 0),
    medianMs,
    minMs: Math.min(...g.map((r) => r.minMs)),
    maxMs: Math.max(...g.map((r) => r.maxMs)),
    samplesPerSec: base.samplesPerIter / sec,
    gflops,
    peakFraction: (base.peakFraction * base.medianMs) / medianMs,
    gbPerSec: base.work.bytes === null ? null : base.work.bytes / sec / 1e9,
    extra,
    torch,
  };
}
