import type { AttentionKernels } from '../kernels/attention.js';
import type { Storage } from '../storage.js';

/*
 * Reference spiking-transformer kernels (kernels/attention.ts), sums in
 * float64 over the storages' typed arrays. Zero entries of the spike
 * operands (Q, K, V) are skipped, which is where binary inputs save work:
 * a token's K column and V column contribute |K_n|·dh additions to G.
 */

type Arr = Float32Array | Float64Array;

function linearAttentionForward(R: number, heads: number, dh: number, N: number, scale: number, q: Storage, k: Storage, v: Storage, G: Storage, out: Storage): void {
  const Q = q.data as Arr;
  const K = k.data as Arr;
  const V = v.data as Arr;
  const g = G.data as Arr;
  const o = out.data as Arr;
  const C = heads * dh;
  const acc = new Float64Array(dh * N);
  const gl = new Float64Array(dh * dh);
  for (let r = 0; r < R; r++) {
    for (let h = 0; h < heads; h++) {
      const base = r * C * N + h * dh * N;
      gl.fill(0);
      for (let i = 0; i < dh; i++) {
        const ki = base + i * N;
        for (let n = 0; n < N; n++) {
          const kv = K[ki + n]!;
          if (kv === 0) continue;
          for (let j = 0; j < dh; j++) gl[i * dh + j]! += kv * V[base + j * N + n]!;
        }
      }
      const gOff = (r * heads + h) * dh * dh;
      for (let x = 0; x < dh * dh; x++) g[gOff + x] = gl[x]!;
      acc.fill(0);
      for (let i = 0; i < dh; i++) {
        const qi = base + i * N;
        for (let n = 0; n < N; n++) {
          const qv = Q[qi + n]!;
          if (qv === 0) continue;
          for (let j = 0; j < dh; j++) acc[j * N + n]! += gl[i * dh + j]! * qv;
        }
      }
      for (let x = 0; x < dh * N; x++) o[base + x] = scale * acc[x]!;
    }
  }
}

function linearAttentionBackward(
  R: number,
  heads: number,
  dh: number,
  N: number,
  scale: number,
  q: Storage,
  k: Storage,
  v: Storage,
  G: Storage,
  dOut: Storage,
  dQ: Storage | null,
  dK: Storage | null,
  dV: Storage | null,
): void {
  const Q = q.data as Arr;
  const K = k.data as Arr;
  const V = v.data as Arr;
  const g = G.data as Arr;
  const dO = dOut.data as Arr;
  const C = heads * dh;
  const D = new Float64Array(dh * N);
  const dG = new Float64Array(dh * dh);
  const acc = new Float64Array(dh * N);
  for (let r = 0; r < R; r++) {
    for (let h = 0; h < heads; h++) {
      const base = r * C * N + h * dh * N;
      const gOff = (r * heads + h) * dh * dh;
      for (let x = 0; x < dh * N; x++) D[x] = scale * dO[base + x]!;
      if (dQ) {
        const dq = dQ.data as Arr;
        acc.fill(0);
        for (let i = 0; i < dh; i++) {
          for (let j = 0; j < dh; j++) {
            const gij = g[gOff + i * dh + j]!;
            if (gij === 0) continue;
            for (let n = 0; n < N; n++) acc[i * N + n]! += gij * D[j * N + n]!;
          }
        }
        for (let x = 0; x < dh * N; x++) dq[base + x] = acc[x]!;
      }
      if (!dK && !dV) continue;
      dG.fill(0);
      for (let i = 0; i < dh; i++) {
        const qi = base + i * N;
        for (let n = 0; n < N; n++) {
          const qv = Q[qi + n]!;
          if (qv === 0) continue;
          for (let j = 0; j < dh; j++) dG[i * dh + j]! += qv * D[j * N + n]!;
        }
      }
      if (dK) {
        const dk = dK.data as Arr;
        acc.fill(0);
        for (let j = 0; j < dh; j++) {
          const vj = base + j * N;
          for (let n = 0; n < N; n++) {
            const vv = V[vj + n]!;
            if (vv === 0) continue;
            for (let i = 0; i < dh; i++) acc[i * N + n]! += dG[i * dh + j]! * vv;
          }
        }
        for (let x = 0; x < dh * N; x++) dk[base + x] = acc[x]!;
      }
      if (dV) {
        const dv = dV.data as Arr;
        acc.fill(0);
        for (let i = 0; i < dh; i++) {
          const ki = base + i * N;
          for (let n = 0; n < N; n++) {
            const kv = K[ki + n]!;
            if (kv === 0) continue;
            for (let j = 0; j < dh; j++) acc[j * N + n]! += dG[i * dh + j]! * kv;
          }
        }
        for (let x = 0; x < dh * N; x++) dv[base + x] = acc[x]!;
      }
    }
  }
}

function rowDot(M: number, N: number, a: Storage, b: Storage, out: Storage): void {
  const A = a.data as Arr;
  const B = b.data as Arr;
  const o = out.data as Arr;
  for (let r = 0; r < M; r++) {
    let s = 0;
    const off = r * N;
    for (let n = 0; n < N; n++) {
      const x = A[off + n]!;
      if (x !== 0) s += x * B[off + n]!;
    }
    o[r] = s;
  }
}

function rowScale(M: number, N: number, x: Storage, s: Storage, out: Storage): void {
  const X = x.data as Arr;
  const S = s.data as Arr;
  const o = out.data as Arr;
  for (let r = 0; r < M; r++) {
    const c = S[r]!;
    const off = r * N;
    for (let n = 0; n < N; n++) o[off + n] = X[off + n]! * c;
  }
}

function layerNormForward(R: number, C: number, N: number, eps: number, x: Storage, gamma: Storage | null, beta: Storage | null, stats: Storage, out: Storage): void {
  const X = x.data as Arr;
  const Y = out.data as Arr;
  const st = stats.data as Arr;
  const ga = gamma ? (gamma.data as Arr) : null;
  const be = beta ? (beta.data as Arr) : null;
  for (let r = 0; r < R; r++) {
    const base = r * C * N;
    for (let n = 0; n < N; n++) {
      let m = 0;
      for (let c = 0; c < C; c++) m += X[base + c * N + n]!;
      m /= C;
      let var_ = 0;
      for (let c = 0; c < C; c++) {
        const d = X[base + c * N + n]! - m;
        var_ += d * d;
      }
      var_ /= C;
      const inv = 1 / Math.sqrt(var_ + eps);
      st[2 * (r * N + n)] = m;
      st[2 * (r * N + n) + 1] = inv;
      for (let c = 0; c < C; c++) {
        const xh = (X[base + c * N + n]! - m) * inv;
        Y[base + c * N + n] = (ga ? ga[c]! : 1) * xh + (be ? be[c]! : 0);
      }
    }
  }
}

function layerNormBackward(R: number, C: number, N: number, x: Storage, gamma: Storage | null, stats: Storage, dY: Storage, dX: Storage, dGamma: Storage | null, dBeta: Storage | null): void {
  const X = x.data as Arr;
  const dy = dY.data as Arr;
  const dx = dX.data as Arr;
  const st = stats.data as Arr;
  const ga = gamma ? (gamma.data as Arr) : null;
  const dga = dGamma ? new Float64Array(C) : null;
  const dbe = dBeta ? new Float64Array(C) : null;
  for (let r = 0; r < R; r++) {
    const base = r * C * N;
    for (let n = 0; n < N; n++) {
      const m = st[2 * (r * N + n)]!;
      const inv = st[2 * (r * N + n) + 1]!;
      // dx = inv·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·dy.
      let sg = 0;
      let sgx = 0;
      for (let c = 0; c < C; c++) {
        const i = base + c * N + n;
        const xh = (X[i]! - m) * inv;
        const gc = (ga ? ga[c]! : 1) * dy[i]!;
        sg += gc;
        sgx += gc * xh;
        if (dga) dga[c]! += dy[i]! * xh;
        if (dbe) dbe[c]! += dy[i]!;
      }
      sg /= C;
      sgx /= C;
      for (let c = 0; c < C; c++) {
        const i = base + c * N + n;
        const xh = (X[i]! - m) * inv;
        const gc = (ga ? ga[c]! : 1) * dy[i]!;
        dx[i] = inv * (gc - sg - xh * sgx);
      }
    }
  }
  if (dGamma && dga) {
    const d = dGamma.data as Arr;
    for (let c = 0; c < C; c++) d[c]! += dga[c]!;
  }
  if (dBeta && dbe) {
    const d = dBeta.data as Arr;
    for (let c = 0; c < C; c++) d[c]! += dbe[c]!;
  }
}

export const tsAttentionKernels: AttentionKernels = {
  linearAttentionForward,
  linearAttentionBackward,
  rowDot,
  rowScale,
  layerNormForward,
  layerNormBackward,
};
