import { sgConst, sgGrad, sgGradV } from './surrogate.generated';

/*
 * LIF-family scans without recurrence and with Heaviside spikes (the training
 * hot path; equations in src/backend/kernels/neuron.ts). Arithmetic is f64 and
 * rounded to f32 on store exactly where the reference
 * (src/backend/ts/neurons/lif.ts) stores, and spikes are decided on the stored
 * value, so spike trains match the TypeScript backend bit for bit.
 * The spike mask is written as bytes into linear memory (`mask`); the caller
 * copies it out. Parameter strides are 0 (per layer) or 1 (per neuron).
 *
 * `fire` is the firing rule (LifConfig.fireAtThreshold; 1: spike at h ≥ θ):
 * every decision, the spike and the prior reset's R, is the reference's
 * H(h − θ) (spikeCut in src/backend/kernels/neuron.ts). The forward kernels
 * are compiled once per rule (reaches, reaches4: h > θ, or h − θ ≥ 0), since
 * a subtraction and a cut compared per element cost the SIMD Leaky forward
 * ~10% and the plain one ~3%; the backward kernels compare z = v − θ with the
 * cut (0, or the negative number nearest zero, so that z > cut is z ≥ 0),
 * which measured no cost there.
 */

// @ts-ignore: decorator
@inline
function spikeCut(fire: i32): f64 {
  return fire != 0 ? -f64.MIN_VALUE : 0;
}

// @ts-ignore: decorator
@inline
function spikeCutF(fire: i32): f32 {
  return fire != 0 ? -f32.MIN_VALUE : 0;
}

/**
 * H(a − b) for a literal `fire`: a − b ≥ 0 (fire = 1), or a > b, the compare
 * the kernels made before the rule existed (the same decision as a − b > 0
 * for every input). Inlined with a constant, the other arm folds away.
 */
// @ts-ignore: decorator
@inline
function reaches<T>(a: T, b: T, fire: i32): bool {
  return fire != 0 ? a - b >= <T>0 : a > b;
}

/** reaches on four f32 lanes (all ones where true). */
// @ts-ignore: decorator
@inline
function reaches4(a: v128, b: v128, fire: i32): v128 {
  return fire != 0 ? f32x4.ge(f32x4.sub(a, b), f32x4.splat(0)) : f32x4.gt(a, b);
}

/**
 * snnTorch Leaky (delayed reset, vReset = 0, no input leak, β and θ per layer),
 * four neurons per iteration: f32x4 loads, f64x2 arithmetic, f32x4 stores.
 * One copy of the loop per firing rule.
 */
export function lifForwardLeaky(T: i32, N: i32, mode: i32, fire: i32, be: f64, th: f32, x: usize, v0: usize, h: usize, spk: usize, mask: usize): void {
  if (fire != 0) leakyForwardAtThreshold(T, N, mode, be, th, x, v0, h, spk, mask);
  else leakyForwardAboveThreshold(T, N, mode, be, th, x, v0, h, spk, mask);
}

// Two functions rather than two inlined calls in one: binaryen merged those
// back into one loop that computed both compares and selected per lane.
function leakyForwardAtThreshold(T: i32, N: i32, mode: i32, be: f64, th: f32, x: usize, v0: usize, h: usize, spk: usize, mask: usize): void {
  leakyForward(T, N, mode, 1, be, th, x, v0, h, spk, mask);
}

function leakyForwardAboveThreshold(T: i32, N: i32, mode: i32, be: f64, th: f32, x: usize, v0: usize, h: usize, spk: usize, mask: usize): void {
  leakyForward(T, N, mode, 0, be, th, x, v0, h, spk, mask);
}

// @ts-ignore: decorator
@inline
function leakyForward(T: i32, N: i32, mode: i32, fire: i32, be: f64, th: f32, x: usize, v0: usize, h: usize, spk: usize, mask: usize): void {
  const bev = f64x2.splat(be), thd = f64x2.splat(<f64>th), th4 = f32x4.splat(th);
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const bytes1 = i8x16.splat(1);
  for (let t = 0; t < T; t++) {
    const row = <usize>(t * N);
    const src = t == 0 ? v0 : h + ((row - <usize>N) << 2);
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const o = <usize>n << 2;
      const vp = v128.load(src + o), xi = v128.load(x + (row << 2) + o);
      const vlo = f64x2.promote_low_f32x4(vp), vhi = f64x2.promote_low_f32x4(i32x4.shuffle(vp, vp, 2, 3, 0, 1));
      const xlo = f64x2.promote_low_f32x4(xi), xhi = f64x2.promote_low_f32x4(i32x4.shuffle(xi, xi, 2, 3, 0, 1));
      let lo = f64x2.add(f64x2.mul(bev, vlo), xlo);
      let hi = f64x2.add(f64x2.mul(bev, vhi), xhi);
      let hv = i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
      if (mode != 0) {
        let reset: v128;
        if (mode == 1) {
          reset = i32x4.shuffle(
            f32x4.demote_f64x2_zero(f64x2.sub(lo, thd)),
            f32x4.demote_f64x2_zero(f64x2.sub(hi, thd)),
            0, 1, 4, 5,
          );
        } else if (mode == 2) reset = xi;
        else reset = zero;
        hv = v128.bitselect(reset, hv, reaches4(vp, th4, fire));
      }
      v128.store(h + (row << 2) + o, hv);
      const fired = reaches4(hv, th4, fire);
      v128.store(spk + (row << 2) + o, v128.and(fired, one));
      const b16 = i16x8.narrow_i32x4_s(fired, fired);
      const b8 = v128.and(i8x16.narrow_i16x8_s(b16, b16), bytes1);
      store<i32>(mask + row + <usize>n, i32x4.extract_lane(b8, 0));
    }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      const vp = load<f32>(src + o), xi = <f64>load<f32>(x + (row << 2) + o);
      let hh: f64;
      if (mode != 0 && reaches<f32>(vp, th, fire)) hh = mode == 1 ? be * <f64>vp + xi - <f64>th : mode == 2 ? xi : 0;
      else hh = be * <f64>vp + xi;
      const hf = <f32>hh;
      store<f32>(h + (row << 2) + o, hf);
      const fired: i32 = reaches<f32>(hf, th, fire) ? 1 : 0;
      store<f32>(spk + (row << 2) + o, <f32>fired);
      store<u8>(mask + row + <usize>n, <u8>fired);
    }
  }
}

/*
 * Reset timing, the `delayedReset` argument of the plain kernels: 1 delayed,
 * 0 same-step (textbook), 2 same-step in snnTorch's form (LifConfig.correctedReset:
 * R of the previous membrane enters the charge, then the (s − R) correction).
 */
const TIMING_CORRECTED = 2;

/** Any non-recurrent LIF configuration (per-neuron parameters, input leak, vReset, same-step reset). `v` is 0 under delayed reset. */
export function lifForwardPlain(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32, fire: i32,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, spk: usize, mask: usize,
): void {
  if (fire != 0) plainForwardAtThreshold(T, B, F, mode, delayedReset, inputLeak, vr, bS, tS, x, v0, beta, thr, h, v, spk, mask);
  else plainForwardAboveThreshold(T, B, F, mode, delayedReset, inputLeak, vr, bS, tS, x, v0, beta, thr, h, v, spk, mask);
}

function plainForwardAtThreshold(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, spk: usize, mask: usize,
): void {
  plainForward(T, B, F, mode, delayedReset, inputLeak, vr, bS, tS, 1, x, v0, beta, thr, h, v, spk, mask);
}

function plainForwardAboveThreshold(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, spk: usize, mask: usize,
): void {
  plainForward(T, B, F, mode, delayedReset, inputLeak, vr, bS, tS, 0, x, v0, beta, thr, h, v, spk, mask);
}

// @ts-ignore: decorator
@inline
function plainForward(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32, fire: i32,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, spk: usize, mask: usize,
): void {
  const N = B * F;
  const trace = v != 0 ? v : h;
  const corrected = delayedReset == TIMING_CORRECTED && mode != 0;
  const delayed = (delayedReset == 1 || corrected) && mode != 0;
  const sameStep = delayedReset != 1 && mode != 0;
  const vrf = <f32>vr;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = <usize>(row + n);
        const be = <f64>load<f32>(beta + (<usize>(f * bS) << 2));
        const th = load<f32>(thr + (<usize>(f * tS) << 2));
        const vp = <f64>(t == 0 ? load<f32>(v0 + (<usize>n << 2)) : load<f32>(trace + ((idx - <usize>N) << 2)));
        const xv = <f64>load<f32>(x + (idx << 2));
        const xi = inputLeak ? (1 - be) * xv : xv;
        let hh: f64;
        const R: f64 = delayed && reaches<f64>(vp, <f64>th, fire) ? 1 : 0;
        if (R != 0) {
          if (mode == 1) hh = vr + be * (vp - vr) + xi - <f64>th;
          else if (mode == 2) hh = xi + vr;
          else hh = vr;
        } else hh = vr + be * (vp - vr) + xi;
        const hf = <f32>hh;
        store<f32>(h + (idx << 2), hf);
        const fired = reaches<f32>(hf, th, fire);
        store<u8>(mask + idx, fired ? 1 : 0);
        store<f32>(spk + (idx << 2), fired ? 1 : 0);
        if (corrected) {
          // d = s − R ∈ {−1, 0, 1}, in double then rounded, as lif.ts does.
          const d = (fired ? 1.0 : 0.0) - R, hd = <f64>hf;
          store<f32>(v + (idx << 2), <f32>(mode == 1 ? hd - d * <f64>th : hd + d * (vr - hd)));
        } else if (sameStep) store<f32>(v + (idx << 2), !fired ? hf : mode == 1 ? <f32>(<f64>hf - <f64>th) : vrf);
      }
    }
  }
}


/*
 * BPTT backward of lifForwardPlain / lifForwardLeaky (gradients overwrite their
 * outputs), mirroring lifBackward in src/backend/ts/neurons/lif.ts operation by
 * operation. gS, gM, dx may be 0 (absent). dvC [N] is f64 scratch that ends as
 * dL/dv0. dBeta [F or 1] and dThr [F or 1] are f64 scratch that end as the
 * parameter gradients (the caller rounds them into the f32 outputs); 0 means
 * "not requested" and skips those sums, which only feed these two outputs.
 */

/**
 * One element of the backward: the reference's loop body with the same double
 * operations in the same order. Reads the v carry at `cp` and replaces it,
 * writes dx at `dxp` and adds dβ/dθ into the f64 accumulators at bp/tp (each
 * only when non-zero). Shared by the scalar kernel and the SIMD kernel's tail.
 */
// @ts-ignore: decorator
@inline
function backwardElement(
  mode: i32, delayedReset: i32, detachReset: i32, inputLeak: i32, vr: f64, fire: i32, sid: i32, p0: f64, p1: f64,
  be: f64, thf: f32, hf: f32, vp: f64, xv: f64, gm: f64, gs: f64, cp: usize, dxp: usize, bp: usize, tp: usize,
): void {
  const th = <f64>thf, hv = <f64>hf, cut = spikeCut(fire);
  const g = sgGrad(sid, p0, p1, hv - th);
  const s: f64 = hf - thf > spikeCutF(fire) ? 1 : 0;
  const dv = gm + load<f64>(cp);
  let dS = gs;
  let dth: f64 = 0;
  let dh: f64;
  const corrected = delayedReset == TIMING_CORRECTED && mode != 0;
  const zr = vp - th;
  let dRc: f64 = 0; // what reaches R through snnTorch's correction (s − R)
  if (corrected) {
    // The spike in the correction carries the surrogate gradient, as in snnTorch.
    const d = s - (zr > cut ? 1 : 0);
    if (mode == 1) {
      dh = dv;
      dth -= dv * d;
      dS -= th * dv;
      dRc = th * dv;
    } else {
      dh = dv * (1 - d);
      dS += dv * (vr - hv);
      dRc = -dv * (vr - hv);
    }
  } else if (delayedReset == 1) dh = dv;
  else if (mode == 1) {
    dh = dv;
    dth -= dv * s;
    if (!detachReset) dS -= th * dv;
  } else if (mode != 0) {
    dh = dv * (1 - s);
    if (!detachReset) dS += dv * (vr - hv);
  } else dh = dv;
  dh += dS * g;
  dth -= dS * g;
  let dcharge = dh;
  let dvp: f64, dbeta: f64;
  if ((delayedReset == 1 || corrected) && mode != 0) {
    const R: f64 = zr > cut ? 1 : 0;
    let dR: f64;
    if (mode == 1) {
      dvp = be * dh;
      dbeta = dh * (vp - vr);
      dth -= dh * R;
      dR = -dh * th;
    } else if (mode == 2) {
      const u = vp + R * (vr - vp);
      const du = be * dh;
      dvp = du * (1 - R);
      dbeta = dh * (u - vr);
      dR = du * (vr - vp);
    } else {
      const h0 = vr + be * (vp - vr) + (inputLeak ? 1 - be : 1) * xv;
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
    dbeta -= dcharge * xv;
    if (dxp) store<f32>(dxp, <f32>((1 - be) * dcharge));
  } else if (dxp) store<f32>(dxp, <f32>dcharge);
  if (bp) store<f64>(bp, load<f64>(bp) + dbeta);
  if (tp) store<f64>(tp, load<f64>(tp) + dth);
  store<f64>(cp, dvp);
}

/** Any non-recurrent configuration, one element at a time (per-neuron β/θ, same-step reset). */
export function lifBackwardPlain(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, detachReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32,
  fire: i32, sid: i32, p0: f64, p1: f64,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, gS: usize, gM: usize, dx: usize,
  dvC: usize, dBeta: usize, dThr: usize,
): void {
  const N = B * F;
  const trace = v != 0 ? v : h;
  memory.fill(dvC, 0, <usize>N << 3);
  if (dBeta) memory.fill(dBeta, 0, <usize>(bS != 0 ? F : 1) << 3);
  if (dThr) memory.fill(dThr, 0, <usize>(tS != 0 ? F : 1) << 3);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = <usize>(row + n), e = idx << 2;
        const vp = <f64>(t == 0 ? load<f32>(v0 + (<usize>n << 2)) : load<f32>(trace + ((idx - <usize>N) << 2)));
        backwardElement(
          mode, delayedReset, detachReset, inputLeak, vr, fire, sid, p0, p1,
          <f64>load<f32>(beta + (<usize>(f * bS) << 2)), load<f32>(thr + (<usize>(f * tS) << 2)), load<f32>(h + e), vp,
          <f64>load<f32>(x + e), gM ? <f64>load<f32>(gM + e) : 0, gS ? <f64>load<f32>(gS + e) : 0,
          dvC + (<usize>n << 3), dx ? dx + e : 0, dBeta ? dBeta + (<usize>(f * bS) << 3) : 0, dThr ? dThr + (<usize>(f * tS) << 3) : 0,
        );
      }
    }
  }
}

/**
 * Delayed reset with β and θ per layer (snnTorch's Leaky and its variants:
 * every reset mode, input leak, vReset, detach, surrogate), two neurons per
 * iteration in f64x2 lanes: f32 pairs are promoted exactly, every lane does
 * backwardElement's double operations in the same order (no fused
 * multiply-add exists in wasm SIMD), and dx is demoted with the same rounding
 * as the scalar store, so results are bit-identical to lifBackwardPlain.
 * The per-layer dβ/dθ sums (when dBeta != 0; dThr must then be non-zero too)
 * add lane 0 before lane 1, i.e. in the scalar element order. `trace` is
 * where v[t−1] is read (h under delayed reset, or v when the caller keeps it).
 */
export function lifBackwardLeaky(
  T: i32, N: i32, mode: i32, detachReset: i32, inputLeak: i32, vr: f64, be: f64, th: f32, fire: i32, sid: i32, p0: f64, p1: f64,
  x: usize, v0: usize, trace: usize, h: usize, gS: usize, gM: usize, dx: usize, dvC: usize, dBeta: usize, dThr: usize,
): void {
  memory.fill(dvC, 0, <usize>N << 3);
  const sums = dBeta != 0 ? 1 : 0;
  // The benchmark's (and snnTorch's default training) configuration gets its
  // own copy with the options as literals, so the optimizer drops every
  // option test and the unused dβ/dθ arithmetic from its loop.
  if (mode == 1 && detachReset != 0 && inputLeak == 0 && sid == 0 && sums == 0) {
    leakyScan(T, N, 1, 1, 0, 0, vr, be, th, fire, 0, p0, p1, x, v0, trace, h, gS, gM, dx, dvC, dBeta, dThr);
  } else {
    leakyScan(T, N, mode, detachReset, inputLeak, sums, vr, be, th, fire, sid, p0, p1, x, v0, trace, h, gS, gM, dx, dvC, dBeta, dThr);
  }
}

// @ts-ignore: decorator
@inline
function leakyScan(
  T: i32, N: i32, mode: i32, detachReset: i32, inputLeak: i32, sums: i32, vr: f64, be: f64, th: f32, fire: i32, sid: i32, p0: f64, p1: f64,
  x: usize, v0: usize, trace: usize, h: usize, gS: usize, gM: usize, dx: usize, dvC: usize, dBeta: usize, dThr: usize,
): void {
  const zero = f64x2.splat(0), one = f64x2.splat(1), cut = f64x2.splat(spikeCut(fire));
  const bev = f64x2.splat(be), thv = f64x2.splat(<f64>th), vrv = f64x2.splat(vr);
  const leak = f64x2.splat(1 - be); // dx = (1 − β)·dcharge under input leak
  const drive = f64x2.splat(inputLeak ? 1 - be : 1); // the input's coefficient in h0 (zeroAfter)
  const k0 = f64x2.splat(sgConst(sid, p0, p1, 0)), k1 = f64x2.splat(sgConst(sid, p0, p1, 1)), k2 = f64x2.splat(sgConst(sid, p0, p1, 2));
  const needX = inputLeak != 0 || mode == 3;
  let accB: f64 = 0, accT: f64 = 0;
  for (let t = T - 1; t >= 0; t--) {
    const row = <usize>t * <usize>N;
    const prev = t == 0 ? v0 : trace + ((row - <usize>N) << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const o = <usize>n << 2, e = (row << 2) + o, cp = dvC + (<usize>n << 3);
      const hv = f64x2.promote_low_f32x4(v128.load64_zero(h + e));
      const vp = f64x2.promote_low_f32x4(v128.load64_zero(prev + o));
      const xv = needX ? f64x2.promote_low_f32x4(v128.load64_zero(x + e)) : zero;
      const gm = gM ? f64x2.promote_low_f32x4(v128.load64_zero(gM + e)) : zero;
      const dS = gS ? f64x2.promote_low_f32x4(v128.load64_zero(gS + e)) : zero;
      const g = sgGradV(sid, p0, p1, k0, k1, k2, f64x2.sub(hv, thv));
      const dSg = f64x2.mul(dS, g);
      let dh = f64x2.add(f64x2.add(gm, v128.load(cp)), dSg);
      let dth = f64x2.sub(zero, dSg);
      let dcharge = dh;
      let dvp: v128, dbeta: v128;
      if (mode != 0) {
        const zr = f64x2.sub(vp, thv);
        const R = v128.and(one, f64x2.gt(zr, cut));
        let dR: v128;
        if (mode == 1) {
          dvp = f64x2.mul(bev, dh);
          dbeta = f64x2.mul(dh, f64x2.sub(vp, vrv));
          dth = f64x2.sub(dth, f64x2.mul(dh, R));
          dR = f64x2.mul(f64x2.neg(dh), thv);
        } else if (mode == 2) {
          const u = f64x2.add(vp, f64x2.mul(R, f64x2.sub(vrv, vp)));
          const du = f64x2.mul(bev, dh);
          dvp = f64x2.mul(du, f64x2.sub(one, R));
          dbeta = f64x2.mul(dh, f64x2.sub(u, vrv));
          dR = f64x2.mul(du, f64x2.sub(vrv, vp));
        } else {
          const h0 = f64x2.add(f64x2.add(vrv, f64x2.mul(bev, f64x2.sub(vp, vrv))), f64x2.mul(drive, xv));
          dcharge = f64x2.mul(dh, f64x2.sub(one, R));
          dR = f64x2.mul(dh, f64x2.sub(vrv, h0));
          dvp = f64x2.mul(bev, dcharge);
          dbeta = f64x2.mul(dcharge, f64x2.sub(vp, vrv));
        }
        if (!detachReset) {
          const q = f64x2.mul(dR, sgGradV(sid, p0, p1, k0, k1, k2, zr));
          dvp = f64x2.add(dvp, q);
          dth = f64x2.sub(dth, q);
        }
      } else {
        dvp = f64x2.mul(bev, dh);
        dbeta = f64x2.mul(dh, f64x2.sub(vp, vrv));
      }
      let dxv = dcharge;
      if (inputLeak) {
        dbeta = f64x2.sub(dbeta, f64x2.mul(dcharge, xv));
        dxv = f64x2.mul(leak, dcharge);
      }
      if (dx) v128.store64_lane(dx + e, f32x4.demote_f64x2_zero(dxv), 0);
      v128.store(cp, dvp);
      if (sums) {
        accB = accB + f64x2.extract_lane(dbeta, 0);
        accB = accB + f64x2.extract_lane(dbeta, 1);
        accT = accT + f64x2.extract_lane(dth, 0);
        accT = accT + f64x2.extract_lane(dth, 1);
      }
    }
    if (n < N) {
      // Odd N: the last neuron of the row goes through the scalar element,
      // with the running sums parked in dBeta/dThr so their order is kept.
      const e = (row + <usize>n) << 2;
      if (sums) {
        store<f64>(dBeta, accB);
        store<f64>(dThr, accT);
      }
      backwardElement(
        mode, 1, detachReset, inputLeak, vr, fire, sid, p0, p1, be, th, load<f32>(h + e), <f64>load<f32>(prev + (<usize>n << 2)),
        <f64>load<f32>(x + e), gM ? <f64>load<f32>(gM + e) : 0, gS ? <f64>load<f32>(gS + e) : 0,
        dvC + (<usize>n << 3), dx ? dx + e : 0, sums ? dBeta : 0, sums ? dThr : 0,
      );
      if (sums) {
        accB = load<f64>(dBeta);
        accT = load<f64>(dThr);
      }
    }
  }
  if (sums) {
    store<f64>(dBeta, accB);
    store<f64>(dThr, accT);
  }
}
