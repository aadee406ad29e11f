import { sgGrad, sgPrimitive } from '../../backend/reference.js';
import type { Storage } from '../../backend/storage.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { IzhikevichRuleSettings } from './rule.js';

/**
 * Izhikevich (2003), one step = 1 ms as two half steps for v then one for u:
 *   v ← v + ½(0.04v² + 5v + 140 − u + x) (twice);  u ← u + a(b·min(v, vPeak) − u);
 *   s = H(v − vPeak);  where s: v ← c, u ← u + d.
 */
export interface IzhikevichConfig extends IzhikevichRuleSettings {
  T: number;
  N: number;
  surrogate: SurrogateCode;
}

export interface IzhikevichForwardIO {
  x: Storage;
  v0: Storage;
  u0: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out traces [T, N]: v before reset, v after reset, u after reset. */
  vPre: Storage;
  v: Storage;
  u: Storage;
}

export interface IzhikevichBackwardIO extends IzhikevichForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradient of the u trace. */
  gu: Storage | null;
  dx: Storage | null;
  dv0: Storage | null;
  du0: Storage | null;
}


/*
 * Izhikevich (2003) with one step per millisecond: v takes two half steps (the
 * original paper's scheme, stable for the quadratic term), then u one full
 * step with the new v; a spike (v > vPeak) resets v to c and adds d to u.
 * The u step sees v clipped at vPeak: with 1 ms steps v can overshoot the peak
 * by hundreds of mV, and feeding that into u makes inter-spike intervals
 * depend on the overshoot (irregular tonic firing).
 */

function dvdt(v: number, u: number, x: number): number {
  return 0.04 * v * v + 5 * v + 140 - u + x;
}

export function izhikevichForward(cfg: IzhikevichConfig, io: IzhikevichForwardIO): void {
  const { T, N, a, b, c, d, vPeak } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const x = io.x.data, v0 = io.v0.data, u0 = io.u0.data;
  const vPre = io.vPre.data, v = io.v.data, u = io.u.data, spk = io.spikes.data, mask = io.mask;
  for (let t = 0; t < T; t++) {
    const row = t * N, prev = row - N;
    for (let n = 0; n < N; n++) {
      const idx = row + n;
      const vp = t === 0 ? v0[n]! : v[prev + n]!;
      const up = t === 0 ? u0[n]! : u[prev + n]!;
      const I = x[idx]!;
      const v1 = vp + 0.5 * dvdt(vp, up, I);
      vPre[idx] = v1 + 0.5 * dvdt(v1, up, I);
      const v2 = vPre[idx]!;
      const uu = up + a * (b * Math.min(v2, vPeak) - up);
      const z = v2 - vPeak;
      mask[idx] = z > 0 ? 1 : 0;
      const s = smooth ? sgPrimitive(sid, p0, p1, z) : mask[idx]!;
      spk[idx] = s;
      v[idx] = v2 + s * (c - v2);
      u[idx] = uu + d * s;
    }
  }
}

export function izhikevichBackward(cfg: IzhikevichConfig, io: IzhikevichBackwardIO): void {
  const { T, N, a, b, c, d, vPeak, detachReset } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const x = io.x.data, v0 = io.v0.data, u0 = io.u0.data;
  const vPre = io.vPre.data, v = io.v.data, u = io.u.data, spk = io.spikes.data, mask = io.mask;
  const gS = io.gSpikes ? io.gSpikes.data : null, gM = io.gMem ? io.gMem.data : null, gU = io.gu ? io.gu.data : null;
  const dx = io.dx ? io.dx.data : null;
  const dvC = new Float64Array(N), duC = new Float64Array(N);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N, prev = row - N;
    for (let n = 0; n < N; n++) {
      const idx = row + n;
      const v2 = vPre[idx]!;
      const s = smooth ? spk[idx]! : mask[idx]!;
      const dv = (gM ? gM[idx]! : 0) + dvC[n]!;
      const du = (gU ? gU[idx]! : 0) + duC[n]!;
      let dS = gS ? gS[idx]! : 0;
      if (!detachReset) dS += dv * (c - v2) + du * d;
      const dv2 = dv * (1 - s) + dS * sgGrad(sid, p0, p1, v2 - vPeak) + (v2 < vPeak ? du * a * b : 0);
      const vp = t === 0 ? v0[n]! : v[prev + n]!;
      const up = t === 0 ? u0[n]! : u[prev + n]!;
      const v1 = vp + 0.5 * dvdt(vp, up, x[idx]!);
      const dv1 = dv2 * (1 + 0.5 * (0.08 * v1 + 5));
      if (dx) dx[idx] = 0.5 * (dv2 + dv1);
      dvC[n] = dv1 * (1 + 0.5 * (0.08 * vp + 5));
      duC[n] = du * (1 - a) - 0.5 * (dv2 + dv1);
    }
  }
  if (io.dv0) io.dv0.data.set(dvC);
  if (io.du0) io.du0.data.set(duC);
}
