import { sgGrad, sgPrimitive } from '../../backend/reference.js';
import type { Storage } from '../../backend/storage.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { AlifRuleSettings } from './rule.js';

/**
 * Adaptive LIF (Bellec et al. 2018), same-step reset:
 *   a[t] = ρ·a[t-1] + s[t-1];  A[t] = θ0 + βa·a[t];  h[t] = β·v[t-1] + x[t];
 *   s[t] = H(h[t] − A[t]);  v[t] = h[t] − A[t]·s[t] (subtract) or h[t]·(1 − s[t]) (zero).
 * The config is the rule's settings (ρ, βa, reset) plus the sizes and parameter layout.
 */
export interface AlifConfig extends AlifRuleSettings {
  T: number;
  B: number;
  F: number;
  betaPerNeuron: boolean;
  thresholdPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface AlifForwardIO {
  x: Storage;
  v0: Storage;
  a0: Storage;
  s0: Storage;
  beta: Storage;
  threshold: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out traces [T, N]: charged membrane, post-reset membrane, adaptation. */
  h: Storage;
  v: Storage;
  a: Storage;
}

export interface AlifBackwardIO extends AlifForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradient of the adaptation trace a. */
  ga: Storage | null;
  dx: Storage | null;
  dv0: Storage | null;
  da0: Storage | null;
  ds0: Storage | null;
  dBeta: Storage | null;
  dThreshold: Storage | null;
}


/*
 * Adaptive LIF (Bellec et al. 2018): each spike raises the threshold
 * A = θ0 + βa·a, with a decaying by ρ per step. The spike of step t−1 enters
 * a[t] through the surrogate (as in LSNN training), so BPTT carries three
 * gradients backwards: membrane, adaptation and previous spike.
 */

export function alifForward(cfg: AlifConfig, io: AlifForwardIO): void {
  const { T, B, F, rho, betaA, resetMode } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, v0 = io.v0.data, a0 = io.a0.data, s0 = io.s0.data, beta = io.beta.data, thr = io.threshold.data;
  const h = io.h.data, v = io.v.data, a = io.a.data, spk = io.spikes.data, mask = io.mask;
  for (let t = 0; t < T; t++) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const vp = t === 0 ? v0[n]! : v[prev + n]!;
        const ap = t === 0 ? a0[n]! : a[prev + n]!;
        const sp = t === 0 ? s0[n]! : spk[prev + n]!;
        a[idx] = rho * ap + sp;
        const A = thr[f * tS]! + betaA * a[idx]!;
        h[idx] = beta[f * bS]! * vp + x[idx]!;
        const hv = h[idx]!;
        const z = hv - A;
        mask[idx] = z > 0 ? 1 : 0;
        const s = smooth ? sgPrimitive(sid, p0, p1, z) : mask[idx]!;
        spk[idx] = s;
        v[idx] = resetMode === 1 ? hv - A * s : hv * (1 - s);
      }
    }
  }
}

export function alifBackward(cfg: AlifConfig, io: AlifBackwardIO): void {
  const { T, B, F, rho, betaA, resetMode, detachReset } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const h = io.h.data, v = io.v.data, a = io.a.data, spk = io.spikes.data, mask = io.mask;
  const gS = io.gSpikes ? io.gSpikes.data : null, gM = io.gMem ? io.gMem.data : null, gA = io.ga ? io.ga.data : null;
  const dx = io.dx ? io.dx.data : null;
  const dvC = new Float64Array(N), daC = new Float64Array(N), dsC = new Float64Array(N);
  const dBeta = new Float64Array(bS ? F : 1), dThr = new Float64Array(tS ? F : 1);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const A = thr[f * tS]! + betaA * a[idx]!;
        const hv = h[idx]!;
        const g = sgGrad(sid, p0, p1, hv - A);
        const s = smooth ? spk[idx]! : mask[idx]!;
        const dv = (gM ? gM[idx]! : 0) + dvC[n]!;
        let dS = (gS ? gS[idx]! : 0) + dsC[n]!;
        let dh: number;
        let dA: number;
        if (resetMode === 1) {
          dh = dv;
          dA = -s * dv;
          if (!detachReset) dS -= A * dv;
        } else {
          dh = dv * (1 - s);
          dA = 0;
          if (!detachReset) dS -= hv * dv;
        }
        dh += dS * g;
        dA -= dS * g;
        const da = (gA ? gA[idx]! : 0) + daC[n]! + betaA * dA;
        dThr[f * tS] += dA;
        if (dx) dx[idx] = dh;
        const vp = t === 0 ? v0[n]! : v[prev + n]!;
        dBeta[f * bS] += dh * vp;
        dvC[n] = beta[f * bS]! * dh;
        daC[n] = rho * da;
        dsC[n] = da;
      }
    }
  }
  if (io.dv0) io.dv0.data.set(dvC);
  if (io.da0) io.da0.data.set(daC);
  if (io.ds0) io.ds0.data.set(dsC);
  if (io.dBeta) io.dBeta.data.set(dBeta);
  if (io.dThreshold) io.dThreshold.data.set(dThr);
}
