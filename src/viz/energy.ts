import { ShapeError } from '../errors.js';
import { drawPanel, figure, legend, panel } from './frame.js';
import { el, text } from './svg.js';
import { FONT_SIZE, INK, OKABE_ITO } from './style.js';

/** Compute and memory energy of one network variant at one layer, in picojoules per sample. */
export interface EnergySplit {
  computePJ: number;
  memoryPJ: number;
}

export interface LayerEnergyRow {
  name: string;
  snn: EnergySplit;
  ann: EnergySplit;
}

/** The unit that keeps `maxPJ` between 1 and 1000: pJ, nJ, µJ or mJ. */
export function energyUnit(maxPJ: number): { unit: string; perPJ: number } {
  const units: [string, number][] = [['pJ', 1], ['nJ', 1e-3], ['µJ', 1e-6], ['mJ', 1e-9]];
  for (const [unit, perPJ] of units) if (maxPJ * perPJ < 1000) return { unit, perPJ };
  return { unit: 'J', perPJ: 1e-12 };
}

const COLORS = {
  snnCompute: OKABE_ITO.blue,
  snnMemory: OKABE_ITO.skyBlue,
  annCompute: OKABE_ITO.vermillion,
  annMemory: OKABE_ITO.orange,
};

/**
 * Energy per sample for each layer: two stacked bars per layer, the SNN
 * (blue: compute, light blue: memory) beside the equivalent ANN (vermillion:
 * compute, orange: memory), in one unit chosen from the largest bar.
 */
export function energyBreakdown(layers: readonly LayerEnergyRow[], opts: { precision?: string; width?: number; title?: string } = {}): string {
  if (layers.length === 0) throw new ShapeError('energyBreakdown: no layers');
  const totals = layers.flatMap((l) => [l.snn.computePJ + l.snn.memoryPJ, l.ann.computePJ + l.ann.memoryPJ]);
  const { unit, perPJ } = energyUnit(Math.max(...totals));
  const width = opts.width ?? Math.max(560, 200 + layers.length * 110);
  const height = 420;
  const p = panel(
    { x: 84, y: 64, w: width - 84 - 190, h: height - 64 - 90 },
    { lo: 0, hi: 0, label: 'layer', categories: layers.map((l) => l.name) },
    { lo: 0, hi: Math.max(...totals) * perPJ, label: `energy per sample (${unit})`, grid: true },
  );
  const slot = p.box.w / layers.length;
  const bw = Math.min(34, slot * 0.36);
  const bars: string[] = [];
  layers.forEach((l, i) => {
    const cx = p.x(i);
    for (const [variant, x, cc, mc] of [['snn', cx - bw - 1, COLORS.snnCompute, COLORS.snnMemory], ['ann', cx + 1, COLORS.annCompute, COLORS.annMemory]] as const) {
      const e = l[variant];
      const c = e.computePJ * perPJ, m = e.memoryPJ * perPJ;
      bars.push(el('rect', { x, y: p.y(c), width: bw, height: p.y(0) - p.y(c), fill: cc, class: `bar ${variant} compute` }));
      bars.push(el('rect', { x, y: p.y(c + m), width: bw, height: p.y(c) - p.y(c + m), fill: mc, class: `bar ${variant} memory` }));
      bars.push(text(x + bw / 2, p.y(c + m) - 4, variant.toUpperCase(), { 'text-anchor': 'middle', 'font-size': 8.5, fill: INK, class: 'bar-label' }));
    }
  });
  const body = [...drawPanel(p, bars)];
  body.push(
    ...legend(width - 176, 70, [
      { label: 'SNN compute', color: COLORS.snnCompute, mark: 'box' },
      { label: 'SNN memory', color: COLORS.snnMemory, mark: 'box' },
      { label: 'ANN compute', color: COLORS.annCompute, mark: 'box' },
      { label: 'ANN memory', color: COLORS.annMemory, mark: 'box' },
    ]),
  );
  const sum = (f: (l: LayerEnergyRow) => number): number => layers.reduce((a, l) => a + f(l), 0) * perPJ;
  const snn = sum((l) => l.snn.computePJ + l.snn.memoryPJ), ann = sum((l) => l.ann.computePJ + l.ann.memoryPJ);
  body.push(text(width - 176, 160, `total SNN ${snn.toPrecision(3)} ${unit}`, { fill: INK, 'font-size': FONT_SIZE.note, class: 'total' }));
  body.push(text(width - 176, 176, `total ANN ${ann.toPrecision(3)} ${unit}`, { fill: INK, 'font-size': FONT_SIZE.note, class: 'total' }));
  if (snn > 0) body.push(text(width - 176, 192, `ANN / SNN ${(ann / snn).toFixed(2)}×`, { fill: INK, 'font-size': FONT_SIZE.note, class: 'total' }));
  return figure(width, height, opts.title ?? 'Energy per layer', body, `estimated per sample${opts.precision ? ` at ${opts.precision}` : ''} (45 nm figures): compute vs memory, SNN vs equivalent ANN`);
}
