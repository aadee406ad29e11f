/*
 * Direct, loop-per-output reference implementations the kernels are checked
 * against. Written for clarity, not speed: every output cell sums its window
 * explicitly, with bounds checks instead of im2col.
 */

export interface NaiveConv {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Zeros before the first row/column. */
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
  Ho: number;
  Wo: number;
}

export function naiveConv2d(c: NaiveConv, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): number[] {
  const Cg = c.Cin / c.groups;
  const Og = c.Cout / c.groups;
  const y: number[] = [];
  for (let n = 0; n < c.N; n++)
    for (let o = 0; o < c.Cout; o++) {
      const gr = Math.floor(o / Og);
      for (let oh = 0; oh < c.Ho; oh++)
        for (let ow = 0; ow < c.Wo; ow++) {
          let s = b ? b[o]! : 0;
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < c.kh; i++)
              for (let j = 0; j < c.kw; j++) {
                const ih = oh * c.sh - c.ph + i * c.dh;
                const iw = ow * c.sw - c.pw + j * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const xv = x[((n * c.Cin + gr * Cg + ci) * c.H + ih) * c.W + iw]!;
                s += xv * w[((o * Cg + ci) * c.kh + i) * c.kw + j]!;
              }
          y.push(s);
        }
    }
  return y;
}

export interface NaivePool {
  planes: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  Ho: number;
  Wo: number;
}

export function naivePool(mode: 'max' | 'avg' | 'sum', c: NaivePool, x: ArrayLike<number>, countIncludePad = true): number[] {
  const y: number[] = [];
  for (let q = 0; q < c.planes; q++)
    for (let oh = 0; oh < c.Ho; oh++)
      for (let ow = 0; ow < c.Wo; ow++) {
        const vals: number[] = [];
        for (let i = 0; i < c.kh; i++)
          for (let j = 0; j < c.kw; j++) {
            const ih = oh * c.sh - c.ph + i;
            const iw = ow * c.sw - c.pw + j;
            if (ih >= 0 && ih < c.H && iw >= 0 && iw < c.W) vals.push(x[(q * c.H + ih) * c.W + iw]!);
          }
        const s = vals.reduce((a, v) => a + v, 0);
        if (mode === 'max') y.push(Math.max(...vals));
        else if (mode === 'sum') y.push(s);
        else y.push(s / (countIncludePad ? c.kh * c.kw : vals.length));
      }
  return y;
}

/** Batch norm of [N, C, P] with batch statistics; also returns the mean and biased variance. */
export function naiveBatchNorm(N: number, C: number, P: number, x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, scale = 1): { y: number[]; mean: number[]; variance: number[] } {
  const mean: number[] = [];
  const variance: number[] = [];
  const y = new Array<number>(N * C * P).fill(0);
  for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) vals.push(x[(n * C + c) * P + p]!);
    const m = vals.reduce((a, v) => a + v, 0) / vals.length;
    const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / vals.length;
    mean.push(m);
    variance.push(v);
    for (let n = 0; n < N; n++)
      for (let p = 0; p < P; p++) {
        const i = (n * C + c) * P + p;
        y[i] = (scale * gamma[c]! * (x[i]! - m)) / Math.sqrt(v + eps) + beta[c]!;
      }
  }
  return { y, mean, variance };
}

export function randomArray(n: number, next: () => number): number[] {
  return Array.from({ length: n }, next);
}
