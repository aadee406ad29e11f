/*
 * The WKV recurrence of SpikeGPT's time mixing (src/backend/kernels/rwkv.ts;
 * reference src/backend/ts/rwkv.ts): one (sequence, channel) recurrence at a
 * time in f64, the reference's operations in its order, sgExp for every
 * exponential, so the results are the reference's to the bit. Scalar: the
 * recurrence is serial along the tokens, and at SpikeGPT's sizes it is a
 * few per cent of a training step next to the GEMMs.
 */
import { sgExp } from './surrogate.generated';

// @ts-ignore: decorator
@inline
function f(p: usize, i: usize): f64 {
  return <f64>load<f32>(p + (i << 2));
}

/** Bytes of scratch wkvBackward needs: the states before each token (3·T f64) and the per-channel sums (2·C f64). */
export function wkvScratchBytes(T: i32, C: i32): usize {
  return (<usize>(3 * T) + <usize>(2 * C) + 2) << 3;
}

export function wkvForward(T: i32, B: i32, C: i32, k: usize, v: usize, w: usize, u: usize, s0: usize, y: usize, s1: usize): void {
  const BC = <usize>B * <usize>C;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const i0 = <usize>b * <usize>C + <usize>c;
      let aa = f(s0, i0), bb = f(s0, BC + i0), pp = f(s0, 2 * BC + i0);
      const wc = f(w, c), uc = f(u, c);
      for (let t = 0; t < T; t++) {
        const i = <usize>t * BC + i0;
        const kt = f(k, i), vt = f(v, i);
        const ww = uc + kt;
        const p = pp > ww ? pp : ww;
        let e1 = sgExp(pp - p), e2 = sgExp(ww - p);
        store<f32>(y + (i << 2), <f32>((e1 * aa + e2 * vt) / (e1 * bb + e2)));
        const ws = pp - wc;
        const q = ws > kt ? ws : kt;
        e1 = sgExp(ws - q);
        e2 = sgExp(kt - q);
        aa = e1 * aa + e2 * vt;
        bb = e1 * bb + e2;
        pp = q;
      }
      store<f32>(s1 + (i0 << 2), <f32>aa);
      store<f32>(s1 + ((BC + i0) << 2), <f32>bb);
      store<f32>(s1 + ((2 * BC + i0) << 2), <f32>pp);
    }
  }
}

export function wkvBackward(
  T: i32, B: i32, C: i32, k: usize, v: usize, w: usize, u: usize, s0: usize, gy: usize, gk: usize, gv: usize, gw: usize, gu: usize, scratch: usize,
): void {
  const BC = <usize>B * <usize>C;
  const sa = scratch, sb = scratch + (<usize>T << 3), sp = scratch + (<usize>(2 * T) << 3);
  const gwSum = scratch + (<usize>(3 * T) << 3), guSum = gwSum + (<usize>C << 3);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const i0 = <usize>b * <usize>C + <usize>c;
      const wc = f(w, c), uc = f(u, c);
      let aa = f(s0, i0), bb = f(s0, BC + i0), pp = f(s0, 2 * BC + i0);
      for (let t = 0; t < T; t++) {
        const o = <usize>t << 3;
        store<f64>(sa + o, aa);
        store<f64>(sb + o, bb);
        store<f64>(sp + o, pp);
        const i = <usize>t * BC + i0;
        const kt = f(k, i), vt = f(v, i);
        const ws = pp - wc;
        const q = ws > kt ? ws : kt;
        const e1 = sgExp(ws - q), e2 = sgExp(kt - q);
        aa = e1 * aa + e2 * vt;
        bb = e1 * bb + e2;
        pp = q;
      }
      let ra: f64 = 0, rb: f64 = 0, m: f64 = -1e38, gwAcc: f64 = 0, guAcc: f64 = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = <usize>t * BC + i0;
        const kt = f(k, i), vt = f(v, i), g = f(gy, i);
        const o = <usize>t << 3;
        aa = load<f64>(sa + o);
        bb = load<f64>(sb + o);
        pp = load<f64>(sp + o);
        const ek = sgExp(kt + m);
        const gkState = ek * (vt * ra + rb);
        const gvState = ek * ra;
        gwAcc -= sgExp(pp - wc + m) * (ra * aa + rb * bb);
        const ww = uc + kt;
        const p = pp > ww ? pp : ww;
        const e1 = sgExp(pp - p), e2 = sgExp(ww - p);
        const den = e1 * bb + e2;
        const yt = (e1 * aa + e2 * vt) / den;
        const qd = g / den;
        const gDirect = qd * e2 * (vt - yt);
        store<f32>(gk + (i << 2), <f32>(gDirect + gkState));
        store<f32>(gv + (i << 2), <f32>(qd * e2 + gvState));
        guAcc += gDirect;
        const mc = m - wc;
        const np = -p;
        const mn = np > mc ? np : mc;
        const f1 = sgExp(np - mn), f2 = sgExp(mc - mn);
        ra = f1 * qd + f2 * ra;
        rb = f2 * rb - f1 * qd * yt;
        m = mn;
      }
      const co = <usize>c << 3;
      store<f64>(gwSum + co, b == 0 ? gwAcc : load<f64>(gwSum + co) + gwAcc);
      store<f64>(guSum + co, b == 0 ? guAcc : load<f64>(guSum + co) + guAcc);
    }
  }
  for (let c = 0; c < C; c++) {
    const co = <usize>c << 3;
    store<f32>(gw + (<usize>c << 2), B > 0 ? <f32>load<f64>(gwSum + co) : 0);
    store<f32>(gu + (<usize>c << 2), B > 0 ? <f32>load<f64>(guSum + co) : 0);
  }
}
