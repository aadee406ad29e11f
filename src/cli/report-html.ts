import type { ProfileResult } from '../analysis/profile.js';
import { formatEnergyLayerTable, formatEnergyTable, formatLayerTable, formatQuantizedComparison } from '../analysis/report.js';
import type { PlotFile } from '../viz/run.js';
import { summaryRows, type RunSummary } from './report.js';

export const escHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A GitHub-style pipe table (as the analysis formatters write them) as an HTML table. */
export function markdownTableToHtml(md: string): string {
  const rows = md
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, l.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim()));
  if (rows.length === 0) return `<pre>${escHtml(md)}</pre>`;
  const isRule = (r: string[]): boolean => r.every((c) => /^:?-{3,}:?$/.test(c));
  const head = rows[0]!;
  const body = rows.slice(1).filter((r) => !isRule(r));
  return (
    '<table><thead><tr>' +
    head.map((c) => `<th>${escHtml(c)}</th>`).join('') +
    '</tr></thead><tbody>' +
    body.map((r) => '<tr>' + r.map((c) => `<td>${escHtml(c)}</td>`).join('') + '</tr>').join('') +
    '</tbody></table>'
  );
}

export interface HtmlReportInput {
  summary: RunSummary;
  measured: ProfileResult;
  /** The resolved config as written to config.yaml. */
  configYaml: string;
  plots: readonly PlotFile[];
}

export const STYLE = `body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
th{background:#f2f2f2}figure{margin:1.5em 0}figcaption{font-size:13px;color:#555}svg{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}h2{border-bottom:1px solid #ddd;padding-bottom:4px}`;

/**
 * report.html: one self-contained page (no scripts, no external files): the
 * summary, layer and energy tables, every plot as inline SVG and the config.
 */
export function renderReportHtml(i: HtmlReportInput): string {
  const s = i.summary;
  const parts: string[] = [];
  parts.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', `<title>spikeflow run: ${escHtml(s.name)}</title>`, `<style>${STYLE}</style></head><body>`);
  parts.push(`<h1>spikeflow run: ${escHtml(s.name)}</h1>`);
  parts.push('<table><tbody>' + summaryRows(s).map(([k, v]) => `<tr><th>${escHtml(k)}</th><td>${escHtml(v)}</td></tr>`).join('') + '</tbody></table>');
  if (i.plots.length > 0) {
    parts.push('<h2>Plots</h2>');
    for (const p of i.plots) {
      // The SVG's own XML declaration-free text embeds as is; ids are not used, so several cannot clash.
      parts.push(`<figure id="${escHtml(p.name.replace(/\.svg$/, ''))}">${p.svg.trim()}<figcaption>${escHtml(p.title)} (<a href="plots/${escHtml(p.name)}">plots/${escHtml(p.name)}</a>)</figcaption></figure>`);
    }
  }
  parts.push(`<h2>Layers (measured on ${s.measured_on_samples} test samples)</h2>`, markdownTableToHtml(formatLayerTable(i.measured.summary, i.measured.ops)));
  parts.push('<h2>Energy estimate (per sample)</h2>', markdownTableToHtml(formatEnergyTable(i.measured.energy)));
  parts.push(`<h3>By layer (${i.measured.energy.results[0]?.precision ?? 'fp32'})</h3>`, markdownTableToHtml(formatEnergyLayerTable(i.measured.energy, i.measured.ops)));
  const quantized = formatQuantizedComparison(i.measured.energy);
  if (quantized) parts.push('<h3>Quantized model</h3>', markdownTableToHtml(quantized));
  const assumptions = [...new Set([...i.measured.ops.assumptions, ...i.measured.energy.assumptions])];
  parts.push('<h3>Model behind the figures</h3><ul>' + assumptions.map((a) => `<li>${escHtml(a)}</li>`).join('') + '</ul>');
  parts.push('<h2>Config</h2>', `<pre>${escHtml(i.configYaml)}</pre>`);
  parts.push('</body></html>', '');
  return parts.join('\n');
}
