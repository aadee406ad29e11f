import { ShapeError } from '../errors.js';
import { drawPanel, figure, grid, panel } from './frame.js';
import { el } from './svg.js';
import { OKABE_ITO } from './style.js';

/** The learned synaptic delays of one layer, in steps, each in [0, maxDelay]. */
export interface LayerDelays {
  layer: string;
  delays: ArrayLike<number>;
  maxDelay: number;
}

/**
 * How many synapses learned each delay, one panel per layer. Bins are one
 * step wide (centred on 0, 1, …, maxDelay) so integer delays fall in their
 * own bar; fractional delays go to the nearest step. Delays outside
 * [0, maxDelay] are an error, not clipped silently.
 */
export function delayHistogram(layers: readonly LayerDelays[], opts: { width?: number; title?: string } = {}): string {
  if (layers.length === 0) throw new ShapeError('delayHistogram: no layers');
  const cols = Math.min(3, layers.length);
  const rows = Math.ceil(layers.length / cols);
  const width = opts.width ?? Math.max(480, cols * 330 + 60);
  const height = 64 + rows * 250 + 10;
  const boxes = grid(layers.length, cols, { x: 84, y: 82, w: width - 114, h: rows * 250 - 70 }, 84, 88);
  const body: string[] = [];
  layers.forEach((l, k) => {
    const D = l.maxDelay;
    if (!(Number.isInteger(D) && D >= 0)) throw new ShapeError(`delayHistogram: ${l.layer}: maxDelay must be a non-negative integer, got ${D}`);
    const counts = new Array<number>(D + 1).fill(0);
    let sum = 0;
    for (let i = 0; i < l.delays.length; i++) {
      const d = l.delays[i]!;
      if (!(d >= -0.5 && d <= D + 0.5)) throw new ShapeError(`delayHistogram: ${l.layer}: delay ${d} at ${i} is outside [0, ${D}]`);
      counts[Math.min(D, Math.max(0, Math.round(d)))]!++;
      sum += d;
    }
    const mean = l.delays.length ? sum / l.delays.length : 0;
    const p = panel(
      boxes[k]!,
      { lo: -0.5, hi: D + 0.5, label: 'delay (steps)', exact: true, integer: true, grid: false, ticks: Math.min(10, D + 1) },
      { lo: 0, hi: Math.max(1, ...counts), label: 'synapses', integer: true, grid: true },
      { title: `${l.layer}: mean ${mean.toFixed(2)} steps` },
    );
    const bars: string[] = [];
    const bw = Math.abs(p.x(1) - p.x(0)) * 0.85;
    counts.forEach((c, d) => {
      if (c > 0) bars.push(el('rect', { x: p.x(d) - bw / 2, y: p.y(c), width: bw, height: p.y(0) - p.y(c), fill: OKABE_ITO.green, class: 'bar' }));
    });
    body.push(...drawPanel(p, bars));
  });
  const n = layers.reduce((a, l) => a + l.delays.length, 0);
  return figure(width, height, opts.title ?? 'Learned synaptic delays', body, `${n} synapses in ${layers.length} layer${layers.length === 1 ? '' : 's'}; bins one step wide`);
}
