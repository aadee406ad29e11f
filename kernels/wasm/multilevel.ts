import { sgConst, sgGrad, sgGradV } from './surrogate.generated';

/*
 * The multi-level neuron's scan (MultiLevelConfig in src/backend/kernels/neuron.ts)
 * for Heaviside counts, forward and BPTT backward: the TypeScript reference's
 * double operations (src/neurons/multilevel/kernel.ts) in its order, two neurons
 * at a time in f64x2 lanes (f32 pairs promoted exactly, results demoted with the
 * reference's rounding; wasm SIMD has no fused multiply-add), the odd neuron of a
 * row one at a time. So spikes, membranes and gradients are bit-identical to it.
 * β and θ have strides 0 (per layer) or 1 (per neuron); with both per layer the
 * B·F neurons of a step are one row.
 */

// @ts-ignore: decorator
@inline
function levelCount(u: f64, D: f64): f64 {
  // c = #{k ∈ 1..D : u − (k − ½) > 0} as levelCount in kernel.ts: ⌊u + ½⌋, one less where m − ½ ≥ u, clamped.
  let m = Math.floor(u + 0.5);
  if (m - 0.5 >= u) m -= 1;
  return m > 0 ? (m < D ? m : D) : 0;
}

// @ts-ignore: decorator
@inline
function levelCountV(u: v128, D: v128): v128 {
  const half = f64x2.splat(0.5);
  let m = f64x2.floor(f64x2.add(u, half));
  m = v128.bitselect(f64x2.sub(m, f64x2.splat(1)), m, f64x2.ge(f64x2.sub(m, half), u));
  // m > 0 ? min(m, D) : +0 (NaN fails both compares: 0).
  return v128.and(v128.bitselect(m, D, f64x2.lt(m, D)), f64x2.gt(m, f64x2.splat(0)));
}

/** Two f32 at p, promoted. */
// @ts-ignore: decorator
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Two f64 rounded to f32, stored at p. */
// @ts-ignore: decorator
@inline
function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** Writes spikes s = c/D or c and the membrane v [T, B·F]. */
export function multiLevelForward(
  T: i32, B: i32, F: i32, D: i32, normalized: i32, hard: i32, vr: f64, bS: i32, tS: i32,
  x: usize, v0: usize, beta: usize, thr: usize, spk: usize, v: usize,
): void {
  const N = B * F;
  const perNeuron = bS != 0 || tS != 0;
  const rows = perNeuron ? B : 1, len = perNeuron ? F : N;
  const Dd = <f64>D, Dv = f64x2.splat(Dd), vrv = f64x2.splat(vr), zero = f64x2.splat(0);
  const be0 = <f64>load<f32>(beta), th0 = <f64>load<f32>(thr);
  for (let t = 0; t < T; t++) {
    const row = <usize>t * <usize>N;
    const src = t == 0 ? v0 : v + ((row - <usize>N) << 2);
    for (let r = 0; r < rows; r++) {
      const n0 = <usize>r * <usize>len;
      let i = 0;
      for (; i + 2 <= len; i += 2) {
        const n = n0 + <usize>i, o = (row + n) << 2;
        const be = bS ? load2(beta + (<usize>i << 2)) : f64x2.splat(be0);
        const th = tS ? load2(thr + (<usize>i << 2)) : f64x2.splat(th0);
        const hv = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(be, load2(src + (n << 2))), load2(x + o))));
        const c = levelCountV(f64x2.div(hv, th), Dv);
        store2(spk + o, normalized ? f64x2.div(c, Dv) : c);
        store2(v + o, hard ? v128.bitselect(vrv, hv, f64x2.gt(c, zero)) : f64x2.sub(hv, f64x2.mul(c, th)));
      }
      for (; i < len; i++) {
        const n = n0 + <usize>i, o = (row + n) << 2;
        const be = bS ? <f64>load<f32>(beta + (<usize>i << 2)) : be0;
        const th = tS ? <f64>load<f32>(thr + (<usize>i << 2)) : th0;
        const h = <f64>(<f32>(be * <f64>load<f32>(src + (n << 2)) + <f64>load<f32>(x + o)));
        const c = levelCount(h / th, Dd);
        store<f32>(spk + o, <f32>(normalized ? c / Dd : c));
        store<f32>(v + o, <f32>(hard ? (c > 0 ? vr : h) : h - c * th));
      }
    }
  }
}

/*
 * BPTT backward (multiLevelBackward in kernel.ts; gradients overwrite their
 * outputs). gS, gM, gState, dx may be 0 (absent). dvC [N] is f64 scratch that
 * starts as the final state's gradient and ends as dL/dv0. dBeta [F or 1] and
 * dThr [F or 1] are f64 scratch that end as the parameter gradients (the caller
 * rounds them into the f32 outputs); dBeta = 0 skips both sums. Per-layer sums
 * add lane 0 before lane 1, i.e. in the reference's element order.
 */
export function multiLevelBackward(
  T: i32, B: i32, F: i32, D: i32, normalized: i32, hard: i32, detach: i32, vr: f64, bS: i32, tS: i32, sid: i32, p0: f64, p1: f64,
  x: usize, v0: usize, beta: usize, thr: usize, v: usize, gS: usize, gM: usize, gState: usize, dx: usize, dvC: usize, dBeta: usize, dThr: usize,
): void {
  const N = B * F;
  if (gState) for (let n = 0; n < N; n++) store<f64>(dvC + (<usize>n << 3), <f64>load<f32>(gState + (<usize>n << 2)));
  else memory.fill(dvC, 0, <usize>N << 3);
  const sums = dBeta != 0 ? 1 : 0;
  if (sums) {
    memory.fill(dBeta, 0, <usize>(bS ? F : 1) << 3);
    memory.fill(dThr, 0, <usize>(tS ? F : 1) << 3);
  }
  // QSD-Transformer's neuron (rectangle, soft detached reset, no parameter sums) gets its own
  // copy with those options as literals, so the surrogate switch and the unused branches fold away.
  if (sid == 7 && hard == 0 && detach != 0 && sums == 0) {
    backwardScan(T, B, F, D, normalized, 0, 1, vr, bS, tS, 7, p0, p1, 0, x, v0, beta, thr, v, gS, gM, dx, dvC, dBeta, dThr);
  } else {
    backwardScan(T, B, F, D, normalized, hard, detach, vr, bS, tS, sid, p0, p1, sums, x, v0, beta, thr, v, gS, gM, dx, dvC, dBeta, dThr);
  }
}

// @ts-ignore: decorator
@inline
function backwardScan(
  T: i32, B: i32, F: i32, D: i32, normalized: i32, hard: i32, detach: i32, vr: f64, bS: i32, tS: i32, sid: i32, p0: f64, p1: f64, sums: i32,
  x: usize, v0: usize, beta: usize, thr: usize, v: usize, gS: usize, gM: usize, dx: usize, dvC: usize, dBeta: usize, dThr: usize,
): void {
  const N = B * F;
  const perNeuron = bS != 0 || tS != 0;
  const rows = perNeuron ? B : 1, len = perNeuron ? F : N;
  const Dd = <f64>D, Dv = f64x2.splat(Dd), vrv = f64x2.splat(vr), zero = f64x2.splat(0), one = f64x2.splat(1), half = f64x2.splat(0.5);
  const be0 = <f64>load<f32>(beta), th0 = <f64>load<f32>(thr);
  const k0 = f64x2.splat(sgConst(sid, p0, p1, 0)), k1 = f64x2.splat(sgConst(sid, p0, p1, 1)), k2 = f64x2.splat(sgConst(sid, p0, p1, 2));
  for (let t = T - 1; t >= 0; t--) {
    const row = <usize>t * <usize>N;
    const src = t == 0 ? v0 : v + ((row - <usize>N) << 2);
    for (let r = 0; r < rows; r++) {
      const n0 = <usize>r * <usize>len;
      let i = 0;
      for (; i + 2 <= len; i += 2) {
        const n = n0 + <usize>i, o = (row + n) << 2, cp = dvC + (n << 3);
        const be = bS ? load2(beta + (<usize>i << 2)) : f64x2.splat(be0);
        const th = tS ? load2(thr + (<usize>i << 2)) : f64x2.splat(th0);
        const vp = load2(src + (n << 2));
        const h = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(be, vp), load2(x + o))));
        const u = f64x2.div(h, th);
        const c = levelCountV(u, Dv);
        let G = zero;
        for (let l = 1; l <= D; l++) G = f64x2.add(G, sgGradV(sid, p0, p1, k0, k1, k2, f64x2.sub(u, f64x2.splat(<f64>l - 0.5))));
        const dv = f64x2.add(gM ? load2(gM + o) : zero, v128.load(cp));
        let dc = gS ? load2(gS + o) : zero;
        if (normalized) dc = f64x2.div(dc, Dv);
        let dh: v128, dth = zero, du = zero;
        if (hard) {
          const R = v128.and(one, f64x2.gt(c, zero));
          dh = f64x2.mul(dv, f64x2.sub(one, R));
          if (!detach) du = f64x2.add(du, f64x2.mul(f64x2.mul(dv, f64x2.sub(vrv, h)), sgGradV(sid, p0, p1, k0, k1, k2, f64x2.sub(u, half))));
        } else {
          dh = dv;
          dth = f64x2.sub(dth, f64x2.mul(dv, c));
          if (!detach) dc = f64x2.sub(dc, f64x2.mul(dv, th));
        }
        du = f64x2.add(du, f64x2.mul(dc, G));
        dh = f64x2.add(dh, f64x2.div(du, th));
        dth = f64x2.sub(dth, f64x2.div(f64x2.mul(du, h), f64x2.mul(th, th)));
        if (sums) {
          const db = f64x2.mul(dh, vp);
          if (bS) {
            const q = dBeta + (<usize>i << 3);
            v128.store(q, f64x2.add(v128.load(q), db));
          } else {
            store<f64>(dBeta, load<f64>(dBeta) + f64x2.extract_lane(db, 0));
            store<f64>(dBeta, load<f64>(dBeta) + f64x2.extract_lane(db, 1));
          }
          if (tS) {
            const q = dThr + (<usize>i << 3);
            v128.store(q, f64x2.add(v128.load(q), dth));
          } else {
            store<f64>(dThr, load<f64>(dThr) + f64x2.extract_lane(dth, 0));
            store<f64>(dThr, load<f64>(dThr) + f64x2.extract_lane(dth, 1));
          }
        }
        if (dx) store2(dx + o, dh);
        v128.store(cp, f64x2.mul(be, dh));
      }
      for (; i < len; i++) {
        const n = n0 + <usize>i, o = (row + n) << 2, cp = dvC + (n << 3);
        const be = bS ? <f64>load<f32>(beta + (<usize>i << 2)) : be0;
        const th = tS ? <f64>load<f32>(thr + (<usize>i << 2)) : th0;
        const vp = <f64>load<f32>(src + (n << 2));
        const h = <f64>(<f32>(be * vp + <f64>load<f32>(x + o)));
        const u = h / th;
        const c = levelCount(u, Dd);
        let G: f64 = 0;
        for (let l = 1; l <= D; l++) G += sgGrad(sid, p0, p1, u - (<f64>l - 0.5));
        const dv = (gM ? <f64>load<f32>(gM + o) : 0) + load<f64>(cp);
        let dc = gS ? <f64>load<f32>(gS + o) : 0;
        if (normalized) dc = dc / Dd;
        let dh: f64, dth: f64 = 0, du: f64 = 0;
        if (hard) {
          const R: f64 = c > 0 ? 1 : 0;
          dh = dv * (1 - R);
          if (!detach) du += dv * (vr - h) * sgGrad(sid, p0, p1, u - 0.5);
        } else {
          dh = dv;
          dth -= dv * c;
          if (!detach) dc -= dv * th;
        }
        du += dc * G;
        dh += du / th;
        dth -= (du * h) / (th * th);
        if (sums) {
          const qb = dBeta + (bS ? <usize>i << 3 : 0), qt = dThr + (tS ? <usize>i << 3 : 0);
          store<f64>(qb, load<f64>(qb) + dh * vp);
          store<f64>(qt, load<f64>(qt) + dth);
        }
        if (dx) store<f32>(dx + o, <f32>dh);
        store<f64>(cp, be * dh);
      }
    }
  }
}
