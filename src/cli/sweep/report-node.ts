import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, FormatError } from '../../errors.js';
import { ENERGY_ASSUMPTIONS, QUANTIZED_ENERGY_ASSUMPTIONS } from '../../analysis/energy.js';
import { formatEnergy } from '../../analysis/report.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { accuracyEnergyScatter, accuracyVsSteps } from '../../viz/sweep.js';
import type { RunSummary } from '../report.js';
import { escHtml, markdownTableToHtml, STYLE } from '../report-html.js';
import { cellState, readPlan, type Plan } from './plan-node.js';
import { ENERGY_NOTE, groupResults, groupTable, type Group, parseReportPrecision, pickEnergyRow, plotPoints, renderSweepReport, resultLine, type CellResult, type SweepReportInput } from './report.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export const REPORT_FILES = ['report.md', 'report.html', 'results.jsonl'] as const;

/** The finished cells' summaries (a cell counts once its done.json exists). */
export function readResults(dir: string, plan: Plan, precision: string | undefined): CellResult[] {
  const p = parseReportPrecision(precision);
  const out: CellResult[] = [];
  for (const cell of plan.cells) {
    if (cellState(dir, cell) !== 'done') continue;
    const file = join(dir, cell.dir, 'summary.json');
    if (!existsSync(file)) throw new FormatError(`${file}: missing although the cell is marked done`);
    let summary: RunSummary;
    try {
      summary = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
    } catch (e) {
      throw new FormatError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    const { row, energy } = pickEnergyRow(summary, p, cell.id);
    out.push({ cell, summary, row, energy });
  }
  return out;
}

function renderHtml(i: SweepReportInput, svgs: Map<string, string>): string {
  const { plan } = i;
  const parts: string[] = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', `<title>spikeflow sweep: ${escHtml(plan.name)}</title>`, `<style>${STYLE}</style></head><body>`];
  parts.push(`<h1>spikeflow sweep: ${escHtml(plan.name)}</h1>`);
  parts.push(`<p>${plan.cells.length} cells (${i.results.length} finished${i.missing.length ? `, ${i.missing.length} not finished` : ''}) from <code>${escHtml(plan.matrix)}</code>, base <code>${escHtml(plan.base)}</code>. Axes: ${escHtml(plan.axes.map((a) => `${a.name} (${a.values.join(', ')})`).join('; '))}.</p>`);
  parts.push('<h2>Results</h2>', markdownTableToHtml(groupTable(plan, i.groups)));
  parts.push(`<p>${escHtml(ENERGY_NOTE)} The model: <a href="#energy-model">below</a>.</p>`);
  for (const p of i.plots) parts.push(`<figure>${svgs.get(p.name)!.trim()}<figcaption>${escHtml(p.title)} (<a href="plots/${escHtml(p.name)}">plots/${escHtml(p.name)}</a>)</figcaption></figure>`);
  if (i.missing.length > 0) parts.push('<h2>Not finished</h2><ul>' + i.missing.map((c) => `<li><code>${escHtml(c.id)}</code> ${escHtml(c.label)}</li>`).join('') + '</ul>');
  parts.push('<h2>Cells</h2><table><thead><tr><th>cell</th><th>axes</th><th>accuracy (%)</th><th>T</th><th>energy row</th><th>SNN (pJ)</th><th>ANN fp32 (pJ)</th><th>quantized ANN (pJ)</th><th>run</th></tr></thead><tbody>');
  for (const r of i.results) {
    parts.push(
      `<tr><td><code>${escHtml(r.cell.id)}</code></td><td>${escHtml(r.cell.label)}</td><td>${(100 * r.summary.accuracy).toFixed(2)}</td><td>${r.summary.timesteps}</td><td>${escHtml(r.row)}</td><td>${r.energy.snn_total_pj.toPrecision(4)}</td><td>${r.energy.ann_fp32_total_pj.toPrecision(4)}</td><td>${r.energy.ann_total_pj.toPrecision(4)}</td><td><a href="${escHtml(r.cell.dir)}/report.html">report</a></td></tr>`,
    );
  }
  parts.push('</tbody></table>');
  parts.push('<h2 id="energy-model">Energy model</h2><ul>' + i.notes.map((n) => `<li>${escHtml(n)}</li>`).join('') + '</ul>');
  parts.push('</body></html>', '');
  return parts.join('\n');
}

/** The quantized ANNs' energies to draw beside the points: one line per distinct architecture (at most 4, else none). */
function annReferences(groups: readonly Group[]): { label: string; energyPJ: number }[] {
  const byValue = new Map<string, number>();
  for (const g of groups) byValue.set(g.qannRowPJ.toPrecision(3), g.qannRowPJ);
  if (byValue.size > 4) return [];
  return [...byValue.values()].map((e) => ({ label: `quantized ANN ${groups.length > 1 && byValue.size > 1 ? formatEnergy(e) : ''}`.trim(), energyPJ: e }));
}

/**
 * Write the sweep's report from its finished cells: report.md and report.html
 * (the group table, mean ± std over seeds; every cell; the plots), plots/*.svg
 * and results.jsonl (one JSON line per finished cell). Everything is rendered
 * before the first file is written; each file is written atomically.
 */
export function writeSweepReport(sweepDir: string, opts: { precision?: string } = {}): { cells: number; files: string[] } {
  const dir = resolve(sweepDir);
  const plan = readPlan(dir);
  const results = readResults(dir, plan, opts.precision);
  if (results.length === 0) throw new ConfigError(`sweep ${plan.name} (${dir}) has no finished cells to report`);
  const groups = groupResults(plan, results);
  const missing = plan.cells.filter((c) => cellState(dir, c) !== 'done');
  const { points, stepsVary } = plotPoints(plan, groups);
  const rows = [...new Set(results.map((r) => r.row))].join('/');
  const plots: { name: string; title: string; svg: string }[] = [
    {
      name: 'accuracy-energy.svg',
      title: `Accuracy against SNN energy per sample (${rows} row; dashed: the quantized ANN at the same widths)`,
      svg: accuracyEnergyScatter(points, { energyLabel: `SNN energy per sample, ${rows} (log scale)`, references: annReferences(groups) }),
    },
  ];
  // Drawn even when T is constant (one column of points), so every sweep folder has the same files.
  plots.push({ name: 'accuracy-steps.svg', title: stepsVary ? 'Accuracy against time steps T' : `Accuracy at T = ${groups[0]!.steps.join('/')} (T does not vary in this sweep)`, svg: accuracyVsSteps(points) });
  const notes = [...ENERGY_ASSUMPTIONS, ...(results.some((r) => r.row === 'quantized') ? QUANTIZED_ENERGY_ASSUMPTIONS : [])];
  const input: SweepReportInput = { plan, results, groups, missing, plots: plots.map(({ name, title }) => ({ name, title })), notes };
  const md = renderSweepReport(input);
  const html = renderHtml(input, new Map(plots.map((p) => [p.name, p.svg])));
  const jsonl = results.map((r) => JSON.stringify(resultLine(r))).join('\n') + '\n';
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const p of plots) writeFileAtomic(join(dir, 'plots', p.name), enc(p.svg));
  writeFileAtomic(join(dir, 'results.jsonl'), enc(jsonl));
  writeFileAtomic(join(dir, 'report.md'), enc(md));
  writeFileAtomic(join(dir, 'report.html'), enc(html));
  return { cells: results.length, files: [...REPORT_FILES, ...plots.map((p) => join('plots', p.name))] };
}
