import type { Storage } from '../../backend/storage.js';

/** First-order filter y[t] = α·y[t-1] + x[t] (synaptic current), α per layer or per neuron. */
export interface FilterIO {
  T: number;
  B: number;
  F: number;
  alphaPerNeuron: boolean;
  alpha: Storage;
  x: Storage;
  y0: Storage;
  /** Out: [T, N]. */
  y: Storage;
}

export interface FilterBackwardIO extends FilterIO {
  /** Gradient of the whole trace y (already including the final-state gradient at t = T−1). */
  gy: Storage;
  dx: Storage | null;
  dy0: Storage | null;
  dAlpha: Storage | null;
}


/*
 * First-order filter y[t] = α·y[t-1] + x[t] (the synaptic current of CubaLIF).
 * It never resets, so it runs as its own scan ahead of the LIF scan inside the
 * same op; y[t-1] is read back from the stored trace as in the LIF kernel.
 */

export function filterForward(io: FilterIO): void {
  const { T, B, F } = io;
  const N = B * F;
  const aS = io.alphaPerNeuron ? 1 : 0;
  const al = io.alpha.data, x = io.x.data, y0 = io.y0.data, y = io.y.data;
  for (let t = 0; t < T; t++) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f;
        y[row + n] = al[f * aS]! * (t === 0 ? y0[n]! : y[prev + n]!) + x[row + n]!;
      }
    }
  }
}

export function filterBackward(io: FilterBackwardIO): void {
  const { T, B, F } = io;
  const N = B * F;
  const aS = io.alphaPerNeuron ? 1 : 0;
  const al = io.alpha.data, y0 = io.y0.data, y = io.y.data, gy = io.gy.data;
  const dx = io.dx ? io.dx.data : null;
  const carry = new Float64Array(N); // gradient of y[t] arriving from step t+1, already times α
  const dAlpha = new Float64Array(aS ? F : 1);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f;
        const d = gy[row + n]! + carry[n]!;
        if (dx) dx[row + n] = d;
        dAlpha[f * aS] += d * (t === 0 ? y0[n]! : y[prev + n]!);
        carry[n] = al[f * aS]! * d;
      }
    }
  }
  if (io.dy0) io.dy0.data.set(carry);
  if (io.dAlpha) io.dAlpha.data.set(dAlpha);
}
