import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import { runPlots, type PlotFile, type RunPlotData, type RunPlotOptions } from '../viz/run.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** File name of the plot data inside a run's plots/ folder. */
export const PLOT_DATA_FILE = 'data.json';

/**
 * Draw a run's plots and write plots/data.json and plots/*.svg into `runDir`
 * (each file atomically). Everything is drawn before the first file is
 * written, so a drawing error leaves the folder as it was.
 */
export function writeRunPlots(runDir: string, data: RunPlotData, opts: RunPlotOptions = {}): PlotFile[] {
  const plots = runPlots(data, opts);
  const dir = join(runDir, 'plots');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, PLOT_DATA_FILE), enc(JSON.stringify(data) + '\n'));
  for (const p of plots) writeFileAtomic(join(dir, p.name), enc(p.svg));
  return plots;
}
