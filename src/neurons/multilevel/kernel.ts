import type { MultiLevelBackwardIO, MultiLevelConfig, MultiLevelForwardIO } from '../../backend/kernels/neuron.js';
import { SurrogateId } from '../../backend/kernels/neuron.js';
import { sgGrad, sgPrimitive } from '../../backend/reference.js';

/*
 * The multi-level neuron's fused scan (its step rule, the readable equations:
 * ./rule.ts; the kernel's contract: MultiLevelConfig in
 * src/backend/kernels/neuron.ts). Time is the outer loop and neurons the inner
 * one; the state of step t−1 is read back from the stored membrane trace, so a
 * sequence gives the same numbers fused or one step at a time. Parameters are
 * indexed with a stride of 0 (per layer) or 1 (per neuron). The forward keeps
 * nothing for the backward but its outputs: the backward recomputes the
 * stored charge h, u = h/θ and the count from (x, v[t−1], β, θ) with the
 * same operations, which costs less than writing and reading an h trace.
 *
 * Every quantity is the rule's, operation for operation (double arithmetic,
 * the charge rounded to the storage dtype before anything is decided on it),
 * so the oracle test holds spikes and membranes equal bit for bit and the
 * gradients equal up to the order of nothing: the parameter sums run t
 * descending, then b, then f, as in the generic scan.
 *
 * The test-only smooth forward (each count step is the surrogate's primitive)
 * runs here too, in the general loops, so the finite-difference gradient
 * checks see this kernel's backward; the wasm and native kernels decline it.
 */

/**
 * The count c = #{k ∈ 1..D : u − (k − ½) > 0}, the rule's sum of D Heaviside
 * steps, in closed form: m = ⌊u + ½⌋ is the answer or one above it (u + ½ is
 * rounded, but monotonically, between the integers around it), and m − ½ ≥ u
 * (exact: m − ½ is a double) says which. Exact for |u| < 2^51; beyond that
 * the clamp decides, and a huge positive u still gives D, a huge negative one
 * 0. NaN gives 0, as every comparison of the rule is false.
 */
export function levelCount(u: number, D: number): number {
  let m = Math.floor(u + 0.5);
  if (m - 0.5 >= u) m -= 1;
  return m > 0 ? (m < D ? m : D) : 0;
}

export function multiLevelForward(cfg: MultiLevelConfig, io: MultiLevelForwardIO): void {
  const v = io.v.data;
  if (!cfg.surrogate.smooth && v instanceof Float32Array) forwardFloat32(cfg, io);
  else forwardGeneral(cfg, io);
}

/**
 * The training path (Heaviside counts, float32 storage): the general loop
 * with the options resolved outside it and Math.fround for the stored charge,
 * which V8 compiles to a tight loop.
 */
function forwardFloat32(cfg: MultiLevelConfig, io: MultiLevelForwardIO): void {
  const { T, B, F, levels: D, normalized, hardReset, vReset } = cfg;
  const N = B * F;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const spk = io.spikes.data, v = io.v.data;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    const src = t === 0 ? v0 : v;
    const off = t === 0 ? 0 : row - N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = row + n;
        const th = thr[f * tS]!;
        const h = Math.fround(beta[f * bS]! * src[off + n]! + x[idx]!);
        const c = levelCount(h / th, D);
        spk[idx] = normalized ? c / D : c;
        v[idx] = hardReset ? (c > 0 ? vReset : h) : h - c * th;
      }
    }
  }
}

/** Any dtype, Heaviside or smooth counts. */
function forwardGeneral(cfg: MultiLevelConfig, io: MultiLevelForwardIO): void {
  const { T, B, F, levels: D, normalized, hardReset, vReset } = cfg;
  const { id, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data;
  const spk = io.spikes.data, v = io.v.data;
  const f32 = v instanceof Float32Array;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const th = thr[f * tS]!;
        const vp = t === 0 ? v0[n]! : v[idx - N]!;
        const hs = beta[f * bS]! * vp + x[idx]!;
        const h = f32 ? Math.fround(hs) : hs;
        const u = h / th;
        let c: number;
        if (smooth) {
          c = 0;
          for (let l = 1; l <= D; l++) c += sgPrimitive(id, p0, p1, u - (l - 0.5));
        } else c = levelCount(u, D);
        spk[idx] = normalized ? c / D : c;
        let vn: number;
        if (!hardReset) vn = h - c * th;
        else if (smooth) vn = h + sgPrimitive(id, p0, p1, u - 0.5) * (vReset - h);
        else vn = c > 0 ? vReset : h;
        v[idx] = vn;
      }
    }
  }
}

/**
 * BPTT through the scan (the rule's adjoint, ./rule.ts): per element, with
 * dv = dL/dv[t] (the membrane gradient plus the carry from step t+1) and
 * dc = dL/dc (dL/ds, divided by D when normalized):
 *   soft: dh = dv, dθ = −dv·c, and dc −= dv·θ unless the reset is detached;
 *   hard: dh = dv·(1 − R) with R = [c > 0], and du = dv·(vReset − h)·g(u − ½) unless detached;
 *   du += dc·Σ_k g(u − k + ½);  dh += du/θ;  dθ −= du·h/θ²;
 *   dx = dh, dβ += dh·v[t−1], carry = β·dh.
 * Gradients overwrite their outputs; β/θ sums are float64 until the end.
 */
export function multiLevelBackward(cfg: MultiLevelConfig, io: MultiLevelBackwardIO): void {
  const { T, B, F, levels: D, normalized, hardReset, vReset, detachReset } = cfg;
  const { id, p0, p1, smooth } = cfg.surrogate;
  const N = B * F;
  const bS = cfg.betaPerNeuron ? 1 : 0, tS = cfg.thresholdPerNeuron ? 1 : 0;
  const x = io.x.data, v0 = io.v0.data, beta = io.beta.data, thr = io.threshold.data, v = io.v.data;
  const gS = io.gSpikes ? io.gSpikes.data : null, gM = io.gMem ? io.gMem.data : null;
  const dx = io.dx ? io.dx.data : null;
  const f32 = v instanceof Float32Array;
  const sums = io.dBeta !== null || io.dThreshold !== null;
  const carry = new Float64Array(N);
  if (io.gState) carry.set(io.gState.data);
  const dBeta = new Float64Array(bS ? F : 1), dThr = new Float64Array(tS ? F : 1);
  // The rectangle (the layer's default) written out: sgGrad's formula with its constants
  // hoisted (the same doubles), which V8 does not inline; it halves the loop's time.
  const rect = id === SurrogateId.rectangle, half = p0 / 2, inv = 1 / p0;
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const n = b * F + f, idx = row + n;
        const be = beta[f * bS]!, th = thr[f * tS]!;
        const vp = t === 0 ? v0[n]! : v[idx - N]!;
        const hs = be * vp + x[idx]!;
        const h = f32 ? Math.fround(hs) : hs;
        const u = h / th;
        let c = 0, G = 0;
        if (smooth) {
          for (let l = 1; l <= D; l++) {
            c += sgPrimitive(id, p0, p1, u - (l - 0.5));
            G += sgGrad(id, p0, p1, u - (l - 0.5));
          }
        } else {
          c = levelCount(u, D);
          if (rect) for (let l = 1; l <= D; l++) G += Math.abs(u - (l - 0.5)) < half ? inv : 0;
          else for (let l = 1; l <= D; l++) G += sgGrad(id, p0, p1, u - (l - 0.5));
        }
        const dv = (gM ? gM[idx]! : 0) + carry[n]!;
        let dc = gS ? gS[idx]! : 0;
        if (normalized) dc = dc / D;
        let dh: number, dth = 0, du = 0;
        if (hardReset) {
          const R = smooth ? sgPrimitive(id, p0, p1, u - 0.5) : c > 0 ? 1 : 0;
          dh = dv * (1 - R);
          if (!detachReset) du += dv * (vReset - h) * sgGrad(id, p0, p1, u - 0.5);
        } else {
          dh = dv;
          dth -= dv * c;
          if (!detachReset) dc -= dv * th;
        }
        du += dc * G;
        dh += du / th;
        dth -= (du * h) / (th * th);
        if (sums) {
          dBeta[f * bS] += dh * vp;
          dThr[f * tS] += dth;
        }
        if (dx) dx[idx] = dh;
        carry[n] = be * dh;
      }
    }
  }
  if (io.dv0) io.dv0.data.set(carry);
  if (io.dBeta) io.dBeta.data.set(dBeta);
  if (io.dThreshold) io.dThreshold.data.set(dThr);
}
