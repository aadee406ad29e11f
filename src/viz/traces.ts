import { ShapeError } from '../errors.js';
import { drawPanel, figure, legend, panel } from './frame.js';
import { el, polyline, text } from './svg.js';
import { FONT_SIZE, INK, OKABE_ITO } from './style.js';

export interface Trace {
  /** Row label, e.g. `neuron 12`. */
  label: string;
  /** Membrane potential per step. */
  membrane: ArrayLike<number>;
  /** Firing threshold of this neuron (drawn dashed). */
  threshold: number;
  /** Spikes per step (nonzero = spike); marked above the trace. */
  spikes?: ArrayLike<number>;
}

export interface TracesInput {
  title: string;
  traces: readonly Trace[];
  time?: { dt: number; unit: string };
}

/**
 * Membrane traces, one row per neuron sharing the time axis: the membrane as
 * a line, its threshold dashed, and a tick above the trace at each spike.
 * Each row has its own y range (0, the threshold and the trace's extremes), so
 * a neuron far below threshold is still readable.
 */
export function membraneTraces(input: TracesInput, opts: { width?: number; rowHeight?: number } = {}): string {
  const rows = input.traces;
  if (rows.length === 0) throw new ShapeError('membraneTraces: no traces');
  const T = rows[0]!.membrane.length;
  for (const r of rows) {
    if (r.membrane.length !== T) throw new ShapeError(`membraneTraces: '${r.label}' has ${r.membrane.length} steps, the first trace ${T}`);
    if (r.spikes && r.spikes.length !== T) throw new ShapeError(`membraneTraces: '${r.label}' has ${r.spikes.length} spike entries for ${T} steps`);
  }
  const width = opts.width ?? 720;
  const rowH = opts.rowHeight ?? 74;
  const gap = 14;
  const top = 64;
  const height = top + rows.length * (rowH + gap) - gap + 50;
  const dt = input.time?.dt ?? 1;
  const body: string[] = [];
  rows.forEach((r, k) => {
    let lo = Math.min(0, r.threshold), hi = Math.max(0, r.threshold);
    for (let t = 0; t < T; t++) {
      const v = r.membrane[t]!;
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    hi += (hi - lo) * 0.22; // headroom for the spike ticks
    const last = k === rows.length - 1;
    const p = panel(
      { x: 150, y: top + k * (rowH + gap), w: width - 150 - 130, h: rowH },
      { lo: 0, hi: (T - 1) * dt, label: last ? (input.time ? `time (${input.time.unit})` : 'time step') : '', exact: true, integer: !input.time, grid: true },
      { lo, hi, label: '', exact: true, tickValues: [0, r.threshold], format: (v) => String(Math.round(v * 1000) / 1000) },
    );
    if (!last) p.front = p.front.filter((e) => !e.includes('class="xtick"'));
    const xs = Array.from({ length: T }, (_, t) => p.x(t * dt));
    const ys = Array.from({ length: T }, (_, t) => p.y(r.membrane[t]!));
    const marks: string[] = [];
    marks.push(el('line', { x1: p.box.x, y1: p.y(r.threshold), x2: p.box.x + p.box.w, y2: p.y(r.threshold), stroke: OKABE_ITO.vermillion, 'stroke-width': 1.2, 'stroke-dasharray': '5 3', class: 'threshold' }));
    marks.push(...polyline(xs, ys, { stroke: OKABE_ITO.blue, 'stroke-width': 1.6, class: 'trace' }));
    if (r.spikes) {
      for (let t = 0; t < T; t++) {
        if (r.spikes[t]) marks.push(el('line', { x1: xs[t]!, y1: p.box.y + 2, x2: xs[t]!, y2: p.box.y + 11, stroke: OKABE_ITO.black, 'stroke-width': 2, class: 'spike' }));
      }
    }
    body.push(...drawPanel(p, marks));
    body.push(text(14, p.box.y + rowH / 2 + 4, r.label, { fill: INK, 'font-size': FONT_SIZE.label, class: 'row-label' }));
  });
  body.push(
    ...legend(width - 118, top, [
      { label: 'membrane U', color: OKABE_ITO.blue, mark: 'line' },
      { label: 'threshold', color: OKABE_ITO.vermillion, mark: 'line', dash: '5 3' },
      { label: 'spike', color: OKABE_ITO.black, mark: 'box' },
    ]),
  );
  return figure(width, height, input.title, body, 'membrane potential U (model units) per neuron; dashed: threshold; ticks along the top: spikes');
}
