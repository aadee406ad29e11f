import { ShapeError } from '../errors.js';
import { drawPanel, figure, legend, panel } from './frame.js';
import { el, polyline } from './svg.js';
import { OKABE_ITO } from './style.js';

/** One operating point: mean time steps per sample and accuracy in [0, 1]. */
export interface LatencyPoint {
  meanSteps: number;
  accuracy: number;
}

export interface ExitFrontInput {
  /** T of full-length inference. */
  steps: number;
  /** The threshold rule's Pareto front (thresholds that nothing beats), any order. */
  thresholds: readonly LatencyPoint[];
  /** The oracle front (each sample stopped once its class stays correct), any order. */
  oracle: readonly LatencyPoint[];
  /** Full-T inference. */
  full: LatencyPoint;
  /** The threshold in use, with its label (e.g. "maxprob ≥ 0.97"). */
  chosen?: LatencyPoint & { label: string };
  /** The rule's name, for the legend. */
  rule?: string;
}

const RULE = { color: OKABE_ITO.blue };
const ORACLE = { color: OKABE_ITO.green, dash: '6 3' };
const FULL = OKABE_ITO.black;
const CHOSEN = OKABE_ITO.vermillion;

/**
 * The accuracy–latency plane of early exit: accuracy (%) against mean time
 * steps per sample, with the threshold rule's Pareto front (solid steps
 * through its points), the oracle front (dashed), full-T inference (black
 * square) and the threshold in use (vermillion dot). The accuracy axis
 * starts just below the rule's lowest point; the oracle front, which starts
 * at 0 %, is cut where it enters the panel.
 */
export function exitFront(input: ExitFrontInput, opts: { width?: number; title?: string } = {}): string {
  if (input.thresholds.length === 0) throw new ShapeError('exitFront: no threshold points');
  if (!(Number.isInteger(input.steps) && input.steps >= 1)) throw new ShapeError(`exitFront: steps must be a positive integer, got ${input.steps}`);
  const width = opts.width ?? 720;
  const height = 440;
  const rule = [...input.thresholds].sort((a, b) => a.meanSteps - b.meanSteps);
  const oracle = [...input.oracle].sort((a, b) => a.meanSteps - b.meanSteps);
  const shown = [...rule, input.full, ...(input.chosen ? [input.chosen] : [])];
  const accLo = 100 * Math.min(...shown.map((p) => p.accuracy));
  const accHi = 100 * Math.max(...shown.map((p) => p.accuracy), ...oracle.map((p) => p.accuracy));
  const pad = Math.max(0.5, 0.04 * (accHi - accLo));
  const lo = Math.max(0, accLo - pad), hi = Math.min(100, accHi + pad);
  const p = panel(
    { x: 80, y: 64, w: width - 80 - 210, h: height - 64 - 64 },
    { lo: 1, hi: Math.max(2, input.steps), label: 'mean time steps per sample', exact: true, grid: true, ticks: Math.min(10, Math.max(1, input.steps - 1)) },
    { lo, hi, label: 'accuracy (%)', exact: true, grid: true },
  );
  const marks: string[] = [];
  // A threshold front point holds until the next one: draw it as steps (accuracy only rises with latency along the front).
  const sx: number[] = [], sy: number[] = [];
  rule.forEach((q, i) => {
    if (i > 0) {
      sx.push(p.x(q.meanSteps));
      sy.push(p.y(100 * rule[i - 1]!.accuracy));
    }
    sx.push(p.x(q.meanSteps));
    sy.push(p.y(100 * q.accuracy));
  });
  // Beyond its last point the front keeps that accuracy: a larger latency budget can always be left unused.
  sx.push(p.x(input.steps));
  sy.push(sy[sy.length - 1]!);
  marks.push(...polyline(sx, sy, { stroke: RULE.color, 'stroke-width': 2, class: 'front rule' }));
  const clipped = clipBelow(oracle.map((q) => [q.meanSteps, 100 * q.accuracy] as [number, number]), lo);
  if (clipped.length > 1) {
    marks.push(...polyline(clipped.map(([x]) => p.x(x)), clipped.map(([, y]) => p.y(y)), { stroke: ORACLE.color, 'stroke-width': 2, 'stroke-dasharray': ORACLE.dash, class: 'front oracle' }));
  }
  const fx = p.x(input.full.meanSteps), fy = p.y(100 * input.full.accuracy);
  marks.push(el('rect', { x: fx - 4.5, y: fy - 4.5, width: 9, height: 9, fill: FULL, class: 'point full' }));
  if (input.chosen) {
    const cx = p.x(input.chosen.meanSteps), cy = p.y(100 * input.chosen.accuracy);
    marks.push(el('circle', { cx, cy, r: 5.5, fill: CHOSEN, stroke: '#ffffff', 'stroke-width': 1, class: 'point chosen' }));
  }
  const items = [
    { label: `${input.rule ?? 'threshold'} front`, color: RULE.color, mark: 'line' as const },
    { label: 'oracle front', color: ORACLE.color, mark: 'line' as const, dash: ORACLE.dash },
    { label: `full T = ${input.steps}`, color: FULL, mark: 'box' as const },
    ...(input.chosen ? [{ label: input.chosen.label, color: CHOSEN, mark: 'dot' as const }] : []),
  ];
  const body = [...drawPanel(p, marks), ...legend(width - 196, 74, items)];
  const sub = input.chosen
    ? `full T: ${(100 * input.full.accuracy).toFixed(2)}% at ${input.steps} steps; ${input.chosen.label}: ${(100 * input.chosen.accuracy).toFixed(2)}% at ${input.chosen.meanSteps.toFixed(2)} steps`
    : `full T: ${(100 * input.full.accuracy).toFixed(2)}% at ${input.steps} steps`;
  return figure(width, height, opts.title ?? 'Early exit: accuracy against latency', body, sub);
}

/** The part of a polyline (sorted by x, y rising) at or above y = lo, entering at the crossing. */
function clipBelow(pts: readonly [number, number][], lo: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i]!;
    if (y >= lo) {
      if (out.length === 0 && i > 0) {
        const [x0, y0] = pts[i - 1]!;
        out.push([x0 + ((lo - y0) / (y - y0)) * (x - x0), lo]);
      }
      out.push([x, y]);
    }
  }
  return out;
}
