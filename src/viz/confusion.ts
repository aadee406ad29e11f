import { ShapeError } from '../errors.js';
import { colorBar, drawPanel, figure, panel } from './frame.js';
import { el, text } from './svg.js';
import { OKABE_ITO, darkOnSequential, sequential } from './style.js';

function checkSquare(m: readonly (readonly number[])[], who: string): number {
  const n = m.length;
  if (n === 0 || m.some((r) => r.length !== n)) throw new ShapeError(`${who}: the matrix must be square and non-empty (rows: true class, columns: predicted)`);
  return n;
}

/** Names of n classes: the given ones or '0'..'n-1'. */
function classNames(n: number, names?: readonly string[]): string[] {
  if (names && names.length !== n) throw new ShapeError(`${n} classes but ${names.length} class names`);
  return names ? [...names] : Array.from({ length: n }, (_, i) => String(i));
}

/**
 * Confusion matrix: rows are true classes, columns predicted ones; a cell's
 * colour is its share of the true class (row-normalised, so rare classes are
 * as readable as common ones) and its text the raw count (up to 20 classes).
 */
export function confusionMatrix(matrix: readonly (readonly number[])[], opts: { classNames?: readonly string[]; title?: string; width?: number } = {}): string {
  const n = checkSquare(matrix, 'confusionMatrix');
  const names = classNames(n, opts.classNames);
  const side = Math.min(520, Math.max(200, n * 34));
  const width = opts.width ?? side + 100 + 120;
  const height = side + 64 + 70;
  const p = panel(
    { x: 86, y: 64, w: side, h: side },
    { lo: 0, hi: 0, label: 'predicted class', categories: names },
    { lo: 0, hi: 0, label: 'true class', categories: names },
    { flipY: true },
  );
  const cells: string[] = [];
  let total = 0, correct = 0;
  const cw = side / n;
  for (let i = 0; i < n; i++) {
    const row = matrix[i]!;
    const rowSum = row.reduce((a, b) => a + b, 0);
    total += rowSum;
    correct += row[i]!;
    for (let j = 0; j < n; j++) {
      const v = row[j]!;
      const share = rowSum > 0 ? v / rowSum : 0;
      cells.push(el('rect', { x: p.x(j) - cw / 2, y: p.y(i) - cw / 2, width: cw, height: cw, fill: sequential(share), class: 'cell' }));
      if (n <= 20 && v > 0) {
        cells.push(text(p.x(j), p.y(i) + 3.5, String(v), { 'text-anchor': 'middle', fill: darkOnSequential(share) ? '#ffffff' : '#000000', 'font-size': n > 12 ? 8 : 10, class: 'count' }));
      }
    }
  }
  // The diagonal outlined, so correct predictions are found at a glance.
  for (let i = 0; i < n; i++) cells.push(el('rect', { x: p.x(i) - cw / 2, y: p.y(i) - cw / 2, width: cw, height: cw, fill: 'none', stroke: OKABE_ITO.orange, 'stroke-width': 1.5, class: 'diagonal' }));
  const body = [...drawPanel(p, cells), ...colorBar({ x: 86 + side + 18, y: 64, w: 14, h: side }, 0, 1, sequential, 'share of the true class')];
  return figure(width, height, opts.title ?? 'Confusion matrix', body, `${total} test samples, accuracy ${total > 0 ? ((100 * correct) / total).toFixed(2) : '–'}%`);
}

/** Per-class accuracy from a confusion matrix (NaN for a class with no samples). */
export function classAccuracies(matrix: readonly (readonly number[])[]): number[] {
  checkSquare(matrix, 'classAccuracies');
  return matrix.map((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    return s > 0 ? row[i]! / s : NaN;
  });
}

/**
 * Accuracy of each class as bars (in %), with the overall accuracy as a
 * dashed line and each class's sample count under its bar.
 */
export function perClassAccuracy(matrix: readonly (readonly number[])[], opts: { classNames?: readonly string[]; title?: string; width?: number } = {}): string {
  const n = checkSquare(matrix, 'perClassAccuracy');
  const names = classNames(n, opts.classNames);
  const acc = classAccuracies(matrix);
  const counts = matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const overall = total > 0 ? (100 * matrix.reduce((a, r, i) => a + r[i]!, 0)) / total : NaN;
  const width = opts.width ?? Math.max(480, 130 + n * 40);
  const height = 380;
  const p = panel(
    { x: 72, y: 64, w: width - 72 - 30, h: height - 64 - 64 },
    { lo: 0, hi: 0, label: 'class', categories: names },
    { lo: 0, hi: 100, label: 'accuracy (%)', exact: true, grid: true },
  );
  const bw = (p.box.w / n) * 0.7;
  const bars: string[] = [];
  acc.forEach((a, i) => {
    if (!Number.isFinite(a)) return;
    bars.push(el('rect', { x: p.x(i) - bw / 2, y: p.y(100 * a), width: bw, height: p.y(0) - p.y(100 * a), fill: OKABE_ITO.blue, class: 'bar' }));
    // Inside the top of the bar (white on blue), clear of the overall line just above most bars.
    if (n <= 20) bars.push(text(p.x(i), p.y(100 * a) + (a > 0.08 ? 13 : -4), (100 * a).toFixed(1), { 'text-anchor': 'middle', 'font-size': 9, fill: a > 0.08 ? '#ffffff' : '#222222', class: 'value' }));
  });
  if (Number.isFinite(overall)) {
    bars.push(el('line', { x1: p.box.x, y1: p.y(overall), x2: p.box.x + p.box.w, y2: p.y(overall), stroke: OKABE_ITO.vermillion, 'stroke-width': 1.5, 'stroke-dasharray': '6 3', class: 'overall' }));
  }
  return figure(width, height, opts.title ?? 'Accuracy per class', drawPanel(p, bars), `dashed: overall ${Number.isFinite(overall) ? overall.toFixed(2) : '–'}% on ${total} test samples (${Math.min(...counts)}–${Math.max(...counts)} per class)`);
}
