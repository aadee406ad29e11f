import { spikeCut, type LifBackwardIO, type LifConfig, type LifForwardIO } from '../../backend/kernels/neuron.js';
import type { Floats } from '../../backend/storage.js';
import { gemm, sgGrad, sgPrimitive, transposeInto } from '../../backend/reference.js';

/*
 * The LIF family's fused scan (its step rule, the readable equations: ./rule.ts). Time is the outer loop and
 * neurons the inner one, so each step streams over contiguous rows; the state
 * of step t−1 is read back from the stored trace, which keeps float32 results
 * identical whether a sequence runs fused or one step at a time. Parameters
 * are indexed with a stride of 0 (per layer) or 1 (per neuron), so both cases
 * share one branch-free loop. Every spike decision, s = H(h − θ) and the prior
 * reset's R = H(v − θ), is `z > cut` with cut = spikeCut(cfg.fireAtThreshold):
 * the firing rule (h > θ or h ≥ θ) is chosen once per call, not per element.
 */

function makeLike(x: Floats, n: number): Floats {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * snnTorch's Leaky as configs use it most (delayed reset, v_reset = 0, one β
 * and θ per layer, float32): one flat loop over T·N with the options resolved
 * outside it. Bit-identical to the general loop: the same operations in the
 * same order, with Math.fround standing in for the store-and-reload.
 */
function lifForwardSnntorch(cfg: LifConfig, io: LifForwardIO): void {
  const N = cfg.B * cfg.F, T = cfg.T, mode = cfg.resetMode;
  const x = io.x.data, v0 = io.v0.data, spk = io.spikes.data, mask = io.mask, h = io.h.data;
  const be = io.beta.data[0]!, th = io.threshold.data[0]!, cut = spikeCut(cfg.fireAtThreshold);
  for (let t = 0; t < T; t++) {
    const row = t * N;
    const src = t === 0 ? v0 : h;
    const off = t === 0 ? 0 : row - N;
    for (let n = 0; n < N; n++) {
      const vp = src[off + n]!;
      const xi = x[row + n]!;
      let hh: number;
      if (vp - th > cut && mode !== 0) hh = mode === 1 ? be * vp + xi - th : mode === 2 ? xi : 0;
      else hh = be * vp + xi;
      hh = Math.fround(hh);
      h[row + n] = hh;
      const fired = hh - th > cut ? 1 : 0;
      mask[row + n] = fired;
      spk[row + n] = fired;
    }
  }
}

/**
 * The training hot path (no recurrence, Heaviside spikes): the same equations
 * as the general loop below with every per-element option test hoisted, which
 * V8 compiles to a loop several times faster.
 */
function lifForwardPlain(cfg: LifConfig, io: LifForwardIO): void {
  const { T, B, F, resetMode, delayedReset, inputLeak, vReset: vr } = cfg;
  if (delayedReset && !inputLeak && vr === 0 && !cfg.betaPerNeuron && !cfg.thresholdPerNeuron && io.h.data instanceof Float32Array) {
    lifForwardSnntorch(cfg, io);
    return;
  }
  const N = B * F;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const spk = io.spikes.data, mask = io.mask, h = io.h.data;
  const v = io.v ? io.v.data : h;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const cut = spikeCut(cfg.fireAtThreshold);
  // snnTorch's same-step form: R of the previous membrane enters the charge as under the delayed reset.
  const corrected = !delayedReset && cfg.correctedReset === true && resetMode !== 0;
  const delayed = (delayedReset || corrected) && resetMode !== 0;
  const sameStep = !delayedReset && resetMode !== 0;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    const src = t === 0 ? v0 : v;
    const off = t === 0 ? 0 : row - N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = row + n;
        const be = beta[f * bS]!, th = thr[f * tS]!;
        let vp = src[off + n]!;
        const R = delayed && vp - th > cut ? 1 : 0;
        const xi = inputLeak ? (1 - be) * x[idx]! : x[idx]!;
        let hh: number;
        if (R === 1) {
          if (resetMode === 1) hh = vr + be * (vp - vr) + xi - th;
          else if (resetMode === 2) hh = xi + vr;
          else hh = vr;
        } else hh = vr + be * (vp - vr) + xi;
        h[idx] = hh;
        vp = h[idx]!; // the stored (dtype-rounded) value decides the spike
        const fired = vp - th > cut ? 1 : 0;
        mask[idx] = fired;
        spk[idx] = fired;
        if (corrected) {
          // d = s − R ∈ {−1, 0, 1}: the same products snnTorch forms, so the same roundings.
          const d = fired - R;
          v[idx] = resetMode === 1 ? vp - d * th : vp + d * (vr - vp);
        } else if (sameStep) v[idx] = fired === 0 ? vp : resetMode === 1 ? vp - th : vr;
      }
    }
  }
}

export function lifForward(cfg: LifConfig, io: LifForwardIO): void {
  if (!cfg.surrogate.smooth && !io.recV && !io.recW) {
    lifForwardPlain(cfg, io);
    return;
  }
  const { T, B, F, resetMode, delayedReset, inputLeak, vReset: vr } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const spk = io.spikes.data, mask = io.mask, h = io.h.data;
  const v = io.v ? io.v.data : null;
  const trace = v ?? h; // where v[t-1] is read from
  const s0 = io.s0 ? io.s0.data : null;
  const V = io.recV ? io.recV.data : null;
  const rec = io.rec ? io.rec.data : null;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0, rS = cfg.recPerNeuron ? 1 : 0;
  const cut = spikeCut(cfg.fireAtThreshold);
  const corrected = !delayedReset && cfg.correctedReset === true && resetMode !== 0;
  const prior = (delayedReset || corrected) && resetMode !== 0;
  // W_rec is transposed once so every step's GEMM is the plain NN form (no per-step copies).
  let Wt: Floats | null = null;
  if (io.recW && rec) {
    Wt = makeLike(io.recW.data, F * F);
    transposeInto(F, F, io.recW.data, 0, Wt, 0);
  }
  for (let t = 0; t < T; t++) {
    const row = t * N, prev = row - N;
    if (Wt && rec) {
      if (t === 0) gemm(false, false, B, F, F, 1, s0!, 0, Wt, 0, 0, rec, 0);
      else gemm(false, false, B, F, F, 1, spk, prev, Wt, 0, 0, rec, row);
    }
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = row + n;
        const be = beta[f * bS]!, th = thr[f * tS]!;
        const vp = t === 0 ? v0[n]! : trace[prev + n]!;
        let r = 0;
        if (rec) r = rec[idx]!;
        else if (V) r = V[f * rS]! * (t === 0 ? s0![n]! : spk[prev + n]!);
        const drive = (inputLeak ? 1 - be : 1) * x[idx]! + r;
        let hh: number;
        let R = 0;
        if (prior) {
          const zr = vp - th;
          R = smooth ? sgPrimitive(sid, p0, p1, zr) : zr > cut ? 1 : 0;
          if (resetMode === 1) hh = vr + be * (vp - vr) + drive - R * th;
          // A select when R is 0/1, as the plain loop does (vp + (vr − vp) need not round to vr).
          else if (resetMode === 2) hh = vr + be * (smooth ? vp + R * (vr - vp) - vr : R > 0 ? 0 : vp - vr) + drive;
          else {
            const h0 = vr + be * (vp - vr) + drive;
            hh = h0 + R * (vr - h0);
          }
        } else hh = vr + be * (vp - vr) + drive;
        h[idx] = hh;
        const z = h[idx]! - th; // decide on the stored (dtype-rounded) value
        const fired = z > cut ? 1 : 0;
        mask[idx] = fired;
        const s = smooth ? sgPrimitive(sid, p0, p1, z) : fired;
        spk[idx] = s;
        if (v) {
          const hv = h[idx]!;
          if (corrected) {
            const d = s - R;
            v[idx] = resetMode === 1 ? hv - d * th : hv + d * (vr - hv);
          } else if (resetMode === 1) v[idx] = hv - s * th;
          else if (resetMode !== 0) v[idx] = hv + s * (vr - hv);
          else v[idx] = hv;
        }
      }
    }
  }
}

export function lifBackward(cfg: LifConfig, io: LifBackwardIO): void {
  const { T, B, F, resetMode, delayedReset, detachReset, inputLeak, vReset: vr } = cfg;
  const { id: sid, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const spk = io.spikes.data, mask = io.mask, h = io.h.data;
  const v = io.v ? io.v.data : null;
  const trace = v ?? h;
  const s0 = io.s0 ? io.s0.data : null;
  const V = io.recV ? io.recV.data : null;
  const W = io.recW ? io.recW.data : null;
  const rec = io.rec ? io.rec.data : null;
  const gS = io.gSpikes ? io.gSpikes.data : null, gM = io.gMem ? io.gMem.data : null;
  const dx = io.dx ? io.dx.data : null;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0, rS = cfg.recPerNeuron ? 1 : 0;
  const cut = spikeCut(cfg.fireAtThreshold);
  const recurrent = V !== null || W !== null;
  const corrected = !delayedReset && cfg.correctedReset === true && resetMode !== 0;
  const prior = (delayedReset || corrected) && resetMode !== 0;
  // Carries: gradient w.r.t. v[t] and s[t] arriving from step t+1.
  const dvC = new Float64Array(N);
  const dsC = recurrent ? new Float64Array(N) : null;
  const dBeta = new Float64Array(bS ? F : 1), dThr = new Float64Array(tS ? F : 1), dV = new Float64Array(rS ? F : 1);
  // Full recurrence: dh of every step is kept for dW_rec (one GEMM at the end) and for the per-step dS GEMM.
  const dRec = W ? makeLike(h, T * N) : null;
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N, prev = row - N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = row + n;
        const be = beta[f * bS]!, th = thr[f * tS]!;
        const hv = h[idx]!;
        const z = hv - th;
        const g = sgGrad(sid, p0, p1, z);
        const s = smooth ? spk[idx]! : mask[idx]!;
        const dv = (gM ? gM[idx]! : 0) + dvC[n]!;
        let dS = (gS ? gS[idx]! : 0) + (dsC ? dsC[n]! : 0);
        let dth = 0;
        let dh: number;
        const vp = t === 0 ? v0[n]! : trace[prev + n]!;
        const zr = vp - th;
        const R = prior ? (smooth ? sgPrimitive(sid, p0, p1, zr) : zr > cut ? 1 : 0) : 0;
        let dRc = 0; // what reaches R through snnTorch's correction (s − R)
        if (corrected) {
          // The spike in the correction carries the surrogate gradient, as in snnTorch.
          const d = s - R;
          if (resetMode === 1) {
            dh = dv;
            dth -= dv * d;
            dS -= th * dv;
            dRc = th * dv;
          } else {
            dh = dv * (1 - d);
            dS += dv * (vr - hv);
            dRc = -dv * (vr - hv);
          }
        } else if (delayedReset) dh = dv;
        else if (resetMode === 1) {
          dh = dv;
          dth -= dv * s;
          if (!detachReset) dS -= th * dv;
        } else if (resetMode !== 0) {
          dh = dv * (1 - s);
          if (!detachReset) dS += dv * (vr - hv);
        } else dh = dv;
        dh += dS * g;
        dth -= dS * g;
        // Back through the charge (and the prior reset folded into it).
        const sp = recurrent && !W ? (t === 0 ? s0![n]! : spk[prev + n]!) : 0;
        let dcharge = dh; // gradient of vr + β(vp−vr) + γx + rec
        let dvp: number;
        let dbeta: number;
        if (prior) {
          let dR: number;
          if (resetMode === 1) {
            dvp = be * dh;
            dbeta = dh * (vp - vr);
            dth -= dh * R;
            dR = -dh * th;
          } else if (resetMode === 2) {
            const u = vp + R * (vr - vp);
            const du = be * dh;
            dvp = du * (1 - R);
            dbeta = dh * (u - vr);
            dR = du * (vr - vp);
          } else {
            const r = W ? rec![idx]! : V ? V[f * rS]! * sp : 0;
            const h0 = vr + be * (vp - vr) + (inputLeak ? 1 - be : 1) * x[idx]! + r;
            dcharge = dh * (1 - R);
            dR = dh * (vr - h0);
            dvp = be * dcharge;
            dbeta = dcharge * (vp - vr);
          }
          if (!detachReset) {
            const gr = sgGrad(sid, p0, p1, zr);
            dR += dRc;
            dvp += dR * gr;
            dth -= dR * gr;
          }
        } else {
          dvp = be * dh;
          dbeta = dh * (vp - vr);
        }
        if (inputLeak) {
          dbeta -= dcharge * x[idx]!;
          if (dx) dx[idx] = (1 - be) * dcharge;
        } else if (dx) dx[idx] = dcharge;
        dBeta[f * bS] += dbeta;
        dThr[f * tS] += dth;
        dvC[n] = dvp;
        if (V) {
          dV[f * rS] += dcharge * sp;
          dsC![n] = dcharge * V[f * rS]!;
        } else if (dRec) dRec[idx] = dcharge;
      }
    }
    // Full recurrence: gradient of s[t−1] = dRec[t]·W_rec (per batch row).
    if (W && dRec) gemm(false, false, B, F, F, 1, dRec, row, W, 0, 0, dsC!, 0);
  }
  if (io.dv0) io.dv0.data.set(dvC);
  if (io.ds0 && dsC) io.ds0.data.set(dsC);
  if (io.dBeta) io.dBeta.data.set(dBeta);
  if (io.dThreshold) io.dThreshold.data.set(dThr);
  if (io.dRecV) io.dRecV.data.set(dV);
  if (io.dRecW && W && dRec) {
    // dW[i,j] = Σ_t Σ_b dRec[t,b,i]·s[t−1,b,j], with s[−1] = s0.
    const dW = io.dRecW.data;
    gemm(true, false, F, F, B, 1, dRec, 0, s0!, 0, 0, dW, 0);
    if (T > 1) gemm(true, false, F, F, (T - 1) * B, 1, dRec, N, spk, 0, 1, dW, 0);
  }
}
