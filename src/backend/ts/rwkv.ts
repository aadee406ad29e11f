import type { RwkvKernels } from '../kernels/rwkv.js';
import type { Storage } from '../storage.js';
import { sgExp } from '../kernels/surrogates.generated.js';

/*
 * Reference RWKV kernels (kernels/rwkv.ts): float64 arithmetic over the
 * storages' typed arrays, sgExp for every exponential, maxima written as
 * `a > b ? a : b`. The native and wasm kernels repeat these operations in
 * this order, which is what makes them agree to the bit; change one, change
 * all three. The derivation of the backward is in docs/spikegpt.md.
 */

type Arr = Float32Array | Float64Array;

function wkvForward(T: number, B: number, C: number, k: Storage, v: Storage, w: Storage, u: Storage, s0: Storage, y: Storage, s1: Storage): void {
  const K = k.data as Arr, V = v.data as Arr, W = w.data as Arr, U = u.data as Arr;
  const S0 = s0.data as Arr, Y = y.data as Arr, S1 = s1.data as Arr;
  const BC = B * C;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const i0 = b * C + c;
      let aa = S0[i0]!, bb = S0[BC + i0]!, pp = S0[2 * BC + i0]!;
      const wc = W[c]!, uc = U[c]!;
      for (let t = 0; t < T; t++) {
        const i = t * BC + i0;
        const kt = K[i]!, vt = V[i]!;
        const ww = uc + kt;
        const p = pp > ww ? pp : ww;
        let e1 = sgExp(pp - p), e2 = sgExp(ww - p);
        Y[i] = (e1 * aa + e2 * vt) / (e1 * bb + e2);
        const ws = pp - wc;
        const q = ws > kt ? ws : kt;
        e1 = sgExp(ws - q);
        e2 = sgExp(kt - q);
        aa = e1 * aa + e2 * vt;
        bb = e1 * bb + e2;
        pp = q;
      }
      S1[i0] = aa;
      S1[BC + i0] = bb;
      S1[2 * BC + i0] = pp;
    }
  }
}

function wkvBackward(T: number, B: number, C: number, k: Storage, v: Storage, w: Storage, u: Storage, s0: Storage, gy: Storage, gk: Storage, gv: Storage, gw: Storage, gu: Storage): void {
  const K = k.data as Arr, V = v.data as Arr, W = w.data as Arr, U = u.data as Arr;
  const S0 = s0.data as Arr, GY = gy.data as Arr, GK = gk.data as Arr, GV = gv.data as Arr;
  const BC = B * C;
  // The states before each token, recomputed (one channel at a time).
  const sa = new Float64Array(T), sb = new Float64Array(T), sp = new Float64Array(T);
  const gwSum = new Float64Array(C), guSum = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const i0 = b * C + c;
      const wc = W[c]!, uc = U[c]!;
      let aa = S0[i0]!, bb = S0[BC + i0]!, pp = S0[2 * BC + i0]!;
      for (let t = 0; t < T; t++) {
        sa[t] = aa;
        sb[t] = bb;
        sp[t] = pp;
        const i = t * BC + i0;
        const kt = K[i]!, vt = V[i]!;
        const ws = pp - wc;
        const q = ws > kt ? ws : kt;
        const e1 = sgExp(ws - q), e2 = sgExp(kt - q);
        aa = e1 * aa + e2 * vt;
        bb = e1 * bb + e2;
        pp = q;
      }
      // Reverse pass. The adjoints of the unscaled sums before token t+1 are
      // α = e^m·ra and β = e^m·rb; m is the running max of their exponents.
      let ra = 0, rb = 0, m = -1e38, gwAcc = 0, guAcc = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * BC + i0;
        const kt = K[i]!, vt = V[i]!, g = GY[i]!;
        aa = sa[t]!;
        bb = sb[t]!;
        pp = sp[t]!;
        // Through the state after token t: A' = e^{−w}·A + e^{k}·v, B' = e^{−w}·B + e^{k}.
        const ek = sgExp(kt + m);
        const gkState = ek * (vt * ra + rb);
        const gvState = ek * ra;
        gwAcc -= sgExp(pp - wc + m) * (ra * aa + rb * bb);
        // The output at t: y = (A + E·v) / (B + E), E = e^{u + k}.
        const ww = uc + kt;
        const p = pp > ww ? pp : ww;
        const e1 = sgExp(pp - p), e2 = sgExp(ww - p);
        const den = e1 * bb + e2;
        const yt = (e1 * aa + e2 * vt) / den;
        const qd = g / den;
        const gDirect = qd * e2 * (vt - yt);
        GK[i] = gDirect + gkState;
        GV[i] = qd * e2 + gvState;
        guAcc += gDirect;
        // α_t = g/D_t + e^{−w}·α_{t+1} (β likewise with −g·y/D_t), D_t = e^p·den.
        const mc = m - wc;
        const mn = -p > mc ? -p : mc;
        const f1 = sgExp(-p - mn), f2 = sgExp(mc - mn);
        ra = f1 * qd + f2 * ra;
        rb = f2 * rb - f1 * qd * yt;
        m = mn;
      }
      gwSum[c] = b === 0 ? gwAcc : gwSum[c]! + gwAcc;
      guSum[c] = b === 0 ? guAcc : guSum[c]! + guAcc;
    }
  }
  const GW = gw.data as Arr, GU = gu.data as Arr;
  for (let c = 0; c < C; c++) {
    GW[c] = B > 0 ? gwSum[c]! : 0;
    GU[c] = B > 0 ? guSum[c]! : 0;
  }
}

function tokenShiftForward(T: number, B: number, C: number, x: Storage, prev: Storage | null, mu: Storage, out: Storage): void {
  const X = x.data as Arr, M = mu.data as Arr, P = prev ? (prev.data as Arr) : null, O = out.data as Arr;
  const BC = B * C;
  for (let t = 0; t < T; t++) {
    const cur = t * BC;
    // (b, c) loops rather than an index modulo: the wasm backend runs this reference too.
    for (let b = 0, i = 0; b < B; b++) {
      for (let c = 0; c < C; c++, i++) {
        const m = M[c]!;
        const before = t > 0 ? X[cur - BC + i]! : P ? P[i]! : 0;
        O[cur + i] = m * X[cur + i]! + (1 - m) * before;
      }
    }
  }
}

function tokenShiftBackward(T: number, B: number, C: number, x: Storage, prev: Storage | null, mu: Storage, g: Storage, dx: Storage | null, dMu: Storage | null): void {
  const X = x.data as Arr, M = mu.data as Arr, P = prev ? (prev.data as Arr) : null, G = g.data as Arr;
  const BC = B * C;
  if (dx) {
    const D = dx.data as Arr;
    for (let t = 0; t < T; t++) {
      const cur = t * BC;
      for (let b = 0, i = 0; b < B; b++) {
        for (let c = 0; c < C; c++, i++) {
          const m = M[c]!;
          const next = t + 1 < T ? G[cur + BC + i]! : 0;
          D[cur + i] = m * G[cur + i]! + (1 - m) * next;
        }
      }
    }
  }
  if (dMu) {
    // Per channel: over t, then b within t (the order every backend sums in).
    const acc = new Float64Array(C);
    for (let t = 0; t < T; t++) {
      const cur = t * BC;
      for (let b = 0, i = 0; b < B; b++) {
        for (let c = 0; c < C; c++, i++) {
          const before = t > 0 ? X[cur - BC + i]! : P ? P[i]! : 0;
          acc[c]! += G[cur + i]! * (X[cur + i]! - before);
        }
      }
    }
    (dMu.data as Arr).set(acc);
  }
}

function sigmoidGateForward(n: number, r: Storage, y: Storage, out: Storage, sig: Storage): void {
  const R = r.data as Arr, Y = y.data as Arr, O = out.data as Arr, S = sig.data as Arr;
  for (let i = 0; i < n; i++) {
    const s = 1 / (1 + sgExp(-R[i]!));
    S[i] = s;
    O[i] = Y[i]! * s;
  }
}

function sigmoidGateBackward(n: number, g: Storage, y: Storage, sig: Storage, dr: Storage | null, dy: Storage | null): void {
  const G = g.data as Arr, Y = y.data as Arr, S = sig.data as Arr;
  if (dr) {
    const D = dr.data as Arr;
    for (let i = 0; i < n; i++) D[i] = G[i]! * Y[i]! * S[i]! * (1 - S[i]!);
  }
  if (dy) {
    const D = dy.data as Arr;
    for (let i = 0; i < n; i++) D[i] = G[i]! * S[i]!;
  }
}

function reluSquareForward(n: number, x: Storage, out: Storage): void {
  const X = x.data as Arr, O = out.data as Arr;
  for (let i = 0; i < n; i++) {
    const r = X[i]! > 0 ? X[i]! : 0;
    O[i] = r * r;
  }
}

function reluSquareBackward(n: number, x: Storage, g: Storage, dx: Storage): void {
  const X = x.data as Arr, G = g.data as Arr, D = dx.data as Arr;
  for (let i = 0; i < n; i++) D[i] = X[i]! > 0 ? 2 * X[i]! * G[i]! : 0;
}

export const tsRwkvKernels: RwkvKernels = {
  wkvForward,
  wkvBackward,
  tokenShiftForward,
  tokenShiftBackward,
  sigmoidGateForward,
  sigmoidGateBackward,
  reluSquareForward,
  reluSquareBackward,
};
