/**
 * The few SVG-writing helpers every plot shares. Plots are built as strings so
 * they run anywhere (Node, a browser, a worker) without a DOM; numbers are
 * rounded to two decimals so the same data always gives byte-identical files
 * (golden tests, diff-friendly run folders).
 */

/** A number as SVG writes it: at most two decimals, no trailing zeros, no `-0`. */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Escape text for an XML text node or a double-quoted attribute. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  return out;
}

/** One element: self-closing without children, otherwise wrapping them (already SVG). */
export function el(tag: string, a: Attrs, children?: string | readonly string[]): string {
  if (children === undefined) return `<${tag}${attrs(a)}/>`;
  const inner = typeof children === 'string' ? children : children.join('');
  return `<${tag}${attrs(a)}>${inner}</${tag}>`;
}

/** A text element; `text` is escaped here. */
export function text(x: number, y: number, s: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, esc(s));
}

/** A polyline through points (NaN points break the line into pieces). */
export function polyline(xs: readonly number[], ys: readonly number[], a: Attrs): string[] {
  const out: string[] = [];
  let pts: string[] = [];
  const flush = (): void => {
    if (pts.length > 0) out.push(el('polyline', { points: pts.join(' '), fill: 'none', ...a }));
    pts = [];
  };
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]!) || !Number.isFinite(ys[i]!)) flush();
    else pts.push(`${num(xs[i]!)},${num(ys[i]!)}`);
  }
  flush();
  return out;
}
