import type { BenchNotRun, BenchReport, CaseResult } from './types.js';
import { WORKLOAD_TITLES } from './types.js';
import { PUBLISHED } from '../workloads/onm.js';

/** The human-readable form of a report: one markdown table per workload, then the accounting notes. */

function num(x: number, digits: number): string {
  if (!Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

/** Milliseconds with precision that suits the magnitude. */
function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** Percentages: two decimals, or two significant digits below 0.1 %. */
function pct(x: number): string {
  return !Number.isFinite(x) ? '–' : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}

function rate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function gflop(x: number): string {
  const g = x / 1e9;
  return g >= 1 ? g.toFixed(2) : g >= 0.001 ? g.toFixed(3) : g.toExponential(2);
}

function row(r: CaseResult): string {
  const flops = r.work.flops === r.work.denseFlops ? gflop(r.work.flops) : `${gflop(r.work.flops)} (dense ${gflop(r.work.denseFlops)})`;
  const t = r.torch;
  return [
    `\`${r.case}\``,
    r.backend,
    ms(r.medianMs),
    `${ms(r.minMs)}–${ms(r.maxMs)}`,
    rate(r.samplesPerSec),
    flops,
    num(r.gflops, 2),
    `${pct(r.peakFraction * 100)}%`,
    r.gbPerSec === null ? '' : num(r.gbPerSec, 2),
    t ? ms(t.medianMs) : '',
    t && t.gflops !== null ? num(t.gflops, 1) : '',
    t ? `${num(t.ratio, 2)}×` : '',
  ].join(' | ');
}

/** A table row for a case (or a whole workload) that did not run on a backend: the reason spans the timing columns. */
function notRunRow(n: BenchNotRun): string {
  return [n.case === null ? '(all cases)' : `\`${n.case}\``, n.backend, `${n.status}: ${n.reason.replace(/\|/g, '\\|')}`, '', '', '', '', '', '', '', '', ''].join(' | ');
}

/** Workload k at a published width: the published GPU figures, one line per library. */
function publishedLines(rs: readonly CaseResult[]): string[] {
  const widths = [...new Set(rs.map((r) => r.extra['n']).filter((n): n is number => typeof n === 'number' && PUBLISHED[n] !== undefined))];
  return widths.map((n) => {
    const libs = PUBLISHED[n]!.map((p) => `${p.library} ${p.forwardS} s / ${p.backwardS} s`).join('; ');
    return `Published for n = ${n} on an NVIDIA RTX 4090 (open-neuromorphic.org SNN library benchmarks, forward / backward): ${libs}.`;
  });
}

function extras(r: CaseResult): string {
  const kv = Object.entries(r.extra).map(([k, v]) => `${k}=${String(v)}`);
  return kv.length > 0 ? `; ${kv.join(', ')}` : '';
}

export function toMarkdown(rep: BenchReport): string {
  const L: string[] = [];
  L.push(`# spikeflow benchmark${rep.quick ? ' (--quick)' : ''}${(rep.rounds ?? 1) > 1 ? ` (${rep.rounds} rounds: workloads and PyTorch alternating; times are medians of the rounds' medians, ratios the medians of the rounds' ratios)` : ''}`);
  L.push('');
  L.push(`${rep.date} · ${rep.machine.cpuModel} × ${rep.machine.cpus} · Node ${rep.machine.node} · backends: ${rep.backends.join(', ')}`);
  const [ls, le] = [rep.machine.loadAvgStart[0] ?? 0, rep.machine.loadAvgEnd[0] ?? 0];
  // The suite itself keeps one core busy; more than that means other work shared the machine.
  if (ls > 1 || le > 1.5) {
    L.push('');
    L.push(`**Warning:** the machine was busy (1-minute load average ${ls.toFixed(2)} at the start, ${le.toFixed(2)} at the end, ${rep.machine.cpus} CPUs); timings are inflated and noisier.`);
  }
  L.push('');
  L.push(`Median of the timed repetitions (after warm-up), min–max beside it. GFLOP/s counts the operations the backend performs (event-driven products count nnz·N additions); "dense" is the same computation done with dense products, which is what PyTorch performs. % peak is against ${rep.peakGflops} GFLOP/s, one core's fp32 GEMM peak on this machine. GB/s only for the memory-bound neuron kernels.`);
  L.push('');
  const webgpu = rep.webgpu ?? { available: false, message: 'not recorded' };
  L.push(`WebGPU: ${webgpu.available ? webgpu.message : `no rows (${webgpu.message})`}`);
  L.push('');
  L.push(`PyTorch reference: ${rep.torch.message}${rep.torch.available ? '. "sf/torch" = spikeflow time ÷ PyTorch time (above 1: spikeflow is slower); torch GFLOP/s uses the dense count (sparse cases: 2·nnz·N).' : ''}`);
  const notRun = rep.notRun ?? [];
  for (const w of rep.workloads) {
    const rs = rep.results.filter((r) => r.workload === w);
    const nr = notRun.filter((n) => n.workload === w);
    if (rs.length === 0 && nr.length === 0) continue;
    L.push('');
    L.push(`## (${w}) ${WORKLOAD_TITLES[w]}`);
    L.push('');
    L.push('| case | backend | median ms | min–max ms | samples/s | GFLOP/iter | GFLOP/s | % peak | GB/s | torch ms | torch GFLOP/s | sf/torch |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rs) L.push(`| ${row(r)} |`);
    for (const n of nr) L.push(`| ${notRunRow(n)} |`);
    L.push('');
    for (const r of rs) L.push(`- \`${r.case}\` (${r.backend}, ${r.reps} reps): ${r.title}. Counted: ${r.work.note}${extras(r)}${r.torch?.note ? `; torch: ${r.torch.note}` : ''}`);
    if (w === 'k') for (const line of publishedLines(rs)) L.push(`- ${line}`);
  }
  if (rep.failures.length > 0) {
    L.push('');
    L.push('## Failures');
    L.push('');
    for (const f of rep.failures) L.push(`- ${f.backend}, workload (${f.workload}): ${f.error}`);
  }
  if (rep.accounting.length > 0) {
    L.push('');
    L.push('## Accounting');
    L.push('');
    for (const a of rep.accounting) L.push(`- ${a}`);
  }
  L.push('');
  return L.join('\n');
}
