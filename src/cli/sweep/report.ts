import { ConfigError } from '../../errors.js';
import { formatCount, formatEnergy } from '../../analysis/report.js';
import { formatBytes } from '../../quant/size.js';
import type { EnergySummary, RunSummary } from '../report.js';
import type { SweepPoint } from '../../viz/sweep.js';
import type { PlanCell, Plan } from './plan-node.js';

/** The energy rows a report may compare ('auto': a cell's quantized row, else int8). */
export const REPORT_PRECISIONS = ['auto', 'fp32', 'fp16', 'int8', 'int4', 'quantized'] as const;
export type ReportPrecision = (typeof REPORT_PRECISIONS)[number];

export function parseReportPrecision(v: string | undefined): ReportPrecision {
  const p = v ?? 'auto';
  if (!(REPORT_PRECISIONS as readonly string[]).includes(p)) throw new ConfigError(`--precision: expected one of ${REPORT_PRECISIONS.join(', ')}, got '${p}'`);
  return p as ReportPrecision;
}

/** One finished cell: its plan entry and what its run folder says. */
export interface CellResult {
  cell: PlanCell;
  summary: RunSummary;
  /** The energy row compared (the `--precision` choice, resolved for this cell). */
  row: string;
  energy: EnergySummary;
}

/** One line of results.jsonl. */
export interface ResultLine {
  id: string;
  label: string;
  axes: Record<string, string>;
  values: Record<string, unknown>;
  dir: string;
  accuracy: number;
  loss: number;
  epochs: number;
  timesteps: number;
  parameters: number;
  train_time_s: number;
  wall_time_s: number;
  peak_rss_bytes: number | null;
  mean_spike_rate: number;
  sops_per_sample: number;
  macs_per_sample: number;
  /** The row the report compares, and every row summary.json holds. */
  energy_row: string;
  energy: Record<string, EnergySummary>;
}

/** The row to compare for one cell; an explicit row the cell lacks is an error naming the cell. */
export function pickEnergyRow(s: RunSummary, precision: ReportPrecision, id: string): { row: string; energy: EnergySummary } {
  const row = precision === 'auto' ? (s.energy.quantized ? 'quantized' : s.energy.int8 ? 'int8' : 'fp32') : precision;
  const e = s.energy[row];
  if (!e) throw new ConfigError(`cell ${id}: summary.json has no energy row '${row}' (rows: ${Object.keys(s.energy).join(', ')})`);
  return { row, energy: e };
}

export function resultLine(r: CellResult): ResultLine {
  const s = r.summary;
  return {
    id: r.cell.id,
    label: r.cell.label,
    axes: r.cell.axes,
    values: r.cell.values,
    dir: r.cell.dir,
    accuracy: s.accuracy,
    loss: s.loss,
    epochs: s.epochs,
    timesteps: s.timesteps,
    parameters: s.parameters,
    train_time_s: s.train_time_s,
    wall_time_s: s.wall_time_s,
    peak_rss_bytes: s.peak_rss_bytes ?? null,
    mean_spike_rate: s.mean_spike_rate,
    sops_per_sample: s.sops_per_sample,
    macs_per_sample: s.macs_per_sample,
    energy_row: r.row,
    energy: s.energy,
  };
}

/** Mean and sample standard deviation (null for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number | null } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
}

/** Cells that differ only in their seed axes, with the figures the tables print. */
export interface Group {
  /** Axis → value label, for the axes that are not seed axes. */
  axes: Record<string, string>;
  label: string;
  cells: CellResult[];
  accuracy: { mean: number; std: number | null };
  steps: number[];
  /** The compared row (the `--precision` choice) of the cells, '/'-joined when they differ. */
  row: string;
  /** Means over the cells, memory-inclusive pJ per sample. */
  snnFp32PJ: number;
  annFp32PJ: number;
  snnRowPJ: number;
  /** The equivalent ANN at the row's widths (the bit-width-matched quantized ANN). */
  qannRowPJ: number;
  /** How many of the cells' SNNs beat both ANNs, in fp32 and in the row. */
  winsFp32: number;
  winsRow: number;
  parameters: number[];
  trainTime: { mean: number; std: number | null };
  peakRss: number | null;
  spikeRate: number;
}

export function groupResults(plan: Plan, results: readonly CellResult[]): Group[] {
  const varying = plan.axes.filter((a) => !plan.seed_axes.includes(a.name));
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    const key = varying.map((a) => `${a.name}=${r.cell.axes[a.name]}`).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups].map(([label, cells]): Group => {
    const mean = (f: (r: CellResult) => number): number => cells.reduce((a, r) => a + f(r), 0) / cells.length;
    const rss = cells.map((r) => r.summary.peak_rss_bytes).filter((x): x is number => typeof x === 'number');
    const fp32 = (r: CellResult): EnergySummary => r.summary.energy.fp32 ?? r.energy;
    return {
      axes: Object.fromEntries(varying.map((a) => [a.name, cells[0]!.cell.axes[a.name]!])),
      label: label || 'all',
      cells,
      accuracy: meanStd(cells.map((r) => r.summary.accuracy)),
      steps: [...new Set(cells.map((r) => r.summary.timesteps))].sort((a, b) => a - b),
      row: [...new Set(cells.map((r) => r.row))].join('/'),
      snnFp32PJ: mean((r) => fp32(r).snn_total_pj),
      annFp32PJ: mean((r) => fp32(r).ann_fp32_total_pj),
      snnRowPJ: mean((r) => r.energy.snn_total_pj),
      qannRowPJ: mean((r) => r.energy.ann_total_pj),
      winsFp32: cells.filter((r) => fp32(r).snn_wins).length,
      winsRow: cells.filter((r) => r.energy.snn_wins).length,
      parameters: [...new Set(cells.map((r) => r.summary.parameters))],
      trainTime: meanStd(cells.map((r) => r.summary.train_time_s)),
      peakRss: rss.length > 0 ? rss.reduce((a, b) => a + b, 0) / rss.length : null,
      spikeRate: mean((r) => r.summary.mean_spike_rate),
    };
  });
}

const pm = (m: { mean: number; std: number | null }, f: (x: number) => string): string => (m.std === null ? f(m.mean) : `${f(m.mean)} ± ${f(m.std)}`);
const pct = (x: number): string => (100 * x).toFixed(2);
const wins = (k: number, n: number): string => (k === n ? 'yes' : k === 0 ? 'no' : `${k} of ${n}`);

/**
 * The main table: one row per cell group, mean ± std over seeds; energy in
 * fp32 (SNN beside its ANN) and in the compared row (SNN beside the ANN at
 * the same widths, the bit-width-matched quantized ANN).
 */
export function groupTable(plan: Plan, groups: readonly Group[]): string {
  const axes = plan.axes.filter((a) => !plan.seed_axes.includes(a.name)).map((a) => a.name);
  const rows = [...new Set(groups.map((g) => g.row))];
  const rowName = rows.length === 1 ? rows[0]! : 'row';
  const head = [...axes, 'seeds', 'accuracy (%)', 'T', 'SNN fp32', 'ANN fp32', `SNN ${rowName}`, `quantized ANN ${rowName}`, `SNN wins (fp32 / ${rowName})`, 'spike rate', 'params', 'train time (s)', 'peak memory'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i < axes.length ? '---' : '---:')).join(' | ')} |`];
  for (const g of groups) {
    const tag = rows.length === 1 ? '' : ` (${g.row})`;
    const cells = [
      ...axes.map((a) => g.axes[a] ?? ''),
      String(g.cells.length),
      pm(g.accuracy, pct),
      g.steps.join('/'),
      formatEnergy(g.snnFp32PJ),
      formatEnergy(g.annFp32PJ),
      formatEnergy(g.snnRowPJ) + tag,
      formatEnergy(g.qannRowPJ) + tag,
      `${wins(g.winsFp32, g.cells.length)} / ${wins(g.winsRow, g.cells.length)}`,
      `${(100 * g.spikeRate).toFixed(1)}%`,
      g.parameters.map(formatCount).join('/'),
      pm(g.trainTime, (x) => x.toFixed(1)),
      g.peakRss === null ? '–' : formatBytes(g.peakRss),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Points for the plots: one per group; the series is the first varying axis other than the one that sets T. */
export function plotPoints(plan: Plan, groups: readonly Group[]): { points: SweepPoint[]; stepsVary: boolean } {
  const axes = plan.axes.filter((a) => !plan.seed_axes.includes(a.name));
  const tAxes = new Set(axes.filter((a) => a.keys.includes('encoder.steps')).map((a) => a.name));
  const seriesAxes = axes.filter((a) => !tAxes.has(a.name));
  const points = groups.map(
    (g): SweepPoint => ({
      label: g.label,
      series: seriesAxes.length === 0 ? plan.name : seriesAxes.map((a) => `${a.name}=${g.axes[a.name]}`).join(' '),
      accuracy: g.accuracy.mean,
      accuracyStd: g.accuracy.std,
      energyPJ: g.snnRowPJ,
      steps: g.steps[0]!,
    }),
  );
  // A series per combination of the other axes only when it stays readable; else colour by the first axis.
  const distinct = new Set(points.map((p) => p.series)).size;
  if (distinct > 7 && seriesAxes.length > 0) for (const [i, p] of points.entries()) p.series = `${seriesAxes[0]!.name}=${groups[i]!.axes[seriesAxes[0]!.name]}`;
  const stepsVary = new Set(groups.flatMap((g) => g.steps)).size > 1;
  return { points, stepsVary };
}

/** What the energy columns mean (report.md and report.html). */
export const ENERGY_NOTE =
  'Energy per sample, memory-inclusive: arithmetic plus weight reads, activation reads and writes and membrane-state traffic (src/analysis/energy.ts, docs/sweeps.md). ' +
  'SNN fp32 / ANN fp32: the trained SNN and its equivalent ANN, both in fp32. SNN <row> / quantized ANN <row>: both deployed at the compared row\'s widths ' +
  '(int8: int8 weights, activations and state; int4: int4 weights, int8 activations and state; quantized: each layer at its trained bit width): the quantized ANN is the bit-width-matched rival, same small weights, no sparsity. ' +
  '"SNN wins": the SNN needs less energy than both ANNs (fp32 ANN and the quantized ANN). A float model\'s integer row estimates a deployment at that width; its accuracy is the float model\'s.';

export interface SweepReportInput {
  plan: Plan;
  results: CellResult[];
  groups: Group[];
  /** Cells without a finished run folder. */
  missing: PlanCell[];
  plots: { name: string; title: string }[];
  /** Energy model assumptions, as the cells' reports print them (from one cell). */
  notes: string[];
}

/** report.md. */
export function renderSweepReport(i: SweepReportInput): string {
  const { plan } = i;
  const lines: string[] = [];
  lines.push(`# spikeflow sweep: ${plan.name}`, '');
  lines.push(`${plan.cells.length} cells (${i.results.length} finished${i.missing.length ? `, ${i.missing.length} not finished` : ''}) from \`${plan.matrix}\`, base \`${plan.base}\`.`);
  lines.push(`Axes: ${plan.axes.map((a) => `${a.name} (${a.values.join(', ')})`).join('; ')}.${plan.seed_axes.length ? ` Seeds over ${plan.seed_axes.join(', ')}: each row is the mean ± standard deviation over them.` : ''}`, '');
  lines.push('## Results', '', groupTable(plan, i.groups), '');
  lines.push(ENERGY_NOTE, '');
  if (i.missing.length > 0) {
    lines.push('## Not finished', '');
    for (const c of i.missing) lines.push(`- \`${c.id}\` ${c.label}`);
    lines.push('');
  }
  if (i.plots.length > 0) {
    lines.push('## Plots', '');
    for (const p of i.plots) lines.push(`![${p.title}](plots/${p.name})`, '');
  }
  lines.push('## Cells', '', '| cell | axes | accuracy (%) | T | row (W / A / state) | SNN | ANN fp32 | quantized ANN | train time (s) | run folder |', '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of i.results) {
    lines.push(
      `| \`${r.cell.id}\` | ${r.cell.label} | ${pct(r.summary.accuracy)} | ${r.summary.timesteps} | ${r.row} (${r.energy.weights} / ${r.energy.activation_bits} b / ${r.energy.state_bits} b) | ${formatEnergy(r.energy.snn_total_pj)} | ${formatEnergy(r.energy.ann_fp32_total_pj)} | ${formatEnergy(r.energy.ann_total_pj)} | ${r.summary.train_time_s.toFixed(1)} | [${r.cell.dir}](${r.cell.dir}/report.md) |`,
    );
  }
  lines.push('');
  if (i.notes.length > 0) lines.push('## Energy model', '', ...i.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
