import { sgGrad } from './surrogate';

/*
 * LIF-family scans without recurrence and with Heaviside spikes (the training
 * hot path; equations in src/backend/kernels/neuron.ts). Arithmetic is f64 and
 * rounded to f32 on store exactly where the reference
 * (src/backend/ts/neurons/lif.ts) stores, and spikes are decided on the stored
 * value, so spike trains match the TypeScript backend bit for bit.
 * The spike mask is written as bytes into linear memory (`mask`); the caller
 * copies it out. Parameter strides are 0 (per layer) or 1 (per neuron).
 */

/**
 * snnTorch Leaky (delayed reset, vReset = 0, no input leak, β and θ per layer),
 * four neurons per iteration: f32x4 loads, f64x2 arithmetic, f32x4 stores.
 */
export function lifForwardLeaky(T: i32, N: i32, mode: i32, be: f64, th: f32, x: usize, v0: usize, h: usize, spk: usize, mask: usize): void {
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
        hv = v128.bitselect(reset, hv, f32x4.gt(vp, th4));
      }
      v128.store(h + (row << 2) + o, hv);
      const fired = f32x4.gt(hv, th4);
      v128.store(spk + (row << 2) + o, v128.and(fired, one));
      const b16 = i16x8.narrow_i32x4_s(fired, fired);
      const b8 = v128.and(i8x16.narrow_i16x8_s(b16, b16), bytes1);
      store<i32>(mask + row + <usize>n, i32x4.extract_lane(b8, 0));
    }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      const vp = load<f32>(src + o), xi = <f64>load<f32>(x + (row << 2) + o);
      let hh: f64;
      if (mode != 0 && vp > th) hh = mode == 1 ? be * <f64>vp + xi - <f64>th : mode == 2 ? xi : 0;
      else hh = be * <f64>vp + xi;
      const hf = <f32>hh;
      store<f32>(h + (row << 2) + o, hf);
      const fired: i32 = hf > th ? 1 : 0;
      store<f32>(spk + (row << 2) + o, <f32>fired);
      store<u8>(mask + row + <usize>n, <u8>fired);
    }
  }
}

/** Any non-recurrent LIF configuration (per-neuron parameters, input leak, vReset, same-step reset). `v` is 0 under delayed reset. */
export function lifForwardPlain(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, spk: usize, mask: usize,
): void {
  const N = B * F;
  const trace = v != 0 ? v : h;
  const delayed = delayedReset != 0 && mode != 0;
  const sameStep = delayedReset == 0 && mode != 0;
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
        if (delayed && vp > <f64>th) {
          if (mode == 1) hh = vr + be * (vp - vr) + xi - <f64>th;
          else if (mode == 2) hh = xi + vr;
          else hh = vr;
        } else hh = vr + be * (vp - vr) + xi;
        const hf = <f32>hh;
        store<f32>(h + (idx << 2), hf);
        const fired = hf > th;
        store<u8>(mask + idx, fired ? 1 : 0);
        store<f32>(spk + (idx << 2), fired ? 1 : 0);
        if (sameStep) store<f32>(v + (idx << 2), !fired ? hf : mode == 1 ? <f32>(<f64>hf - <f64>th) : vrf);
      }
    }
  }
}

/**
 * BPTT backward of lifForwardPlain / lifForwardLeaky (gradients overwrite their
 * outputs). gS, gM, dx may be 0 (absent). dvC [N], dBeta [F or 1] and dThr
 * [F or 1] are f64 scratch: dvC ends as dL/dv0, the others as the parameter
 * gradients (the caller rounds them into the f32 outputs).
 */
export function lifBackwardPlain(
  T: i32, B: i32, F: i32, mode: i32, delayedReset: i32, detachReset: i32, inputLeak: i32, vr: f64, bS: i32, tS: i32,
  sid: i32, p0: f64, p1: f64,
  x: usize, v0: usize, beta: usize, thr: usize, h: usize, v: usize, gS: usize, gM: usize, dx: usize,
  dvC: usize, dBeta: usize, dThr: usize,
): void {
  const N = B * F;
  const trace = v != 0 ? v : h;
  memory.fill(dvC, 0, <usize>N << 3);
  const nBeta = bS != 0 ? F : 1, nThr = tS != 0 ? F : 1;
  memory.fill(dBeta, 0, <usize>nBeta << 3);
  memory.fill(dThr, 0, <usize>nThr << 3);
  const delayed = delayedReset != 0 && mode != 0;
  for (let t = T - 1; t >= 0; t--) {
    const row = t * N;
    for (let b = 0; b < B; b++) {
      const nb = b * F;
      for (let f = 0; f < F; f++) {
        const n = nb + f, idx = <usize>(row + n);
        const be = <f64>load<f32>(beta + (<usize>(f * bS) << 2));
        const thf = load<f32>(thr + (<usize>(f * tS) << 2));
        const th = <f64>thf;
        const hf = load<f32>(h + (idx << 2));
        const hv = <f64>hf;
        const g = sgGrad(sid, p0, p1, hv - th);
        const s: f64 = hf > thf ? 1 : 0;
        const cp = dvC + (<usize>n << 3);
        const dv = (gM ? <f64>load<f32>(gM + (idx << 2)) : 0) + load<f64>(cp);
        let dS: f64 = gS ? <f64>load<f32>(gS + (idx << 2)) : 0;
        let dth: f64 = 0;
        let dh: f64;
        if (delayedReset) dh = dv;
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
        const vp = <f64>(t == 0 ? load<f32>(v0 + (<usize>n << 2)) : load<f32>(trace + ((idx - <usize>N) << 2)));
        const xv = <f64>load<f32>(x + (idx << 2));
        let dcharge = dh;
        let dvp: f64, dbeta: f64;
        if (delayed) {
          const zr = vp - th;
          const R: f64 = zr > 0 ? 1 : 0;
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
            dvp += dR * gr;
            dth -= dR * gr;
          }
        } else {
          dvp = be * dh;
          dbeta = dh * (vp - vr);
        }
        if (inputLeak) {
          dbeta -= dcharge * xv;
          if (dx) store<f32>(dx + (idx << 2), <f32>((1 - be) * dcharge));
        } else if (dx) store<f32>(dx + (idx << 2), <f32>dcharge);
        const bp = dBeta + (<usize>(f * bS) << 3);
        store<f64>(bp, load<f64>(bp) + dbeta);
        const tp = dThr + (<usize>(f * tS) << 3);
        store<f64>(tp, load<f64>(tp) + dth);
        store<f64>(cp, dvp);
      }
    }
  }
}
