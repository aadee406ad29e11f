/** Linear scales and "nice" tick values (1, 2, 2.5, 5 × 10^k steps) for the axes. */

export interface LinearScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  (v: number): number;
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 !== d0 ? (r1 - r0) / (d1 - d0) : 0;
  const f = ((v: number) => (d1 !== d0 ? r0 + (v - d0) * k : (r0 + r1) / 2)) as LinearScale;
  Object.defineProperty(f, 'domain', { value: domain });
  Object.defineProperty(f, 'range', { value: range });
  return f;
}

/** A step of 1, 2, 2.5 or 5 × 10^k that cuts [lo, hi] into about `count` intervals. */
export function niceStep(lo: number, hi: number, count = 5): number {
  const span = Math.abs(hi - lo);
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return m * mag;
}

/** [lo, hi] widened outwards to multiples of the nice step, and that step. */
export function niceDomain(lo: number, hi: number, count = 5): { domain: [number, number]; step: number } {
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(lo, hi, count);
  return { domain: [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step], step };
}

/** Multiples of `step` inside [lo, hi] (inclusive, with a little slack for rounding). */
export function ticks(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last; i++) out.push(Math.round(i * step * 1e9) / 1e9 + 0); // + 0 turns -0 into 0
  return out;
}

/** A tick label with as many decimals as the step needs (2.5 → 1 decimal, 0.25 → 2). */
export function tickLabel(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6 * 10 ** decimals) decimals++;
  const s = v.toFixed(decimals);
  return s === '-0' ? '0' : s.replace(/^-(0\.?0*)$/, '$1');
}

/** Integer ticks for a count axis [0, n): a nice step of at least 1. */
export function integerStep(lo: number, hi: number, count = 5): number {
  return Math.max(1, niceStep(lo, hi, count));
}
