import { ConfigError } from '../errors.js';
import { confusionMatrix, perClassAccuracy } from './confusion.js';
import { trainingCurves, type EpochPoint } from './curves.js';
import { energyBreakdown, type LayerEnergyRow } from './energy.js';
import { spikeRaster } from './raster.js';
import { firingRateHistogram, neuronHealth, spikeCountHeatmap } from './rates.js';
import { membraneTraces } from './traces.js';
import { delayHistogram, type LayerDelays } from './delays.js';

/**
 * Everything the plots of a training run are drawn from, as plain JSON: the
 * CLI writes it to `plots/data.json` at the end of `spikeflow train`, and
 * `spikeflow plot RUN` (or a browser page) redraws every picture from it
 * without the model, the data set or a backend.
 */
export interface RunPlotData {
  format: 'spikeflow-plot-data';
  version: 1;
  /** The run's name (config `name`). */
  name: string;
  /** One entry per epoch (metrics.jsonl). */
  history: EpochPoint[];
  /** Rows: true class, columns: predicted class, on the whole test set after the last epoch; null when not measured. */
  confusion: number[][] | null;
  /** Spiking layers measured on the test samples of the report (rates, dead and saturated neurons). */
  layers: MeasuredLayer[];
  /** Per-layer energy per sample at one precision; null when not estimated. */
  energy: { precision: string; layers: LayerEnergyRow[] } | null;
  /** Spikes and membranes of a fixed batch of test samples; null when not recorded. */
  recording: Recording | null;
  /** Integer delays of each delay layer (rounded positions), when the model has any; absent in older files. */
  delays?: LayerDelays[];
}

export interface MeasuredLayer {
  /** Path of the layer in the model ('2', '3.body.1'). */
  path: string;
  kind: string;
  /** Feature shape of one step (e.g. [16, 12, 12]). */
  shape: number[];
  /** Per-neuron firing rate, spikes per step averaged over samples. */
  rates: number[];
  /** Mean steps per sample the rates are over (spike count per sample = rate × steps). */
  steps: number;
  dead: number;
  saturated: number;
  samples: number;
}

export interface Recording {
  steps: number;
  /** True class and predicted class (most output spikes) of each recorded sample. */
  labels: number[];
  predictions: number[];
  layers: RecordedLayer[];
}

export interface RecordedLayer {
  path: string;
  kind: string;
  /** Neurons in the layer; `neuronIds` are the ones kept (all of them for small layers). */
  neurons: number;
  neuronIds: number[];
  /** Per sample: the spikes as flat indices `t * neuronIds.length + row`. */
  spikes: number[][];
  /** Membrane traces of a few neurons per sample. */
  traces: RecordedTrace[];
}

export interface RecordedTrace {
  sample: number;
  neuron: number;
  threshold: number;
  membrane: number[];
  /** Steps at which the neuron spiked. */
  spikeSteps: number[];
}

/** The kinds of run plot, as `spikeflow plot --what` names them. */
export const RUN_PLOT_KINDS = ['curves', 'raster', 'traces', 'rates', 'heatmap', 'health', 'confusion', 'energy', 'delays'] as const;
export type RunPlotKind = (typeof RUN_PLOT_KINDS)[number];

export interface RunPlotOptions {
  /** Which plots (default: all that the data allows). */
  what?: readonly RunPlotKind[];
  /** Recorded sample for traces and raster (default: traces of sample 0, raster of the first four). */
  sample?: number;
  /** Only this layer (its path, e.g. '2', or path:kind, e.g. '2:lif'). */
  layer?: string;
}

/** One drawn picture: its file name in plots/ and its SVG text. */
export interface PlotFile {
  name: string;
  title: string;
  svg: string;
}

/** File-name-safe form of a layer path. */
function slug(path: string): string {
  return path.replace(/[^A-Za-z0-9._-]/g, '_');
}

function matchLayer<L extends { path: string; kind: string }>(layers: readonly L[], name: string | undefined, what: string): L[] {
  if (name === undefined) return [...layers];
  const hit = layers.filter((l) => l.path === name || `${l.path}:${l.kind}` === name);
  if (hit.length === 0) {
    throw new ConfigError(`--layer ${name}: no such spiking layer for ${what} (layers: ${layers.map((l) => `${l.path}:${l.kind}`).join(', ') || 'none'})`);
  }
  return hit;
}

/** Check a `--what` word. */
export function parsePlotKind(s: string): RunPlotKind {
  if (!(RUN_PLOT_KINDS as readonly string[]).includes(s)) throw new ConfigError(`--what ${s}: unknown plot (known: ${RUN_PLOT_KINDS.join(', ')})`);
  return s as RunPlotKind;
}

/**
 * Draw a run's plots from its plot data. Asking for something the data does
 * not hold (a layer, a sample, a recording) throws a ConfigError naming it,
 * before anything is drawn.
 */
export function runPlots(data: RunPlotData, opts: RunPlotOptions = {}): PlotFile[] {
  const what = new Set<RunPlotKind>(opts.what ?? RUN_PLOT_KINDS);
  const explicit = opts.what !== undefined;
  const rec = data.recording;
  const need = (ok: boolean, kind: RunPlotKind, why: string): boolean => {
    if (!what.has(kind)) return false;
    if (!ok && explicit) throw new ConfigError(`--what ${kind}: ${why}`);
    return ok;
  };
  if (opts.sample !== undefined) {
    const n = rec ? rec.labels.length : 0;
    if (!(Number.isInteger(opts.sample) && opts.sample >= 0 && opts.sample < n)) throw new ConfigError(`--sample ${opts.sample}: the run recorded ${n} test samples (0..${n - 1})`);
  }
  // Resolve layers first, so an unknown name fails before any drawing.
  const recLayers = rec && (what.has('raster') || what.has('traces')) ? matchLayer(rec.layers, opts.layer, 'raster / traces') : [];
  const measured = what.has('rates') || what.has('heatmap') || what.has('health') ? matchLayer(data.layers, opts.layer, 'rates / heatmap / health') : [];
  const out: PlotFile[] = [];
  const add = (name: string, title: string, svg: string): void => {
    out.push({ name, title, svg });
  };
  if (need(data.history.length > 0, 'curves', 'the run has no finished epoch')) add('curves.svg', 'Loss and accuracy per epoch', trainingCurves(data.history, { title: `Training curves: ${data.name}` }));
  const sampleTitle = (s: number): string => (rec ? `sample ${s} · label ${rec.labels[s]} · pred. ${rec.predictions[s]}` : `sample ${s}`);
  if (need(rec !== null, 'raster', 'the run recorded no spikes (plots/data.json has no recording)') && rec) {
    const samples = opts.sample !== undefined ? [opts.sample] : Array.from({ length: Math.min(4, rec.labels.length) }, (_, i) => i);
    for (const l of recLayers) {
      const rows = l.neuronIds.length;
      const raster = samples.map((s) => {
        const dense = new Uint8Array(rec.steps * rows);
        for (const i of l.spikes[s]!) dense[i] = 1;
        return { spikes: dense, title: sampleTitle(s) };
      });
      add(`raster-${slug(l.path)}.svg`, `Spike raster, layer ${l.path} (${l.kind})`, spikeRaster({ title: `Spike raster: layer ${l.path} (${l.kind})`, steps: rec.steps, neurons: rows, samples: raster, neuronIds: l.neuronIds, layerNeurons: l.neurons }));
    }
  }
  if (need(rec !== null, 'traces', 'the run recorded no membranes (plots/data.json has no recording)') && rec) {
    const s = opts.sample ?? 0;
    for (const l of recLayers) {
      const traces = l.traces.filter((t) => t.sample === s);
      if (traces.length === 0) continue;
      add(
        `traces-${slug(l.path)}.svg`,
        `Membrane traces, layer ${l.path} (${l.kind})`,
        membraneTraces({
          title: `Membrane traces: layer ${l.path} (${l.kind}), ${sampleTitle(s)}`,
          traces: traces.map((t) => {
            const spikes = new Uint8Array(t.membrane.length);
            for (const k of t.spikeSteps) spikes[k] = 1;
            return { label: `neuron ${t.neuron}`, membrane: t.membrane, threshold: t.threshold, spikes };
          }),
        }),
      );
    }
  }
  if (need(measured.length > 0, 'rates', 'the run measured no spiking layer')) {
    add('firing-rates.svg', 'Firing rate per neuron', firingRateHistogram(measured.map((l) => ({ name: `layer ${l.path} (${l.kind})`, rates: l.rates }))));
  }
  if (need(measured.length > 0, 'heatmap', 'the run measured no spiking layer')) {
    for (const l of measured) {
      add(
        `heatmap-${slug(l.path)}.svg`,
        `Spike count per neuron, layer ${l.path} (${l.kind})`,
        spikeCountHeatmap({ title: `Spikes per neuron: layer ${l.path} (${l.kind})`, shape: l.shape.length > 0 ? l.shape : [l.rates.length], values: l.rates.map((r) => r * l.steps), unit: 'spikes per sample' }),
      );
    }
  }
  if (need(measured.length > 0, 'health', 'the run measured no spiking layer')) {
    add('neurons.svg', 'Dead and saturated neurons', neuronHealth(measured.map((l) => ({ name: `${l.path}:${l.kind}`, neurons: l.rates.length, dead: l.dead, saturated: l.saturated }))));
  }
  if (need(data.confusion !== null, 'confusion', 'the run holds no confusion matrix') && data.confusion) {
    add('confusion.svg', 'Confusion matrix', confusionMatrix(data.confusion, { title: `Confusion matrix: ${data.name}` }));
    add('class-accuracy.svg', 'Accuracy per class', perClassAccuracy(data.confusion, { title: `Accuracy per class: ${data.name}` }));
  }
  if (need(data.energy !== null && data.energy.layers.length > 0, 'energy', 'the run holds no energy estimate') && data.energy) {
    add('energy.svg', 'Energy per layer', energyBreakdown(data.energy.layers, { precision: data.energy.precision, title: `Energy per layer: ${data.name}` }));
  }
  const delays = data.delays ?? [];
  if (need(delays.length > 0, 'delays', 'the model has no delay layer') && delays.length > 0) {
    add('delays.svg', 'Learned synaptic delays per layer', delayHistogram(delays, { title: `Synaptic delays: ${data.name}` }));
  }
  return out;
}

/** Parse and check plots/data.json text; `where` names the file in errors. */
export function parseRunPlotData(textIn: string, where: string): RunPlotData {
  let v: unknown;
  try {
    v = JSON.parse(textIn);
  } catch (e) {
    throw new ConfigError(`${where}: not JSON (${(e as Error).message})`);
  }
  const d = v as Partial<RunPlotData> | null;
  if (!d || d.format !== 'spikeflow-plot-data') throw new ConfigError(`${where}: not a spikeflow plot-data file`);
  if (d.version !== 1) throw new ConfigError(`${where}: plot-data version ${String(d.version)} is not supported (this spikeflow reads version 1)`);
  if (!Array.isArray(d.history) || !Array.isArray(d.layers)) throw new ConfigError(`${where}: missing 'history' or 'layers'`);
  return d as RunPlotData;
}
