import { ShapeError } from '../errors.js';
import { drawPanel, figure, legend, legendWidth, panel, type LegendItem } from './frame.js';
import { el, polyline, text } from './svg.js';
import { CATEGORY, FONT_SIZE, INK } from './style.js';

/** One cell group of a sweep: mean accuracy over its seeds (fractions) and its energy per sample. */
export interface SweepPoint {
  /** The group's label (its axis values). */
  label: string;
  /** The series it is drawn in (colour and legend entry). */
  series: string;
  accuracy: number;
  /** Standard deviation over seeds; 0 or null for one seed. */
  accuracyStd: number | null;
  energyPJ: number;
  /** Time steps (accuracy-vs-T plot). */
  steps: number;
}

function colorOf(series: readonly string[]): (s: string) => string {
  return (s) => CATEGORY[series.indexOf(s) % CATEGORY.length]!;
}

function seriesOf(points: readonly SweepPoint[]): string[] {
  return [...new Set(points.map((p) => p.series))];
}

/** Decades of picojoules as axis labels: 100 pJ, 1 nJ, 10 nJ, … */
function energyTick(log10pJ: number): string {
  const pJ = 10 ** log10pJ;
  const units: [number, string][] = [[1e9, 'mJ'], [1e6, 'µJ'], [1e3, 'nJ'], [1, 'pJ']];
  for (const [v, u] of units) if (pJ >= v * 0.999) return `${Number((pJ / v).toPrecision(3))} ${u}`;
  return `${Number(pJ.toPrecision(3))} pJ`;
}

function accuracyAxis(points: readonly SweepPoint[]): { lo: number; hi: number } {
  const lo = Math.min(...points.map((p) => 100 * (p.accuracy - (p.accuracyStd ?? 0))));
  const hi = Math.max(...points.map((p) => 100 * (p.accuracy + (p.accuracyStd ?? 0))));
  const pad = Math.max(0.5, (hi - lo) * 0.08);
  return { lo: Math.max(0, lo - pad), hi: Math.min(100, hi + pad) };
}

function errorBar(x: number, y0: number, y1: number, color: string): string[] {
  return [
    el('line', { x1: x, y1: y0, x2: x, y2: y1, stroke: color, 'stroke-width': 1.2, class: 'error-bar' }),
    el('line', { x1: x - 3, y1: y0, x2: x + 3, y2: y0, stroke: color, 'stroke-width': 1.2 }),
    el('line', { x1: x - 3, y1: y1, x2: x + 3, y2: y1, stroke: color, 'stroke-width': 1.2 }),
  ];
}

/**
 * Accuracy against energy per sample, one point per cell group (mean over
 * seeds, bars ± one standard deviation), energy on a log axis, coloured by
 * series. Up and to the left is better.
 */
export function accuracyEnergyScatter(
  points: readonly SweepPoint[],
  opts: { title?: string; energyLabel?: string; width?: number; references?: readonly { label: string; energyPJ: number }[] } = {},
): string {
  if (points.length === 0) throw new ShapeError('accuracyEnergyScatter: no points');
  if (points.some((p) => !(p.energyPJ > 0))) throw new ShapeError('accuracyEnergyScatter: energies must be > 0 (log axis)');
  const series = seriesOf(points);
  const color = colorOf(series);
  const items: LegendItem[] = series.map((s) => ({ label: s, color: color(s), mark: 'dot' }));
  const lw = series.length > 1 ? legendWidth(items) + 16 : 0;
  const width = opts.width ?? 760 + lw;
  const height = 440;
  const logs = points.map((p) => Math.log10(p.energyPJ));
  const refs = (opts.references ?? []).filter((r) => r.energyPJ > 0);
  const all = [...logs, ...refs.map((r) => Math.log10(r.energyPJ))];
  let lo = Math.floor(Math.min(...all) * 4) / 4, hi = Math.ceil(Math.max(...all) * 4) / 4;
  if (hi - lo < 0.5) {
    lo -= 0.25;
    hi += 0.25;
  }
  const decades: number[] = [];
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) decades.push(d);
  // Fewer than two decades in range: quarter-decade ticks so the axis still reads.
  const tickValues = decades.length >= 2 ? decades : Array.from({ length: Math.round((hi - lo) * 4) + 1 }, (_, i) => lo + i / 4);
  const acc = accuracyAxis(points);
  const p = panel(
    { x: 84, y: 64, w: width - 84 - 40 - lw, h: height - 64 - 64 },
    { lo, hi, exact: true, label: opts.energyLabel ?? 'SNN energy per sample (log scale)', tickValues, format: energyTick, grid: true },
    { lo: acc.lo, hi: acc.hi, label: 'test accuracy (%)', grid: true },
  );
  const marks: string[] = [];
  // Reference energies (the ANNs the SNNs are compared with): dashed vertical lines.
  refs.forEach((r, i) => {
    const x = p.x(Math.log10(r.energyPJ));
    marks.push(el('line', { x1: x, y1: p.box.y, x2: x, y2: p.box.y + p.box.h, stroke: INK, 'stroke-width': 1, 'stroke-dasharray': '5 4', class: 'reference' }));
    // Labelled at the bottom, where low-accuracy points are rarer than at the top.
    marks.push(text(x + 4, p.box.y + p.box.h - 6 - 13 * i, r.label, { fill: INK, 'font-size': FONT_SIZE.note, class: 'reference-label' }));
  });
  points.forEach((pt, i) => {
    const x = p.x(logs[i]!);
    const c = color(pt.series);
    if (pt.accuracyStd) marks.push(...errorBar(x, p.y(100 * (pt.accuracy - pt.accuracyStd)), p.y(100 * (pt.accuracy + pt.accuracyStd)), c));
    marks.push(el('circle', { cx: x, cy: p.y(100 * pt.accuracy), r: 4, fill: c, 'fill-opacity': 0.85, class: 'point', 'data-label': pt.label }));
  });
  const body = drawPanel(p, marks);
  if (series.length > 1) body.push(...legend(width - lw + 4, 70, items));
  return figure(width, height, opts.title ?? 'Accuracy against energy', body, `${points.length} cell groups; mean over seeds, bars ± 1 std`);
}

/**
 * Accuracy against the number of time steps T, one line per series (the
 * other axes), points at the groups' means with ± 1 std bars.
 */
export function accuracyVsSteps(points: readonly SweepPoint[], opts: { title?: string; width?: number } = {}): string {
  if (points.length === 0) throw new ShapeError('accuracyVsSteps: no points');
  const series = seriesOf(points);
  const color = colorOf(series);
  const items: LegendItem[] = series.map((s) => ({ label: s, color: color(s), mark: 'line' }));
  const lw = series.length > 1 ? legendWidth(items) + 16 : 0;
  const width = opts.width ?? 720 + lw;
  const height = 420;
  const Ts = [...new Set(points.map((p) => p.steps))].sort((a, b) => a - b);
  // T usually doubles (1, 2, 4, 8): equal spacing per distinct value reads better than a linear axis.
  const acc = accuracyAxis(points);
  const p = panel(
    { x: 84, y: 64, w: width - 84 - 40 - lw, h: height - 64 - 60 },
    { lo: 0, hi: 0, label: 'time steps T', categories: Ts.map(String) },
    { lo: acc.lo, hi: acc.hi, label: 'test accuracy (%)', grid: true },
  );
  const marks: string[] = [];
  for (const s of series) {
    const pts = points.filter((q) => q.series === s).sort((a, b) => a.steps - b.steps);
    const xs = pts.map((q) => p.x(Ts.indexOf(q.steps)));
    const ys = pts.map((q) => p.y(100 * q.accuracy));
    const c = color(s);
    if (pts.length > 1) marks.push(...polyline(xs, ys, { stroke: c, 'stroke-width': 2, class: 'curve' }));
    pts.forEach((q, i) => {
      if (q.accuracyStd) marks.push(...errorBar(xs[i]!, p.y(100 * (q.accuracy - q.accuracyStd)), p.y(100 * (q.accuracy + q.accuracyStd)), c));
      marks.push(el('circle', { cx: xs[i]!, cy: ys[i]!, r: 3.5, fill: c, class: 'point', 'data-label': q.label }));
    });
  }
  const body = drawPanel(p, marks);
  if (series.length > 1) body.push(...legend(width - lw + 4, 70, items));
  return figure(width, height, opts.title ?? 'Accuracy against time steps', body, `${series.length} series; mean over seeds, bars ± 1 std`);
}
