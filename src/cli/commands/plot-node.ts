import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { parseFormat, readEventFile } from '../../data/events/io-node.js';
import { channelRaster, polarityFrames } from '../../viz/events.js';
import { parsePlotKind, parseRunPlotData, runPlots, type PlotFile, type RunPlotKind } from '../../viz/run.js';
import { svgToPng } from '../../viz/png-node.js';
import { PLOT_DATA_FILE } from '../plots-node.js';
import { countOf } from './events-node.js';

export interface PlotOptions {
  what?: string;
  sample?: string;
  layer?: string;
  png?: boolean;
  out?: string;
  bins?: string;
  format?: string;
}

function parseIndex(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new ConfigError(`${flag} ${s}: expected a non-negative integer`);
  return Number(s);
}

/**
 * Write the drawn plots (SVG, or PNG with --png) into `out`. Every picture is
 * rendered in memory first, then each file is written atomically, so bad
 * input or a renderer failure leaves no partial file behind.
 */
function writePlots(plots: readonly PlotFile[], out: string, png: boolean): string[] {
  const files = plots.map((p) => (png ? { name: p.name.replace(/\.svg$/, '.png'), bytes: svgToPng(p.svg) } : { name: p.name, bytes: new TextEncoder().encode(p.svg) }));
  mkdirSync(out, { recursive: true });
  for (const f of files) writeFileAtomic(join(out, f.name), f.bytes);
  return files.map((f) => join(out, f.name));
}

/** `spikeflow plot RUN`: redraw a run's plots from its plots/data.json. */
export function runPlotRun(runArg: string, opts: PlotOptions): string[] {
  const dir = resolve(runArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NotFoundError(`plot: run folder not found: ${dir}`);
  const dataPath = join(dir, 'plots', PLOT_DATA_FILE);
  if (!existsSync(dataPath)) throw new NotFoundError(`plot: ${dir} has no plots/${PLOT_DATA_FILE} (not a run folder, or written by a spikeflow before plots existed: train it again)`);
  const what: RunPlotKind[] | undefined = opts.what?.split(',').map((w) => parsePlotKind(w.trim()));
  const data = parseRunPlotData(readFileSync(dataPath, 'utf8'), dataPath);
  const plots = runPlots(data, { what, sample: parseIndex(opts.sample, '--sample'), layer: opts.layer });
  return writePlots(plots, resolve(opts.out ?? join(dir, 'plots')), opts.png === true);
}

/** `spikeflow plot events FILE`: polarity frames of DVS events or a raster of channel events. */
export async function runPlotEvents(file: string | undefined, opts: PlotOptions): Promise<string[]> {
  if (!file) throw new ConfigError('plot events: give an event file (plot events FILE)');
  if (opts.what !== undefined || opts.layer !== undefined) throw new ConfigError('plot events: --what and --layer are for run folders; use --bins and --sample');
  const bins = parseIndex(opts.bins ?? '4', '--bins')!;
  if (bins < 1 || bins > 64) throw new ConfigError(`--bins ${bins}: expected 1..64`);
  const fmt = opts.format ? parseFormat(opts.format, '--format') : undefined;
  const path = resolve(file);
  if (!existsSync(path)) throw new NotFoundError(`plot events: file not found: ${path}`);
  const { streams, labels } = await readEventFile(path, fmt);
  const k = parseIndex(opts.sample, '--sample') ?? 0;
  const s = streams[k];
  if (!s) throw new ConfigError(`--sample ${k}: ${file} has ${countOf(streams.length, 'recording')}`);
  const stem = basename(file).replace(/\.[^.]*$/, '') + (streams.length > 1 ? `-${k}` : '');
  const title = `${basename(file)}${streams.length > 1 ? `, recording ${k}` : ''}${labels ? ` (label ${labels[k]})` : ''}`;
  const plot: PlotFile =
    s.kind === 'dvs'
      ? { name: `${stem}-frames.svg`, title, svg: polarityFrames(s, { bins, title: `Event frames: ${title}` }) }
      : { name: `${stem}-raster.svg`, title, svg: channelRaster(s, { title: `Channel events: ${title}` }) };
  return writePlots([plot], resolve(opts.out ?? 'plots'), opts.png === true);
}

/** Add `plot RUN` and `plot events FILE` to a commander program. */
export function registerPlotCommand(program: Command): void {
  program
    .command('plot <run> [file]')
    .description('draw a run folder\'s plots again (plot RUN), or an event file (plot events FILE); SVG, or PNG with --png')
    .option('--what <kinds>', 'run plots to draw, comma-separated: curves, raster, traces, rates, heatmap, health, confusion, energy (default: all)')
    .option('--sample <n>', 'recorded test sample for raster and traces (run), or recording of a multi-sample event file')
    .option('--layer <name>', 'only this spiking layer (its path, e.g. 3, or path:kind, e.g. 3:LIF)')
    .option('--bins <n>', 'time bins of the polarity frames (events; default 4)')
    .option('-f, --format <format>', 'event file format (default: detected)')
    .option('--png', 'write PNG (rendered with resvg) instead of SVG')
    .option('-o, --out <dir>', 'output folder (default: RUN/plots, or ./plots for events)')
    .action(async (run: string, file: string | undefined, opts: PlotOptions) => {
      if (run !== 'events' && file !== undefined) throw new ConfigError(`plot: unexpected argument '${file}' (plot RUN, or plot events FILE)`);
      const written = run === 'events' ? await runPlotEvents(file, opts) : runPlotRun(run, opts);
      process.stdout.write(`wrote ${countOf(written.length, 'plot')} to ${written.length ? resolve(written[0]!, '..') : '-'}\n`);
    });
}
