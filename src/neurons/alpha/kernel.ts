import { sgGrad, sgPrimitive } from '../../backend/reference.js';
import type { Storage } from '../../backend/storage.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { AlphaRuleSettings } from './rule.js';

/**
 * snnTorch Alpha: e = α·e + x, i = β·i − x, m = τα·(e + i), τα = ln α/(ln β − ln α) + 1;
 * zero reset (delayed, R = H(m[t-1] − θ)) multiplies e, i, m by (1 − R). α, β fixed; θ per layer/neuron.
 */
export interface AlphaConfig extends Omit<AlphaRuleSettings, 'tau'> {
  T: number;
  B: number;
  F: number;
  thresholdPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface AlphaForwardIO {
  x: Storage;
  e0: Storage;
  i0: Storage;
  threshold: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out: traces [T, N] of e, i and the membrane m. */
  e: Storage;
  i: Storage;
  m: Storage;
}

export interface AlphaBackwardIO extends AlphaForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradients of the e and i traces (final-state gradients land in their last rows). */
  ge: Storage | null;
  gi: Storage | null;
  dx: Storage | null;
  de0: Storage | null;
  di0: Storage | null;
  dThreshold: Storage | null;
}


/*
 * snnTorch Alpha neuron: excitatory and inhibitory synaptic traces whose
 * difference of exponentials drives the membrane, m = τα·(e + i). The delayed
 * zero reset R = H(m[t-1] − θ) scales all three by (1 − R).
 */

function tauAlpha(alpha: number, beta: number): number {
  return Math.log(alpha) / (Math.log(beta) - Math.log(alpha)) + 1;
}

export function alphaForward(cfg: AlphaConfig, io: AlphaForwardIO): void {
  const { T, B, F, alpha: al, beta: be, resetMode } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const tau = tauAlpha(al, be);
  const tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, e0 = io.e0.data, i0 = io.i0.data, thr = io.threshold.data;
  const e = io.e.data, ii = io.i.data, m = io.m.data, spk = io.spikes.data, mask = io.mask;
  for (let t = 0; t < T; t++) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const th = thr[f * tS]!;
        const ep = t === 0 ? e0[n]! : e[prev + n]!;
        const ip = t === 0 ? i0[n]! : ii[prev + n]!;
        const mp = t === 0 ? tau * (ep + ip) : m[prev + n]!;
        let k = 1;
        if (resetMode !== 0) k = 1 - (smooth ? sgPrimitive(sid, p0, p1, mp - th) : mp - th > 0 ? 1 : 0);
        const xe = al * ep + x[idx]!;
        const xi = be * ip - x[idx]!;
        e[idx] = k * xe;
        ii[idx] = k * xi;
        m[idx] = k * tau * (xe + xi);
        const z = m[idx]! - th;
        mask[idx] = z > 0 ? 1 : 0;
        spk[idx] = smooth ? sgPrimitive(sid, p0, p1, z) : mask[idx]!;
      }
    }
  }
}

export function alphaBackward(cfg: AlphaConfig, io: AlphaBackwardIO): void {
  const { T, B, F, alpha: al, beta: be, resetMode, detachReset } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const tau = tauAlpha(al, be);
  const tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, e0 = io.e0.data, i0 = io.i0.data, thr = io.threshold.data;
  const e = io.e.data, ii = io.i.data, m = io.m.data;
  const gS = io.gSpikes ? io.gSpikes.data : null, gM = io.gMem ? io.gMem.data : null;
  const ge = io.ge ? io.ge.data : null, gi = io.gi ? io.gi.data : null;
  const dx = io.dx ? io.dx.data : null;
  const deC = new Float64Array(N), diC = new Float64Array(N), dmC = new Float64Array(N);
  const dThr = new Float64Array(tS ? F : 1);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const th = thr[f * tS]!;
        const gs = gS ? gS[idx]! : 0;
        const g = sgGrad(sid, p0, p1, m[idx]! - th);
        let dth = -gs * g;
        const dm = (gM ? gM[idx]! : 0) + dmC[n]! + gs * g;
        const de = (ge ? ge[idx]! : 0) + deC[n]!;
        const di = (gi ? gi[idx]! : 0) + diC[n]!;
        const ep = t === 0 ? e0[n]! : e[prev + n]!;
        const ip = t === 0 ? i0[n]! : ii[prev + n]!;
        const mp = t === 0 ? tau * (ep + ip) : m[prev + n]!;
        let k = 1;
        if (resetMode !== 0) k = 1 - (smooth ? sgPrimitive(sid, p0, p1, mp - th) : mp - th > 0 ? 1 : 0);
        const dxe = k * (de + tau * dm);
        const dxi = k * (di + tau * dm);
        if (dx) dx[idx] = dxe - dxi;
        deC[n] = al * dxe;
        diC[n] = be * dxi;
        let dmp = 0;
        if (resetMode !== 0 && !detachReset) {
          const xe = al * ep + x[idx]!;
          const xi = be * ip - x[idx]!;
          const dR = -(xe * de + xi * di + tau * (xe + xi) * dm);
          const gr = sgGrad(sid, p0, p1, mp - th);
          dmp = dR * gr;
          dth -= dR * gr;
        }
        if (t === 0) {
          // m[-1] is τα·(e0 + i0), so its gradient lands on both initial traces.
          deC[n] += tau * dmp;
          diC[n] += tau * dmp;
          dmC[n] = 0;
        } else dmC[n] = dmp;
        dThr[f * tS] += dth;
      }
    }
  }
  if (io.de0) io.de0.data.set(deC);
  if (io.di0) io.di0.data.set(diC);
  if (io.dThreshold) io.dThreshold.data.set(dThr);
}
