import { ShapeError } from '../errors.js';
import { colorBar, drawPanel, figure, grid, legend, panel } from './frame.js';
import { el, text } from './svg.js';
import { AXIS, FONT_SIZE, INK, OKABE_ITO, sequential, textWidth } from './style.js';

/** Per-neuron firing rates of one layer, in spikes per step (0..1). */
export interface LayerRates {
  name: string;
  rates: ArrayLike<number>;
}

/** Counts of `values` in `bins` equal bins over [lo, hi]; the last bin includes hi. */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]!++;
  }
  return counts;
}

/**
 * Firing-rate histogram per layer (small multiples): how many neurons fire at
 * each rate, 20 bins over [0, 1] spikes per step. Each panel's title names
 * the layer's mean rate and its dead (never fired) and saturated (fired every
 * step) neurons, which sit in the first and last bins.
 */
export function firingRateHistogram(layers: readonly LayerRates[], opts: { bins?: number; width?: number; title?: string } = {}): string {
  if (layers.length === 0) throw new ShapeError('firingRateHistogram: no layers');
  const bins = opts.bins ?? 20;
  const cols = Math.min(3, layers.length);
  const rows = Math.ceil(layers.length / cols);
  const width = opts.width ?? Math.max(480, cols * 330 + 60);
  const height = 64 + rows * 250 + 10;
  const boxes = grid(layers.length, cols, { x: 78, y: 82, w: width - 108, h: rows * 250 - 70 }, 80, 88);
  const body: string[] = [];
  layers.forEach((l, k) => {
    const counts = histogram(l.rates, bins, 0, 1);
    let sum = 0, dead = 0, sat = 0;
    for (let i = 0; i < l.rates.length; i++) {
      const r = l.rates[i]!;
      sum += r;
      if (r === 0) dead++;
      if (r >= 1) sat++;
    }
    const mean = l.rates.length > 0 ? sum / l.rates.length : 0;
    const p = panel(
      boxes[k]!,
      { lo: 0, hi: 1, label: 'firing rate (spikes / step)', exact: true, grid: true },
      // Headroom above the tallest bar for the note in the corner.
      { lo: 0, hi: Math.max(1, ...counts) * 1.18, label: 'neurons', integer: true, grid: true },
      { title: `${l.name}: mean ${(100 * mean).toFixed(1)}%` },
    );
    const bars: string[] = [];
    const y0 = p.y(0);
    counts.forEach((c, b) => {
      if (c === 0) return;
      const x0 = p.x(b / bins), x1 = p.x((b + 1) / bins);
      bars.push(el('rect', { x: x0 + 0.5, y: p.y(c), width: Math.max(0.5, x1 - x0 - 1), height: y0 - p.y(c), fill: OKABE_ITO.blue, class: 'bar' }));
    });
    body.push(...drawPanel(p, bars));
    const note = `${l.rates.length} neurons · dead ${dead} · saturated ${sat}`;
    body.push(text(p.box.x + p.box.w - 4, p.box.y + 14, note, { 'text-anchor': 'end', fill: AXIS, 'font-size': FONT_SIZE.note, class: 'note' }));
  });
  return figure(width, height, opts.title ?? 'Firing rate per neuron', body, 'rate = spikes / (steps × samples) per neuron, on the measured test samples');
}

export interface HeatmapInput {
  title: string;
  /** Feature shape of the layer: [C, H, W] draws C tiles of H×W; anything else one near-square tile. */
  shape: readonly number[];
  values: ArrayLike<number>;
  /** What a value is, for the colour bar, e.g. 'spikes / sample'. */
  unit: string;
}

/**
 * Per-neuron heat map of one layer (spike counts or rates), coloured with the
 * sequential map from 0 to the layer's maximum. A [C, H, W] layer shows one
 * H×W tile per channel; other shapes are wrapped row by row into a
 * near-square tile (neuron i at row ⌊i / cols⌋, column i mod cols).
 */
export function spikeCountHeatmap(input: HeatmapInput, opts: { width?: number } = {}): string {
  const n = input.values.length;
  const size = input.shape.reduce((a, b) => a * b, 1);
  if (n === 0 || size !== n) throw new ShapeError(`spikeCountHeatmap: ${n} values for shape [${input.shape.join(', ')}]`);
  const tiled = input.shape.length === 3;
  const C = tiled ? input.shape[0]! : 1;
  const H = tiled ? input.shape[1]! : Math.max(1, Math.round(Math.sqrt(n)));
  const W = tiled ? input.shape[2]! : Math.ceil(n / H);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, input.values[i]!);
  const width = opts.width ?? 640;
  const cols = Math.max(1, Math.min(C, Math.ceil(Math.sqrt((C * H) / W))));
  const rows = Math.ceil(C / cols);
  const areaW = width - 60 - 110;
  const cell = Math.max(0.5, Math.min(28, (areaW - (cols - 1) * 8) / (cols * W), 560 / (rows * H)));
  const tileW = cell * W, tileH = cell * H;
  const gapY = tiled ? 16 : 0;
  const height = 64 + rows * (tileH + gapY) + 40;
  const body: string[] = [];
  for (let c = 0; c < C; c++) {
    const ox = 40 + (c % cols) * (tileW + 8);
    const oy = 64 + Math.floor(c / cols) * (tileH + gapY) + (tiled ? 12 : 0);
    if (tiled) body.push(text(ox, oy - 3, `ch ${c}`, { fill: AXIS, 'font-size': 9.5, class: 'tile-label' }));
    body.push(el('rect', { x: ox, y: oy, width: tileW, height: tileH, fill: sequential(0), class: 'tile' }));
    for (let i = 0; i < H * W; i++) {
      const idx = c * H * W + i;
      if (idx >= n) break;
      const v = input.values[idx]!;
      if (v === 0) continue; // the tile background is the zero colour
      body.push(el('rect', { x: ox + (i % W) * cell, y: oy + Math.floor(i / W) * cell, width: cell, height: cell, fill: sequential(max > 0 ? v / max : 0), class: 'cell' }));
    }
  }
  const cbH = Math.min(220, Math.max(80, height - 64 - 60));
  body.push(...colorBar({ x: width - 110, y: 70, w: 14, h: cbH }, 0, max, sequential, input.unit));
  const sub = tiled ? `${C} channels × ${H}×${W}` : `${n} neurons, row by row (${W} per row)`;
  return figure(width, height, input.title, body, sub);
}

export interface LayerHealth {
  name: string;
  neurons: number;
  /** Never fired on the measured samples. */
  dead: number;
  /** Fired on every step of every measured sample. */
  saturated: number;
}

/**
 * Dead / active / saturated neurons per layer as 100 % stacked bars, with the
 * counts written beside each bar.
 */
export function neuronHealth(layers: readonly LayerHealth[], opts: { width?: number } = {}): string {
  if (layers.length === 0) throw new ShapeError('neuronHealth: no layers');
  const labelW = Math.min(200, Math.max(60, ...layers.map((l) => textWidth(l.name, FONT_SIZE.tick))));
  const width = opts.width ?? 720;
  const barH = 24;
  const left = 20 + labelW;
  const height = 64 + 30 + layers.length * (barH + 14) + 76;
  const p = panel(
    { x: left, y: 84, w: width - left - 200, h: layers.length * (barH + 14) },
    { lo: 0, hi: 100, label: 'share of the layer’s neurons (%)', exact: true, grid: true },
    { lo: 0, hi: 0, label: '', categories: layers.map((l) => l.name) },
    { flipY: true },
  );
  const bars: string[] = [];
  const colors = { dead: OKABE_ITO.vermillion, active: OKABE_ITO.skyBlue, saturated: OKABE_ITO.orange };
  const notes: string[] = [];
  layers.forEach((l, k) => {
    if (l.dead + l.saturated > l.neurons) throw new ShapeError(`neuronHealth: ${l.name}: dead ${l.dead} + saturated ${l.saturated} > ${l.neurons} neurons`);
    const parts: [keyof typeof colors, number][] = [['dead', l.dead], ['active', l.neurons - l.dead - l.saturated], ['saturated', l.saturated]];
    let acc = 0;
    const cy = p.y(k);
    for (const [kind, count] of parts) {
      const share = l.neurons > 0 ? (100 * count) / l.neurons : 0;
      if (count > 0) bars.push(el('rect', { x: p.x(acc), y: cy - barH / 2, width: p.x(acc + share) - p.x(acc), height: barH, fill: colors[kind], class: `bar ${kind}` }));
      acc += share;
    }
    const pc = (c: number): string => `${((100 * c) / Math.max(1, l.neurons)).toFixed(1)}%`;
    notes.push(text(p.box.x + p.box.w + 8, cy + 4, `dead ${l.dead} (${pc(l.dead)}) · sat. ${l.saturated}`, { fill: INK, class: 'note' }));
  });
  const body = [...drawPanel(p, bars), ...notes];
  body.push(
    ...legend(left, height - 30, [
      { label: 'dead (never fired)', color: colors.dead, mark: 'box' },
    ]),
    ...legend(left + 170, height - 30, [{ label: 'active', color: colors.active, mark: 'box' }]),
    ...legend(left + 260, height - 30, [{ label: 'saturated (fired every step)', color: colors.saturated, mark: 'box' }]),
  );
  return figure(width, height, 'Dead and saturated neurons per layer', body, `${layers.reduce((a, l) => a + l.neurons, 0)} neurons in ${layers.length} spiking layer${layers.length === 1 ? '' : 's'}, on the measured test samples`);
}
