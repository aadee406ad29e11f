import { el, esc, num, text, type Attrs } from './svg.js';
import { linearScale, niceDomain, tickLabel, ticks, type LinearScale } from './scale.js';
import { AXIS, FONT, FONT_SIZE, GRID, INK, textWidth } from './style.js';

/**
 * The frame shared by the plots: a figure (title, white background, fixed
 * size) holding one or more panels, each a rectangle with axes, ticks, grid
 * lines and axis titles. Plot files only decide what goes inside the panels.
 */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The whole SVG document. `body` is the already-drawn content. */
export function figure(width: number, height: number, title: string, body: readonly string[], subtitle?: string): string {
  const head = [
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    text(width / 2, 22, title, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.title, 'font-weight': 'bold', fill: INK, class: 'title' }),
  ];
  if (subtitle) head.push(text(width / 2, 39, subtitle, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.note, fill: AXIS, class: 'subtitle' }));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${esc(FONT)}" font-size="${FONT_SIZE.tick}">` +
    `<title>${esc(title)}</title>` +
    head.join('') +
    body.join('') +
    '</svg>\n'
  );
}

export interface AxisSpec {
  /** Data range; widened to nice ticks unless `exact`. */
  lo: number;
  hi: number;
  label: string;
  /** Keep lo/hi as given (ticks still at nice values inside). */
  exact?: boolean;
  /** About how many intervals. */
  ticks?: number;
  /** Ticks only at integers (counts, time steps, neuron indices). */
  integer?: boolean;
  /** Label ticks with these names at 0, 1, 2, … instead of numbers (categories). */
  categories?: readonly string[];
  /** Draw grid lines across the panel at the ticks. */
  grid?: boolean;
  /** Ticks exactly here instead of at nice steps (e.g. 0 and a threshold). */
  tickValues?: readonly number[];
  /** Tick label formatter (default: decimals from the step). */
  format?: (v: number) => string;
}

export interface Panel {
  box: Box;
  x: LinearScale;
  y: LinearScale;
  /** Grid, axes, ticks and titles (draw the data between `back` and `front`). */
  back: string[];
  front: string[];
}

function resolveAxis(a: AxisSpec): { domain: [number, number]; tickValues: number[]; step: number } {
  if (a.categories) {
    const n = a.categories.length;
    return { domain: [-0.5, n - 0.5], tickValues: Array.from({ length: n }, (_, i) => i), step: 1 };
  }
  const count = a.ticks ?? 5;
  const nd = niceDomain(a.lo, a.hi, count);
  let step = nd.step;
  if (a.integer) step = Math.max(1, Math.round(step));
  const domain: [number, number] = a.exact ? [a.lo, a.hi === a.lo ? a.lo + 1 : a.hi] : a.integer ? [Math.floor(nd.domain[0]), Math.ceil(nd.domain[1])] : nd.domain;
  if (a.tickValues) return { domain, tickValues: a.tickValues.filter((v) => v >= Math.min(...domain) && v <= Math.max(...domain)), step: 0.01 };
  return { domain, tickValues: ticks(domain[0], domain[1], step), step };
}

/**
 * A panel with axes: x runs left to right, y bottom to top (set `flipY` for
 * rows counted from the top, as in rasters and matrices).
 */
export function panel(box: Box, xa: AxisSpec, ya: AxisSpec, opts: { flipY?: boolean; rotateX?: boolean; title?: string } = {}): Panel {
  const xr = resolveAxis(xa);
  const yr = resolveAxis(ya);
  const x = linearScale(xr.domain, [box.x, box.x + box.w]);
  const y = linearScale(yr.domain, opts.flipY ? [box.y, box.y + box.h] : [box.y + box.h, box.y]);
  const back: string[] = [];
  const front: string[] = [];
  const bottom = box.y + box.h;
  const fmt = (a: AxisSpec, v: number, step: number): string => (a.categories ? (a.categories[v] ?? '') : a.format ? a.format(v) : tickLabel(v, step));
  // Category axes label every tick; thin numeric labels out only if they would collide.
  const xLabels = xr.tickValues.map((v) => fmt(xa, v, xr.step));
  const widest = Math.max(0, ...xLabels.map((s) => textWidth(s, FONT_SIZE.tick)));
  const rotate = opts.rotateX ?? (xr.tickValues.length > 1 && widest > (box.w / xr.tickValues.length) * 0.9);
  const every = rotate && !xa.categories ? 1 : Math.max(1, Math.ceil((widest + 4) / Math.max(1, box.w / Math.max(1, xr.tickValues.length))));
  xr.tickValues.forEach((v, i) => {
    const px = x(v);
    if (xa.grid) back.push(el('line', { x1: px, y1: box.y, x2: px, y2: bottom, stroke: GRID, 'stroke-width': 1 }));
    front.push(el('line', { x1: px, y1: bottom, x2: px, y2: bottom + 4, stroke: AXIS, 'stroke-width': 1 }));
    if (i % every !== 0 && !rotate) return;
    if (rotate) front.push(text(px, bottom + 8, xLabels[i]!, { 'text-anchor': 'end', 'dominant-baseline': 'middle', transform: `rotate(-45 ${num(px)} ${num(bottom + 8)})`, fill: INK, class: 'xtick' }));
    else front.push(text(px, bottom + 16, xLabels[i]!, { 'text-anchor': 'middle', fill: INK, class: 'xtick' }));
  });
  // y labels thinned so they never overlap vertically.
  const yEvery = Math.max(1, Math.ceil((FONT_SIZE.tick + 2) / Math.max(1e-9, box.h / Math.max(1, yr.tickValues.length))));
  let lastLabelY = Infinity;
  yr.tickValues.forEach((v, i) => {
    const py = y(v);
    if (ya.grid) back.push(el('line', { x1: box.x, y1: py, x2: box.x + box.w, y2: py, stroke: GRID, 'stroke-width': 1 }));
    // Explicit ticks can sit close together (0 and a threshold): skip a label that would overlap the last one.
    if (i % yEvery !== 0 || Math.abs(py - lastLabelY) < FONT_SIZE.tick + 1) return;
    lastLabelY = py;
    front.push(el('line', { x1: box.x - 4, y1: py, x2: box.x, y2: py, stroke: AXIS, 'stroke-width': 1 }));
    front.push(text(box.x - 7, py + 3.5, fmt(ya, v, yr.step), { 'text-anchor': 'end', fill: INK, class: 'ytick' }));
  });
  front.push(el('rect', { x: box.x, y: box.y, width: box.w, height: box.h, fill: 'none', stroke: AXIS, 'stroke-width': 1 }));
  const xTitleY = bottom + (rotate ? 12 + Math.min(widest, 80) * 0.72 : 32);
  if (xa.label) front.push(text(box.x + box.w / 2, xTitleY, xa.label, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK, class: 'xlabel' }));
  if (ya.label) {
    const yWidest = Math.max(0, ...yr.tickValues.map((v) => textWidth(fmt(ya, v, yr.step), FONT_SIZE.tick)));
    const lx = box.x - 14 - Math.min(yWidest, 70);
    front.push(text(lx, box.y + box.h / 2, ya.label, { 'text-anchor': 'middle', transform: `rotate(-90 ${num(lx)} ${num(box.y + box.h / 2)})`, 'font-size': FONT_SIZE.label, fill: INK, class: 'ylabel' }));
  }
  if (opts.title) front.push(text(box.x + box.w / 2, box.y - 7, opts.title, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, 'font-weight': 'bold', fill: INK, class: 'panel-title' }));
  return { box, x, y, back, front };
}

/** Panel content in drawing order, clipped to nothing (data stays inside by construction). */
export function drawPanel(p: Panel, data: readonly string[]): string[] {
  return [...p.back, ...data, ...p.front];
}

export interface LegendItem {
  label: string;
  color: string;
  /** 'line' (with optional dash), 'box' (filled square) or 'dot'. */
  mark: 'line' | 'box' | 'dot';
  dash?: string;
}

/** A legend block anchored at its top-left corner, one item per row. */
export function legend(x: number, y: number, items: readonly LegendItem[], opts: { background?: boolean } = {}): string[] {
  const rowH = 16;
  const w = 26 + Math.max(0, ...items.map((i) => textWidth(i.label, FONT_SIZE.tick)));
  const out: string[] = [];
  if (opts.background) out.push(el('rect', { x: x - 4, y: y - 4, width: w + 8, height: items.length * rowH + 6, fill: '#ffffff', 'fill-opacity': 0.85, stroke: GRID }));
  items.forEach((it, i) => {
    const cy = y + i * rowH + 7;
    const a: Attrs = { class: 'legend-mark' };
    if (it.mark === 'line') out.push(el('line', { ...a, x1: x, y1: cy, x2: x + 18, y2: cy, stroke: it.color, 'stroke-width': 2, 'stroke-dasharray': it.dash }));
    else if (it.mark === 'dot') out.push(el('circle', { ...a, cx: x + 9, cy, r: 3.5, fill: it.color }));
    else out.push(el('rect', { ...a, x: x + 3, y: cy - 6, width: 12, height: 12, fill: it.color }));
    out.push(text(x + 24, cy + 3.5, it.label, { fill: INK, class: 'legend-label' }));
  });
  return out;
}

/** Width a legend of these items takes. */
export function legendWidth(items: readonly LegendItem[]): number {
  return 34 + Math.max(0, ...items.map((i) => textWidth(i.label, FONT_SIZE.tick)));
}

/** A vertical colour bar for a sequential map, values lo..hi, with ticks and a title. */
export function colorBar(box: Box, lo: number, hi: number, color: (t: number) => string, label: string): string[] {
  const out: string[] = [];
  const n = 32;
  for (let i = 0; i < n; i++) {
    const t0 = i / n;
    out.push(el('rect', { x: box.x, y: box.y + box.h * (1 - (i + 1) / n), width: box.w, height: box.h / n + 0.5, fill: color(t0 + 0.5 / n), class: 'colorbar' }));
  }
  out.push(el('rect', { x: box.x, y: box.y, width: box.w, height: box.h, fill: 'none', stroke: AXIS }));
  const nd = niceDomain(lo, hi, 4);
  const y = linearScale([lo, hi === lo ? lo + 1 : hi], [box.y + box.h, box.y]);
  for (const v of ticks(lo, hi === lo ? lo + 1 : hi, nd.step)) {
    out.push(el('line', { x1: box.x + box.w, y1: y(v), x2: box.x + box.w + 4, y2: y(v), stroke: AXIS }));
    out.push(text(box.x + box.w + 7, y(v) + 3.5, tickLabel(v, nd.step), { fill: INK, class: 'cbtick' }));
  }
  const lx = box.x + box.w + 48;
  out.push(text(lx, box.y + box.h / 2, label, { 'text-anchor': 'middle', transform: `rotate(-90 ${num(lx)} ${num(box.y + box.h / 2)})`, 'font-size': FONT_SIZE.label, fill: INK, class: 'cblabel' }));
  return out;
}

/** Lay `n` equal panels out in a grid of `cols` columns inside `area`, with gaps. */
export function grid(n: number, cols: number, area: Box, gapX: number, gapY: number): Box[] {
  const c = Math.max(1, Math.min(cols, n));
  const rows = Math.max(1, Math.ceil(n / c));
  const w = (area.w - gapX * (c - 1)) / c;
  const h = (area.h - gapY * (rows - 1)) / rows;
  return Array.from({ length: n }, (_, i) => ({ x: area.x + (i % c) * (w + gapX), y: area.y + Math.floor(i / c) * (h + gapY), w, h }));
}
