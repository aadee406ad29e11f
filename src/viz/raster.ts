import { ShapeError } from '../errors.js';
import { drawPanel, figure, grid, panel } from './frame.js';
import { el } from './svg.js';
import { INK } from './style.js';

/** One sample's spikes of one layer: `spikes[t * neurons + i]` nonzero when neuron i fired at step t. */
export interface RasterSample {
  spikes: ArrayLike<number>;
  /** Panel title, e.g. `sample 0 · label 7 · predicted 7`. */
  title?: string;
}

export interface RasterInput {
  /** Figure title (e.g. the layer). */
  title: string;
  steps: number;
  neurons: number;
  samples: readonly RasterSample[];
  /**
   * The neuron index each row stands for when the rows are a subset of the
   * layer (default 0..neurons-1); the y axis names these.
   */
  neuronIds?: ArrayLike<number>;
  /** Neurons in the whole layer when the rows are a subset (shown in the subtitle). */
  layerNeurons?: number;
  /** Length of one step and its unit, e.g. `{ dt: 1, unit: 'ms' }`; default: axis in steps. */
  time?: { dt: number; unit: string };
}

export interface RasterOptions {
  width?: number;
  height?: number;
}

/**
 * Spike raster: time on x, neuron on y (row 0 at the top), one mark per spike;
 * several samples side by side share the neuron axis. Marks are narrow bars
 * (a step's width × 0.7, a row's height), so short sequences read as a raster
 * rather than a heat map.
 */
export function spikeRaster(input: RasterInput, opts: RasterOptions = {}): string {
  const { steps: T, neurons: N, samples } = input;
  if (!(T > 0 && N > 0) || samples.length === 0) throw new ShapeError(`spikeRaster: need steps, neurons and at least one sample (got ${T} steps, ${N} neurons, ${samples.length} samples)`);
  for (const [k, s] of samples.entries()) {
    if (s.spikes.length !== T * N) throw new ShapeError(`spikeRaster: sample ${k} has ${s.spikes.length} values, expected steps × neurons = ${T} × ${N}`);
  }
  const ids = input.neuronIds;
  if (ids && ids.length !== N) throw new ShapeError(`spikeRaster: ${ids.length} neuron ids for ${N} rows`);
  const width = opts.width ?? Math.max(520, 110 + samples.length * 230);
  const height = opts.height ?? 460;
  const dt = input.time?.dt ?? 1;
  const xLabel = input.time ? `time (${input.time.unit})` : 'time step';
  const area = { x: 78, y: 64, w: width - 98, h: height - 64 - 52 };
  const boxes = grid(samples.length, samples.length, area, 18, 0);
  const body: string[] = [];
  let total = 0;
  samples.forEach((s, k) => {
    const p = panel(
      boxes[k]!,
      { lo: -0.5 * dt, hi: (T - 0.5) * dt, label: xLabel, exact: true, integer: !input.time, grid: false },
      // Rows are positions 0..N-1; their labels are the neuron ids they stand for.
      { lo: -0.5, hi: N - 0.5, label: k === 0 ? 'neuron' : '', exact: true, integer: true, format: (v) => String(ids ? (ids[Math.round(v)] ?? '') : Math.round(v)) },
      { flipY: true, title: s.title },
    );
    if (k > 0) {
      // Later panels share the first one's neuron axis: drop their tick labels.
      p.front = p.front.filter((e) => !e.includes('class="ytick"'));
    }
    const colW = Math.abs(p.x(dt) - p.x(0));
    const rowH = Math.abs(p.y(1) - p.y(0));
    const w = Math.max(1, colW * 0.7);
    const h = Math.max(0.8, rowH * 0.9);
    const marks: string[] = [];
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) {
        if (!s.spikes[t * N + i]) continue;
        marks.push(el('rect', { x: p.x(t * dt) - w / 2, y: p.y(i) - h / 2, width: w, height: h, fill: INK, class: 'spike' }));
      }
    }
    total += marks.length;
    body.push(...drawPanel(p, marks));
  });
  const subset = input.layerNeurons !== undefined && input.layerNeurons > N ? `${N} of ${input.layerNeurons} neurons shown` : `${N} neurons`;
  const sub = `${subset} · ${T} steps · ${total} spikes in ${samples.length} sample${samples.length === 1 ? '' : 's'}`;
  return figure(width, height, input.title, body, sub);
}
