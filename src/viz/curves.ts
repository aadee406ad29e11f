import { ShapeError } from '../errors.js';
import { drawPanel, figure, legend, panel } from './frame.js';
import { el, polyline } from './svg.js';
import { OKABE_ITO } from './style.js';

/** One epoch's figures (the fields of a metrics.jsonl line the curves use). */
export interface EpochPoint {
  epoch: number;
  train_loss: number;
  test_loss: number;
  /** Fractions in [0, 1]. */
  train_accuracy: number;
  test_accuracy: number;
}

const TRAIN = { color: OKABE_ITO.blue, dash: undefined };
const TEST = { color: OKABE_ITO.vermillion, dash: '6 3' };

/**
 * Loss and accuracy per epoch, train (solid, circles) and test (dashed,
 * squares), in two panels side by side. Accuracy is in percent; its axis
 * covers the data with nice ticks rather than 0–100, so late-epoch changes
 * stay visible.
 */
export function trainingCurves(history: readonly EpochPoint[], opts: { width?: number; title?: string } = {}): string {
  if (history.length === 0) throw new ShapeError('trainingCurves: no epochs');
  const width = opts.width ?? 860;
  const height = 380;
  const e = history.map((h) => h.epoch);
  const eLo = Math.min(...e), eHi = Math.max(...e);
  const body: string[] = [];
  const panelW = (width - 90 - 80 - 150) / 2;
  const specs = [
    { key: 'loss', title: 'Loss', label: 'loss (per sample)', train: history.map((h) => h.train_loss), test: history.map((h) => h.test_loss), x: 80 },
    { key: 'acc', title: 'Accuracy', label: 'accuracy (%)', train: history.map((h) => 100 * h.train_accuracy), test: history.map((h) => 100 * h.test_accuracy), x: 80 + panelW + 90 },
  ];
  for (const s of specs) {
    const vals = [...s.train, ...s.test].filter(Number.isFinite);
    const lo = vals.length ? Math.min(...vals) : 0, hi = vals.length ? Math.max(...vals) : 1;
    const p = panel(
      { x: s.x, y: 64, w: panelW, h: height - 64 - 60 },
      { lo: eLo === eHi ? eLo - 1 : eLo, hi: eLo === eHi ? eHi + 1 : eHi, label: 'epoch', integer: true, exact: true, grid: true, ticks: Math.min(10, Math.max(1, eHi - eLo)) },
      { lo: s.key === 'acc' ? Math.max(0, lo) : Math.min(0, lo), hi: s.key === 'acc' ? Math.min(100, hi) : hi, label: s.label, grid: true },
      { title: s.title },
    );
    const xs = e.map((v) => p.x(v));
    const marks: string[] = [];
    for (const [series, style, shape] of [[s.train, TRAIN, 'circle'], [s.test, TEST, 'square']] as const) {
      const ys = series.map((v) => p.y(v));
      marks.push(...polyline(xs, ys, { stroke: style.color, 'stroke-width': 2, 'stroke-dasharray': style.dash, class: `curve ${shape === 'circle' ? 'train' : 'test'}` }));
      xs.forEach((x, i) => {
        if (!Number.isFinite(ys[i]!)) return;
        marks.push(
          shape === 'circle'
            ? el('circle', { cx: x, cy: ys[i]!, r: 3.5, fill: style.color, class: 'point train' })
            : el('rect', { x: x - 3.5, y: ys[i]! - 3.5, width: 7, height: 7, fill: style.color, class: 'point test' }),
        );
      });
    }
    body.push(...drawPanel(p, marks));
  }
  body.push(
    ...legend(width - 128, 74, [
      { label: 'train', color: TRAIN.color, mark: 'line' },
      { label: 'test', color: TEST.color, mark: 'line', dash: TEST.dash },
    ]),
  );
  const last = history[history.length - 1]!;
  return figure(width, height, opts.title ?? 'Training curves', body, `after epoch ${last.epoch}: test accuracy ${(100 * last.test_accuracy).toFixed(2)}%, test loss ${last.test_loss.toFixed(4)}`);
}
