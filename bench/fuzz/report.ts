import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ParserStats } from './run.js';

/** The per-parser table, as Markdown (it reads as plain text too). */
export function statsTable(rows: readonly ParserStats[]): string {
  const head = ['parser', 'cases', 'ok', 'clean errors', 'internal errors', 'crashes', 'hangs', 'over budget', 'unnamed', 'ms/case', 'max ms', 'peak MB'];
  const body = rows.map((r) => [
    r.parser,
    r.cases,
    r.counts.ok,
    r.counts.clean,
    r.counts.internal,
    r.counts.crash,
    r.counts.hang,
    r.counts['over-budget'],
    r.unnamed,
    r.meanMs.toFixed(1),
    r.maxMs.toFixed(0),
    r.peakMb.toFixed(0),
  ].map(String));
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(' | ')} |`;
  return [line(head), `|${width.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + (i === 0 ? 1 : 1)) + (i === 0 ? '' : ':')).join('|')}|`, ...body.map(line)].join('\n');
}

/** The command that replays one saved input (printed next to it and written to cases.txt). */
export function replayCommand(file: string, parser: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return `npm run fuzz -- --replay ${rel.startsWith('..') ? file : rel} --parser ${parser}`;
}

/**
 * Write the first input of each failure kind to out/<parser>/<outcome>-<case>.bin,
 * with one line per kind in out/<parser>/cases.txt (what happened and how to
 * replay it). The parser's folder is emptied first, so it always describes
 * the latest run. Returns the lines.
 */
export function saveFailures(out: string, stats: ParserStats, seed: number): string[] {
  const dir = join(out, stats.parser);
  rmSync(dir, { recursive: true, force: true });
  if (stats.failures.length === 0) return [];
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const f of stats.failures) {
    const file = join(dir, `${f.outcome}-${String(f.index).padStart(5, '0')}.bin`);
    writeFileSync(file, f.bytes);
    const what = `${f.name ? `${f.name}: ` : ''}${(f.message ?? '').split('\n')[0]!.slice(0, 200)}`;
    lines.push(`${stats.parser} ${f.outcome} ×${f.count} (first: seed ${seed} case ${f.index}): ${what}\n    replay: ${replayCommand(file, stats.parser)}`);
  }
  writeFileSync(join(dir, 'cases.txt'), lines.join('\n') + '\n');
  return lines;
}
