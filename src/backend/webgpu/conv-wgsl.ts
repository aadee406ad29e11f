import { elementwise, WG, type KernelSpec } from './kernel.js';

/*
 * WGSL for the ConvKernels a convolution + pooling network trains with:
 * im2col / col2im, the layout swap between [C, N·P] and [N, C, P], the
 * channel bias and its gradient (channel sums), and 2-D pooling forward and
 * backward. Every kernel is a gather — one invocation per element it writes —
 * so no two invocations write one cell and no atomics are needed (WGSL has no
 * float atomics). The window geometry travels as uniforms in the order of
 * GEOMETRY below (conv.ts writes it with geometryParams).
 */

/** WindowGeometry's fields as uniforms (padding signed: the window's origin may lie before the image). */
export const GEOMETRY: KernelSpec['params'] = [
  ['H', 'u32'], ['W', 'u32'], ['kh', 'u32'], ['kw', 'u32'], ['sh', 'u32'], ['sw', 'u32'],
  ['ph', 'i32'], ['pw', 'i32'], ['dh', 'u32'], ['dw', 'u32'], ['Ho', 'u32'], ['Wo', 'u32'],
];

/**
 * cols[r, s·P + oh·Wo + ow] for r = (c, i, j): the input cell the window tap
 * reads, or 0 outside the image (so every cols entry is written).
 */
export const im2colSpec = elementwise('im2col', [...GEOMETRY, ['C', 'u32'], ['c0', 'u32'], ['images', 'u32'], ['xOff', 'u32']], [['x', 'read'], ['cols', 'read_write']], `
  let P = p.Ho * p.Wo;
  let rowLen = p.images * P;
  let r = i / rowLen;
  let col = i % rowLen;
  let s = col / P;
  let pos = col % P;
  let oh = pos / p.Wo;
  let ow = pos % p.Wo;
  let taps = p.kh * p.kw;
  let c = r / taps;
  let ki = (r % taps) / p.kw;
  let kj = r % p.kw;
  let ih = i32(oh * p.sh + ki * p.dh) - p.ph;
  let iw = i32(ow * p.sw + kj * p.dw) - p.pw;
  var v = 0.0;
  if (ih >= 0 && ih < i32(p.H) && iw >= 0 && iw < i32(p.W)) {
    v = x[p.xOff + (s * p.C + p.c0 + c) * p.H * p.W + u32(ih) * p.W + u32(iw)];
  }
  cols[i] = v;`);

/**
 * The adjoint of im2col, gathered: one invocation per dx cell (s, c, ih, iw)
 * of the images' channels [c0, c0 + cg) adds the cols entries of every tap
 * that read it, in ascending (i, j) — the order the CPU kernels add them.
 */
export const col2imSpec = elementwise('col2im', [...GEOMETRY, ['C', 'u32'], ['c0', 'u32'], ['cg', 'u32'], ['images', 'u32'], ['dxOff', 'u32']], [['cols', 'read'], ['dx', 'read_write']], `
  let plane = p.H * p.W;
  let cell = i % plane;
  let c = (i / plane) % p.cg;
  let s = i / (plane * p.cg);
  let ih = i32(cell / p.W);
  let iw = i32(cell % p.W);
  let P = p.Ho * p.Wo;
  let rowLen = p.images * P;
  var acc = 0.0;
  for (var ki = 0u; ki < p.kh; ki++) {
    let th = ih + p.ph - i32(ki * p.dh);
    if (th < 0 || th % i32(p.sh) != 0) { continue; }
    let oh = u32(th) / p.sh;
    if (oh >= p.Ho) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let tw = iw + p.pw - i32(kj * p.dw);
      if (tw < 0 || tw % i32(p.sw) != 0) { continue; }
      let ow = u32(tw) / p.sw;
      if (ow >= p.Wo) { continue; }
      let r = (c * p.kh + ki) * p.kw + kj;
      acc += cols[r * rowLen + s * P + oh * p.Wo + ow];
    }
  }
  let d = p.dxOff + (s * p.C + p.c0 + c) * plane + cell;
  dx[d] = dx[d] + acc;`);

/** dst[b, a, k] = src[a, b, k] for an [A, B, inner] block; one invocation per dst element. */
export const swapAxesSpec = elementwise('swapAxes01', [['A', 'u32'], ['B', 'u32'], ['inner', 'u32'], ['srcOff', 'u32'], ['dstOff', 'u32']], [['src', 'read'], ['dst', 'read_write']], `
  let k = i % p.inner;
  let ba = i / p.inner;
  let a = ba % p.A;
  let b = ba / p.A;
  dst[p.dstOff + i] = src[p.srcOff + (a * p.B + b) * p.inner + k];`);

/** y[yOff + i] += bias[c] with c the channel of element i of an [N, C, P] block. */
export const channelBiasSpec = elementwise('addChannelBias', [['C', 'u32'], ['P', 'u32'], ['yOff', 'u32']], [['bias', 'read'], ['y', 'read_write']], `
  y[p.yOff + i] += bias[(i / p.P) % p.C];`);

/**
 * out[c] = Σ_{n,p} x[n, c, p]: one workgroup per channel (the dispatch's x),
 * each invocation summing a strided slice of the N·P cells, then a tree in
 * workgroup memory (the CPU sums per image first, so results agree to
 * float32 rounding).
 */
export const channelSumsSpec: KernelSpec = {
  name: 'channelSums',
  params: [['N', 'u32'], ['C', 'u32'], ['P', 'u32']],
  bindings: [['x', 'read'], ['out', 'read_write']],
  body: `
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wg.x;
  let M = p.N * p.P;
  var acc = 0.0;
  for (var m = lid.x; m < M; m += ${WG}u) {
    acc += x[((m / p.P) * p.C + c) * p.P + m % p.P];
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[c] = part[0]; }
}`,
};

/** Pool modes as the kernels number them. */
export const PoolModeCode = { max: 0, avg: 1, sum: 2 } as const;

/**
 * One invocation per output of `planes` pooled planes. Max: the first maximum
 * in window order wins, NaN wins (so it propagates), padding never wins; the
 * winner's in-plane index goes to argmax (the max variant's extra binding).
 * Avg divides by kh·kw (countIncludePad) or by the window's valid cells.
 */
export function pool2dSpec(withArgmax: boolean): KernelSpec {
  return elementwise(`pool2d${withArgmax ? '_argmax' : ''}`, [...GEOMETRY, ['mode', 'u32'], ['includePad', 'u32']], [['x', 'read'], ['y', 'read_write'], ...(withArgmax ? [['argmax', 'read_write'] as const] : [])], `
  let per = p.Ho * p.Wo;
  let q = i / per;
  let oh = (i % per) / p.Wo;
  let ow = i % p.Wo;
  let hs = i32(oh * p.sh) - p.ph;
  let ws = i32(ow * p.sw) - p.pw;
  let xo = q * p.H * p.W;
  var best = 0.0;
  var at = -1;
  var acc = 0.0;
  var count = 0u;
  for (var ki = 0u; ki < p.kh; ki++) {
    let ih = hs + i32(ki * p.dh);
    if (ih < 0 || ih >= i32(p.H)) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let iw = ws + i32(kj * p.dw);
      if (iw < 0 || iw >= i32(p.W)) { continue; }
      let v = x[xo + u32(ih) * p.W + u32(iw)];
      if (at < 0 || v > best || v != v) { best = v; at = ih * i32(p.W) + iw; }
      acc += v;
      count++;
    }
  }
  if (p.mode == 0u) {
    y[i] = select(best, 0.0, at < 0);
    ${withArgmax ? 'argmax[i] = f32(at);' : ''}
  } else if (p.mode == 2u) {
    y[i] = acc;
  } else {
    let div = select(f32(count), f32(p.kh * p.kw), p.includePad == 1u);
    y[i] = select(0.0, acc / div, div > 0.0);
  }`);
}

/**
 * Gradient of pool2d, gathered: one invocation per dx cell adds, over the
 * windows that contain it (ascending oh, ow), the dy routed to it — max: when
 * the window's argmax is this cell; avg: dy / divisor; sum: dy. Every dx cell
 * is written. Without argmax (avg, sum) the argmax binding is dy again.
 */
export const pool2dBackwardSpec = elementwise('pool2dBackward', [...GEOMETRY, ['mode', 'u32'], ['includePad', 'u32']], [['dy', 'read'], ['argmax', 'read'], ['dx', 'read_write']], `
  let plane = p.H * p.W;
  let q = i / plane;
  let cell = i % plane;
  let ih = i32(cell / p.W);
  let iw = i32(cell % p.W);
  let per = p.Ho * p.Wo;
  var acc = 0.0;
  for (var ki = 0u; ki < p.kh; ki++) {
    let th = ih + p.ph - i32(ki * p.dh);
    if (th < 0 || th % i32(p.sh) != 0) { continue; }
    let oh = u32(th) / p.sh;
    if (oh >= p.Ho) { continue; }
    let hs = i32(oh * p.sh) - p.ph;
    for (var kj = 0u; kj < p.kw; kj++) {
      let tw = iw + p.pw - i32(kj * p.dw);
      if (tw < 0 || tw % i32(p.sw) != 0) { continue; }
      let ow = u32(tw) / p.sw;
      if (ow >= p.Wo) { continue; }
      let ws = i32(ow * p.sw) - p.pw;
      let o = q * per + oh * p.Wo + ow;
      if (p.mode == 0u) {
        if (i32(argmax[o]) == i32(cell)) { acc += dy[o]; }
      } else if (p.mode == 2u) {
        acc += dy[o];
      } else {
        var div = f32(p.kh * p.kw);
        if (p.includePad == 0u) {
          // Valid taps of this window (the CPU's i0..i1, j0..j1).
          var ni = 0u;
          for (var k = 0u; k < p.kh; k++) { let r = hs + i32(k * p.dh); if (r >= 0 && r < i32(p.H)) { ni++; } }
          var nj = 0u;
          for (var k = 0u; k < p.kw; k++) { let r = ws + i32(k * p.dw); if (r >= 0 && r < i32(p.W)) { nj++; } }
          div = f32(ni * nj);
        }
        acc += dy[o] / div;
      }
    }
  }
  dx[i] = acc;`);
