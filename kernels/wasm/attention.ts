/*
 * Spiking-transformer kernels (src/backend/kernels/attention.ts; reference
 * src/backend/ts/attention.ts), the same scheme as kernels/native/attention.cc:
 * per row r the nonzeros of each spike row of Q, K, V are listed (token
 * indices, ascending), G[i, :] of a head is the f64 sum of the token-major
 * Vᵀ rows at K row i's tokens, out collects G rows per nonzero of Q into a
 * token-major f64 accumulator transposed once per row, and the backward's dG,
 * dK, dV are the same two moves; dQ = G·D is dense. Each output element gets
 * its terms in the reference's order, in f64, rounded once: bit-identical to
 * the reference. The f64x2 lanes run across independent elements (the head's
 * channels, or the tokens), never across a sum.
 */
import { transpose } from './transpose';

// @ts-ignore: decorator
@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

/** Bytes of one set of row lists of a [C, N] block: start (C + 1 i32), idx (C·N + 4 i32), binary (C u8). */
// @ts-ignore: decorator
@inline
function listBytes(C: i32, N: i32): usize {
  return align16((<usize>C + 1) << 2) + align16((<usize>C * <usize>N + 4) << 2) + align16(<usize>C);
}

/** Scratch of the linear-attention kernels: three list sets, two f32 and three f64 [C, N] blocks, three dh×dh f64 blocks. */
export function attentionScratchBytes(C: i32, N: i32, dh: i32): usize {
  const cn = <usize>C * <usize>N;
  return 3 * listBytes(C, N) + 2 * align16(cn << 2) + 3 * align16(cn << 3) + 3 * align16((<usize>dh * <usize>dh) << 3);
}

/** Scratch of the layer-norm kernels: four N and two C f64 vectors, two f32 [C, N] blocks. */
export function layerNormScratchBytes(C: i32, N: i32): usize {
  return 4 * align16(<usize>N << 3) + 2 * align16(<usize>C << 3) + 2 * align16((<usize>C * <usize>N) << 2);
}

// ---- Row lists ----

/**
 * The nonzeros (x != 0: NaN counts, −0 does not) of each row of x [C, N]:
 * row c's token indices, ascending, are idx[start[c] .. start[c + 1]);
 * binary[c] = 1 when the row holds only 0s and 1s. Groups of four zeros are
 * skipped with one compare; the rest is branch-free.
 */
function rowLists(C: i32, N: i32, x: usize, start: usize, idx: usize, binary: usize): void {
  const zero = f32x4.splat(0);
  let cnt = 0;
  for (let c = 0; c < C; c++) {
    store<i32>(start + (<usize>c << 2), cnt);
    const row = x + ((<usize>c * <usize>N) << 2);
    let odd = 0;
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const p = row + (<usize>n << 2);
      if (!v128.any_true(f32x4.ne(v128.load(p), zero))) continue;
      for (let l = 0; l < 4; l++) {
        const v = load<f32>(p + (<usize>l << 2));
        store<i32>(idx + (<usize>cnt << 2), n + l);
        cnt += i32(v != 0);
        odd |= i32(v != 0 && v != 1);
      }
    }
    for (; n < N; n++) {
      const v = load<f32>(row + (<usize>n << 2));
      store<i32>(idx + (<usize>cnt << 2), n);
      cnt += i32(v != 0);
      odd |= i32(v != 0 && v != 1);
    }
    store<u8>(binary + <usize>c, odd == 0 ? 1 : 0);
  }
  store<i32>(start + (<usize>C << 2), cnt);
}

// ---- Row primitives (f64 rows of w elements) ----

/**
 * acc[0..w) = Σ_q x_q·(pre·src[n_q·ld + 0..w)) over the tokens n_q = idx[q] of the
 * spike row `row` (x_q = row[n_q]), in list order; src is f32. A multiplication by
 * an exact 1 (`plain`: a spike row and pre = 1) is skipped: 1·y = y.
 */
function gatherRows(acc: usize, src: usize, ld: i32, idx: usize, cnt: i32, row: usize, plain: bool, pre: f64, w: i32): void {
  memory.fill(acc, 0, <usize>w << 3);
  const pv = f64x2.splat(pre);
  for (let q = 0; q < cnt; q++) {
    const n = load<i32>(idx + (<usize>q << 2));
    const s = src + ((<usize>n * <usize>ld) << 2);
    let j = 0;
    if (plain) {
      for (; j + 2 <= w; j += 2) {
        const a = acc + (<usize>j << 3);
        v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v128.load64_zero(s + (<usize>j << 2)))));
      }
      for (; j < w; j++) {
        const a = acc + (<usize>j << 3);
        store<f64>(a, load<f64>(a) + <f64>load<f32>(s + (<usize>j << 2)));
      }
    } else {
      const x = <f64>load<f32>(row + (<usize>n << 2));
      const xv = f64x2.splat(x);
      for (; j + 2 <= w; j += 2) {
        const a = acc + (<usize>j << 3);
        const t = f64x2.mul(xv, f64x2.mul(pv, f64x2.promote_low_f32x4(v128.load64_zero(s + (<usize>j << 2)))));
        v128.store(a, f64x2.add(v128.load(a), t));
      }
      for (; j < w; j++) {
        const a = acc + (<usize>j << 3);
        store<f64>(a, load<f64>(a) + x * (pre * <f64>load<f32>(s + (<usize>j << 2))));
      }
    }
  }
}

/**
 * For each row c < rows of the spike block S (row length N) and each of its
 * nonzero tokens n, ascending: acc[n·lda + 0..w) += S[c, n]·M[c·ldm + 0..w) (f64).
 * start/binary point at the block's first row; idx is the whole list array.
 */
function scatterRows(acc: usize, lda: i32, M: usize, ldm: i32, start: usize, idx: usize, binary: usize, S: usize, N: i32, rows: i32, w: i32): void {
  for (let c = 0; c < rows; c++) {
    const m = M + ((<usize>c * <usize>ldm) << 3);
    const s = S + ((<usize>c * <usize>N) << 2);
    const q1 = load<i32>(start + (<usize>(c + 1) << 2));
    const plain = load<u8>(binary + <usize>c) != 0;
    for (let q = load<i32>(start + (<usize>c << 2)); q < q1; q++) {
      const n = load<i32>(idx + (<usize>q << 2));
      const a = acc + ((<usize>n * <usize>lda) << 3);
      let j = 0;
      if (plain) {
        for (; j + 2 <= w; j += 2) {
          const o = <usize>j << 3;
          v128.store(a + o, f64x2.add(v128.load(a + o), v128.load(m + o)));
        }
        for (; j < w; j++) {
          const o = <usize>j << 3;
          store<f64>(a + o, load<f64>(a + o) + load<f64>(m + o));
        }
      } else {
        const x = <f64>load<f32>(s + (<usize>n << 2));
        const xv = f64x2.splat(x);
        for (; j + 2 <= w; j += 2) {
          const o = <usize>j << 3;
          v128.store(a + o, f64x2.add(v128.load(a + o), f64x2.mul(xv, v128.load(m + o))));
        }
        for (; j < w; j++) {
          const o = <usize>j << 3;
          store<f64>(a + o, load<f64>(a + o) + x * load<f64>(m + o));
        }
      }
    }
  }
}

/** out[0..N) = f32(Σ_j g[j]·D[j·N + 0..N)) over j < dh ascending, zero g[j] skipped; 8 tokens in flight. */
function denseRow(out: usize, g: usize, dh: i32, D: usize, N: i32): void {
  const rowBytes = <usize>N << 3;
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let d = D + (<usize>n << 3);
    for (let j = 0; j < dh; j++, d += rowBytes) {
      const gj = load<f64>(g + (<usize>j << 3));
      if (gj == 0) continue;
      const gv = f64x2.splat(gj);
      a0 = f64x2.add(a0, f64x2.mul(gv, v128.load(d)));
      a1 = f64x2.add(a1, f64x2.mul(gv, v128.load(d, 16)));
      a2 = f64x2.add(a2, f64x2.mul(gv, v128.load(d, 32)));
      a3 = f64x2.add(a3, f64x2.mul(gv, v128.load(d, 48)));
    }
    const o = out + (<usize>n << 2);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(a0), 0);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(a1), 0, 8);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(a2), 0, 16);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(a3), 0, 24);
  }
  for (; n < N; n++) {
    let s: f64 = 0;
    let d = D + (<usize>n << 3);
    for (let j = 0; j < dh; j++, d += rowBytes) {
      const gj = load<f64>(g + (<usize>j << 3));
      if (gj != 0) s += gj * load<f64>(d);
    }
    store<f32>(out + (<usize>n << 2), <f32>s);
  }
}

/** out[i] = f32(scale·acc[i]) for i < n. */
function roundScaled(n: usize, acc: usize, scale: f64, out: usize): void {
  const sv = f64x2.splat(scale);
  let i: usize = 0;
  for (; i + 2 <= n; i += 2) v128.store64_lane(out + (i << 2), f32x4.demote_f64x2_zero(f64x2.mul(sv, v128.load(acc + (i << 3)))), 0);
  for (; i < n; i++) store<f32>(out + (i << 2), <f32>(scale * load<f64>(acc + (i << 3))));
}

/** out[i] = scale·f64(x[i]) for i < n. */
function scaleToF64(n: usize, x: usize, scale: f64, out: usize): void {
  const sv = f64x2.splat(scale);
  let i: usize = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (i << 3), f64x2.mul(sv, f64x2.promote_low_f32x4(v128.load64_zero(x + (i << 2)))));
  for (; i < n; i++) store<f64>(out + (i << 3), scale * <f64>load<f32>(x + (i << 2)));
}

// Scratch pointers of the current call (layout() carves attentionScratchBytes).
let sLists: usize = 0, sListSize: usize = 0, sIdxOff: usize = 0, sBinOff: usize = 0;
let sTok: usize = 0, sRnd: usize = 0, sAccA: usize = 0, sAccB: usize = 0, sD: usize = 0;
let sHA: usize = 0, sHB: usize = 0, sHC: usize = 0;

function layout(C: i32, N: i32, dh: i32, scratch: usize): void {
  const cn = <usize>C * <usize>N;
  const hh = align16((<usize>dh * <usize>dh) << 3);
  sLists = scratch;
  sListSize = listBytes(C, N);
  sIdxOff = align16((<usize>C + 1) << 2);
  sBinOff = sIdxOff + align16((cn + 4) << 2);
  sTok = scratch + 3 * sListSize;
  sRnd = sTok + align16(cn << 2);
  sAccA = sRnd + align16(cn << 2);
  sAccB = sAccA + align16(cn << 3);
  sD = sAccB + align16(cn << 3);
  sHA = sD + align16(cn << 3);
  sHB = sHA + hh;
  sHC = sHB + hh;
}

// @ts-ignore: decorator
@inline
function listStart(slot: i32): usize {
  return sLists + <usize>slot * sListSize;
}
// @ts-ignore: decorator
@inline
function listIdx(slot: i32): usize {
  return listStart(slot) + sIdxOff;
}
// @ts-ignore: decorator
@inline
function listBin(slot: i32): usize {
  return listStart(slot) + sBinOff;
}

function buildLists(slot: i32, C: i32, N: i32, x: usize): void {
  rowLists(C, N, x, listStart(slot), listIdx(slot), listBin(slot));
}

/** gatherRows for spike row c of list slot `slot` (x the block the lists were built from). */
function gatherRow(acc: usize, src: usize, ld: i32, slot: i32, c: i32, x: usize, N: i32, pre: f64, w: i32): void {
  const st = listStart(slot);
  const q0 = load<i32>(st + (<usize>c << 2)), q1 = load<i32>(st + (<usize>(c + 1) << 2));
  const plain = load<u8>(listBin(slot) + <usize>c) != 0 && pre == 1;
  gatherRows(acc, src, ld, listIdx(slot) + (<usize>q0 << 2), q1 - q0, x + ((<usize>c * <usize>N) << 2), plain, pre, w);
}

/** scatterRows over the dh spike rows of the head starting at channel c0 of list slot `slot`. */
function scatterHead(acc: usize, C: i32, M: usize, dh: i32, slot: i32, c0: i32, x: usize, N: i32): void {
  scatterRows(acc + (<usize>c0 << 3), C, M, dh, listStart(slot) + (<usize>c0 << 2), listIdx(slot), listBin(slot) + <usize>c0, x + ((<usize>c0 * <usize>N) << 2), N, dh, dh);
}

/** The token-major f64 accumulator acc [N, C] rounded (times scale) into y [C, N]. */
function storeTransposed(C: i32, N: i32, acc: usize, scale: f64, y: usize): void {
  roundScaled(<usize>C * <usize>N, acc, scale, sRnd);
  transpose(N, C, sRnd, y);
}

/** AttentionKernels.linearAttentionForward; `scratch`: attentionScratchBytes(heads·dh, N, dh) bytes. */
export function linearAttentionForward(R: i32, heads: i32, dh: i32, N: i32, scale: f64, q: usize, k: usize, v: usize, G: usize, out: usize, scratch: usize): void {
  const C = heads * dh;
  if (R == 0 || C == 0) return;
  layout(C, N, dh, scratch);
  const cnBytes = (<usize>C * <usize>N) << 2;
  const gBytes = (<usize>dh * <usize>dh) << 2;
  for (let r = 0; r < R; r++) {
    const off = <usize>r * cnBytes;
    const Q = q + off, K = k + off;
    buildLists(0, C, N, Q);
    buildLists(1, C, N, K);
    transpose(C, N, v + off, sTok);
    memory.fill(sAccA, 0, cnBytes << 1);
    for (let h = 0; h < heads; h++) {
      const c0 = h * dh;
      // G[i, :] = Σ over K row i's tokens n of K[i, n]·Vᵀ[n, head h's channels].
      for (let i = 0; i < dh; i++) gatherRow(sHA + ((<usize>i * <usize>dh) << 3), sTok + (<usize>c0 << 2), C, 1, c0 + i, K, N, 1, dh);
      const g = G + (<usize>r * <usize>heads + <usize>h) * gBytes;
      for (let x = 0; x < dh * dh; x++) store<f32>(g + (<usize>x << 2), <f32>load<f64>(sHA + (<usize>x << 3)));
      // outᵀ[n, head h] += Q[i, n]·G[i, :] over Q's nonzeros (the unrounded G, as the reference).
      scatterHead(sAccA, C, sHA, dh, 0, c0, Q, N);
    }
    storeTransposed(C, N, sAccA, scale, out + off);
  }
}

/** AttentionKernels.linearAttentionBackward; dQ / dK / dV of 0 are not computed. */
export function linearAttentionBackward(
  R: i32, heads: i32, dh: i32, N: i32, scale: f64, q: usize, k: usize, v: usize, G: usize, dOut: usize, dQ: usize, dK: usize, dV: usize, scratch: usize,
): void {
  const C = heads * dh;
  if (R == 0 || C == 0 || (!dQ && !dK && !dV)) return;
  layout(C, N, dh, scratch);
  const cn = <usize>C * <usize>N;
  const cnBytes = cn << 2;
  const gBytes = (<usize>dh * <usize>dh) << 2;
  const hBytes = <usize>dh << 3;
  for (let r = 0; r < R; r++) {
    const off = <usize>r * cnBytes;
    const Q = q + off, K = k + off, V = v + off, O = dOut + off;
    if (dQ) {
      // dQ[i, :] = Σ_j G[i, j]·D[j, :] with D = scale·dOut: dense, lanes over the tokens.
      scaleToF64(cn, O, scale, sD);
      for (let h = 0; h < heads; h++) {
        const c0 = h * dh;
        const g = G + (<usize>r * <usize>heads + <usize>h) * gBytes;
        for (let x = 0; x < dh * dh; x++) store<f64>(sHC + (<usize>x << 3), <f64>load<f32>(g + (<usize>x << 2)));
        const D = sD + ((<usize>c0 * <usize>N) << 3);
        for (let i = 0; i < dh; i++) denseRow(dQ + off + ((<usize>(c0 + i) * <usize>N) << 2), sHC + <usize>i * hBytes, dh, D, N);
      }
    }
    if (!dK && !dV) continue;
    buildLists(0, C, N, Q);
    if (dV) buildLists(1, C, N, K);
    if (dK) buildLists(2, C, N, V);
    transpose(C, N, O, sTok);
    if (dK) memory.fill(sAccA, 0, cn << 3);
    if (dV) memory.fill(sAccB, 0, cn << 3);
    for (let h = 0; h < heads; h++) {
      const c0 = h * dh;
      // dG[i, :] = Σ over Q row i's tokens n of Q[i, n]·(scale·dOutᵀ[n, head h]).
      for (let i = 0; i < dh; i++) gatherRow(sHA + <usize>i * hBytes, sTok + (<usize>c0 << 2), C, 0, c0 + i, Q, N, scale, dh);
      if (dK) {
        // dKᵀ[n, i] += V[j, n]·dG[i, j] over V's nonzeros: rows of dGᵀ.
        for (let i = 0; i < dh; i++) {
          for (let j = 0; j < dh; j++) store<f64>(sHB + <usize>j * hBytes + (<usize>i << 3), load<f64>(sHA + <usize>i * hBytes + (<usize>j << 3)));
        }
        scatterHead(sAccA, C, sHB, dh, 2, c0, V, N);
      }
      // dVᵀ[n, j] += K[i, n]·dG[i, j] over K's nonzeros.
      if (dV) scatterHead(sAccB, C, sHA, dh, 1, c0, K, N);
    }
    if (dK) storeTransposed(C, N, sAccA, 1, dK + off);
    if (dV) storeTransposed(C, N, sAccB, 1, dV + off);
  }
}

/**
 * out[r] = Σ_n a[r, n]·b[r, n] (zeros of a skipped), one sequential f64 sum per
 * row in token order; four rows in flight hide the add latency. A zero of a adds
 * +0, which leaves every partial sum unchanged (they start at +0 and never become −0).
 */
export function rowDot(M: i32, N: i32, a: usize, b: usize, out: usize): void {
  const rowBytes = <usize>N << 2;
  let r = 0;
  for (; r + 4 <= M; r += 4) {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    const pa = a + <usize>r * rowBytes, pb = b + <usize>r * rowBytes;
    for (let n = 0; n < N; n++) {
      const o = <usize>n << 2;
      const x0 = load<f32>(pa + o), x1 = load<f32>(pa + rowBytes + o), x2 = load<f32>(pa + 2 * rowBytes + o), x3 = load<f32>(pa + 3 * rowBytes + o);
      s0 += x0 != 0 ? <f64>x0 * <f64>load<f32>(pb + o) : 0;
      s1 += x1 != 0 ? <f64>x1 * <f64>load<f32>(pb + rowBytes + o) : 0;
      s2 += x2 != 0 ? <f64>x2 * <f64>load<f32>(pb + 2 * rowBytes + o) : 0;
      s3 += x3 != 0 ? <f64>x3 * <f64>load<f32>(pb + 3 * rowBytes + o) : 0;
    }
    const po = out + (<usize>r << 2);
    store<f32>(po, <f32>s0);
    store<f32>(po, <f32>s1, 4);
    store<f32>(po, <f32>s2, 8);
    store<f32>(po, <f32>s3, 12);
  }
  for (; r < M; r++) {
    let s: f64 = 0;
    const pa = a + <usize>r * rowBytes, pb = b + <usize>r * rowBytes;
    for (let n = 0; n < N; n++) {
      const x = load<f32>(pa + (<usize>n << 2));
      if (x != 0) s += <f64>x * <f64>load<f32>(pb + (<usize>n << 2));
    }
    store<f32>(out + (<usize>r << 2), <f32>s);
  }
}

/** out[r, n] = x[r, n]·s[r]: an f32 product is the reference's f64 product rounded once (it is exact in f64). */
export function rowScale(M: i32, N: i32, x: usize, s: usize, out: usize): void {
  const rowBytes = <usize>N << 2;
  for (let r = 0; r < M; r++) {
    const c = load<f32>(s + (<usize>r << 2));
    const cv = f32x4.splat(c);
    const px = x + <usize>r * rowBytes, po = out + <usize>r * rowBytes;
    let n = 0;
    for (; n + 4 <= N; n += 4) v128.store(po + (<usize>n << 2), f32x4.mul(v128.load(px + (<usize>n << 2)), cv));
    for (; n < N; n++) store<f32>(po + (<usize>n << 2), load<f32>(px + (<usize>n << 2)) * c);
  }
}

// ---- Layer norm: lanes over the tokens n; each (r, n) sums its channels in ascending order ----

/** Mean and 1/√(σ² + ε) of every token of one row x [C, N] (f64). */
function lnMoments(C: i32, N: i32, eps: f64, x: usize, mean: usize, inv: usize): void {
  const nb = <usize>N << 3;
  memory.fill(mean, 0, nb);
  memory.fill(inv, 0, nb);
  for (let c = 0; c < C; c++) {
    const xr = x + ((<usize>c * <usize>N) << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const m = mean + (<usize>n << 3);
      v128.store(m, f64x2.add(v128.load(m), f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>n << 2)))));
    }
    for (; n < N; n++) {
      const m = mean + (<usize>n << 3);
      store<f64>(m, load<f64>(m) + <f64>load<f32>(xr + (<usize>n << 2)));
    }
  }
  const Cd = <f64>C;
  for (let n = 0; n < N; n++) {
    const m = mean + (<usize>n << 3);
    store<f64>(m, load<f64>(m) / Cd);
  }
  for (let c = 0; c < C; c++) {
    const xr = x + ((<usize>c * <usize>N) << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const o = <usize>n << 3;
      const d = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>n << 2))), v128.load(mean + o));
      v128.store(inv + o, f64x2.add(v128.load(inv + o), f64x2.mul(d, d)));
    }
    for (; n < N; n++) {
      const o = <usize>n << 3;
      const d = <f64>load<f32>(xr + (<usize>n << 2)) - load<f64>(mean + o);
      store<f64>(inv + o, load<f64>(inv + o) + d * d);
    }
  }
  const one = f64x2.splat(1), cv = f64x2.splat(Cd), ev = f64x2.splat(eps);
  let n = 0;
  for (; n + 2 <= N; n += 2) {
    const p = inv + (<usize>n << 3);
    v128.store(p, f64x2.div(one, f64x2.sqrt(f64x2.add(f64x2.div(v128.load(p), cv), ev))));
  }
  for (; n < N; n++) {
    const p = inv + (<usize>n << 3);
    store<f64>(p, 1 / Math.sqrt(load<f64>(p) / Cd + eps));
  }
}

/** AttentionKernels.layerNormForward; gamma / beta of 0: none; `scratch`: layerNormScratchBytes(C, N). */
export function layerNormForward(R: i32, C: i32, N: i32, eps: f64, x: usize, gamma: usize, beta: usize, stats: usize, out: usize, scratch: usize): void {
  const mean = scratch, inv = scratch + align16(<usize>N << 3);
  const cnBytes = (<usize>C * <usize>N) << 2;
  for (let r = 0; r < R; r++) {
    const xr = x + <usize>r * cnBytes, yr = out + <usize>r * cnBytes;
    lnMoments(C, N, eps, xr, mean, inv);
    const st = stats + ((<usize>r * <usize>N) << 3);
    for (let n = 0; n < N; n++) {
      store<f32>(st + (<usize>n << 3), <f32>load<f64>(mean + (<usize>n << 3)));
      store<f32>(st + (<usize>n << 3), <f32>load<f64>(inv + (<usize>n << 3)), 4);
    }
    for (let c = 0; c < C; c++) {
      const g: f64 = gamma ? <f64>load<f32>(gamma + (<usize>c << 2)) : 1;
      const b: f64 = beta ? <f64>load<f32>(beta + (<usize>c << 2)) : 0;
      const gv = f64x2.splat(g), bv = f64x2.splat(b);
      const xc = xr + ((<usize>c * <usize>N) << 2), yc = yr + ((<usize>c * <usize>N) << 2);
      let n = 0;
      for (; n + 2 <= N; n += 2) {
        const o = <usize>n << 3;
        const xh = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(xc + (<usize>n << 2))), v128.load(mean + o)), v128.load(inv + o));
        v128.store64_lane(yc + (<usize>n << 2), f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(gv, xh), bv)), 0);
      }
      for (; n < N; n++) {
        const o = <usize>n << 3;
        const xh = (<f64>load<f32>(xc + (<usize>n << 2)) - load<f64>(mean + o)) * load<f64>(inv + o);
        store<f32>(yc + (<usize>n << 2), <f32>(g * xh + b));
      }
    }
  }
}

/** dx of one row: inv·(g − mean_c(g) − x̂·mean_c(g·x̂)) with g = γ·dy. */
function lnInputGrad(C: i32, N: i32, x: usize, mean: usize, inv: usize, gamma: usize, dy: usize, sg: usize, sgx: usize, dx: usize): void {
  const nb = <usize>N << 3;
  memory.fill(sg, 0, nb);
  memory.fill(sgx, 0, nb);
  for (let c = 0; c < C; c++) {
    const g: f64 = gamma ? <f64>load<f32>(gamma + (<usize>c << 2)) : 1;
    const gv = f64x2.splat(g);
    const xc = x + ((<usize>c * <usize>N) << 2), dc = dy + ((<usize>c * <usize>N) << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const o = <usize>n << 3, f = <usize>n << 2;
      const xh = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(xc + f)), v128.load(mean + o)), v128.load(inv + o));
      const gc = f64x2.mul(gv, f64x2.promote_low_f32x4(v128.load64_zero(dc + f)));
      v128.store(sg + o, f64x2.add(v128.load(sg + o), gc));
      v128.store(sgx + o, f64x2.add(v128.load(sgx + o), f64x2.mul(gc, xh)));
    }
    for (; n < N; n++) {
      const o = <usize>n << 3, f = <usize>n << 2;
      const xh = (<f64>load<f32>(xc + f) - load<f64>(mean + o)) * load<f64>(inv + o);
      const gc = g * <f64>load<f32>(dc + f);
      store<f64>(sg + o, load<f64>(sg + o) + gc);
      store<f64>(sgx + o, load<f64>(sgx + o) + gc * xh);
    }
  }
  const Cd = <f64>C;
  for (let n = 0; n < N; n++) {
    const o = <usize>n << 3;
    store<f64>(sg + o, load<f64>(sg + o) / Cd);
    store<f64>(sgx + o, load<f64>(sgx + o) / Cd);
  }
  for (let c = 0; c < C; c++) {
    const g: f64 = gamma ? <f64>load<f32>(gamma + (<usize>c << 2)) : 1;
    const gv = f64x2.splat(g);
    const xc = x + ((<usize>c * <usize>N) << 2), dc = dy + ((<usize>c * <usize>N) << 2), oc = dx + ((<usize>c * <usize>N) << 2);
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const o = <usize>n << 3, f = <usize>n << 2;
      const xh = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(xc + f)), v128.load(mean + o)), v128.load(inv + o));
      const gc = f64x2.mul(gv, f64x2.promote_low_f32x4(v128.load64_zero(dc + f)));
      const t = f64x2.sub(f64x2.sub(gc, v128.load(sg + o)), f64x2.mul(xh, v128.load(sgx + o)));
      v128.store64_lane(oc + f, f32x4.demote_f64x2_zero(f64x2.mul(v128.load(inv + o), t)), 0);
    }
    for (; n < N; n++) {
      const o = <usize>n << 3, f = <usize>n << 2;
      const xh = (<f64>load<f32>(xc + f) - load<f64>(mean + o)) * load<f64>(inv + o);
      const gc = g * <f64>load<f32>(dc + f);
      store<f32>(oc + f, <f32>(load<f64>(inv + o) * (gc - load<f64>(sg + o) - xh * load<f64>(sgx + o))));
    }
  }
}

/** AttentionKernels.layerNormBackward; gamma / dGamma / dBeta of 0: none; `scratch`: layerNormScratchBytes(C, N). */
export function layerNormBackward(R: i32, C: i32, N: i32, x: usize, gamma: usize, stats: usize, dY: usize, dX: usize, dGamma: usize, dBeta: usize, scratch: usize): void {
  const nb = align16(<usize>N << 3), cb = align16(<usize>C << 3);
  const mean = scratch, inv = mean + nb, sg = inv + nb, sgx = sg + nb;
  const dga = sgx + nb, dbe = dga + cb;
  const xT = dbe + cb, dyT = xT + align16((<usize>C * <usize>N) << 2);
  const cnBytes = (<usize>C * <usize>N) << 2;
  for (let r = 0; r < R; r++) {
    const st = stats + ((<usize>r * <usize>N) << 3);
    for (let n = 0; n < N; n++) {
      store<f64>(mean + (<usize>n << 3), <f64>load<f32>(st + (<usize>n << 3)));
      store<f64>(inv + (<usize>n << 3), <f64>load<f32>(st + (<usize>n << 3), 4));
    }
    const off = <usize>r * cnBytes;
    lnInputGrad(C, N, x + off, mean, inv, gamma, dY + off, sg, sgx, dX + off);
  }
  if (!dGamma && !dBeta) return;
  // γ/β: each channel sums its (r, n) terms in the reference's order; token-major copies of
  // each row put the lanes across channels.
  memory.fill(dga, 0, <usize>C << 3);
  memory.fill(dbe, 0, <usize>C << 3);
  for (let r = 0; r < R; r++) {
    const off = <usize>r * cnBytes;
    transpose(C, N, x + off, xT);
    transpose(C, N, dY + off, dyT);
    const st = stats + ((<usize>r * <usize>N) << 3);
    for (let n = 0; n < N; n++) {
      const m = <f64>load<f32>(st + (<usize>n << 3)), iv = <f64>load<f32>(st + (<usize>n << 3), 4);
      const mv = f64x2.splat(m), ivv = f64x2.splat(iv);
      const xr = xT + ((<usize>n * <usize>C) << 2), dr = dyT + ((<usize>n * <usize>C) << 2);
      let c = 0;
      for (; c + 2 <= C; c += 2) {
        const o = <usize>c << 3, f = <usize>c << 2;
        const d = f64x2.promote_low_f32x4(v128.load64_zero(dr + f));
        if (dGamma) {
          const xh = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(xr + f)), mv), ivv);
          v128.store(dga + o, f64x2.add(v128.load(dga + o), f64x2.mul(d, xh)));
        }
        if (dBeta) v128.store(dbe + o, f64x2.add(v128.load(dbe + o), d));
      }
      for (; c < C; c++) {
        const o = <usize>c << 3, f = <usize>c << 2;
        const d = <f64>load<f32>(dr + f);
        if (dGamma) store<f64>(dga + o, load<f64>(dga + o) + d * ((<f64>load<f32>(xr + f) - m) * iv));
        if (dBeta) store<f64>(dbe + o, load<f64>(dbe + o) + d);
      }
    }
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 3, f = <usize>c << 2;
    if (dGamma) store<f32>(dGamma + f, <f32>(<f64>load<f32>(dGamma + f) + load<f64>(dga + o)));
    if (dBeta) store<f32>(dBeta + f, <f32>(<f64>load<f32>(dBeta + f) + load<f64>(dbe + o)));
  }
}
