import { LINEAR_INDEX, WG, type KernelSpec } from './kernel.js';
import { SURROGATE_WGSL } from './surrogates.generated.js';

/*
 * The LIF family's fused scan in WGSL (equations: backend/kernels/neuron.ts;
 * the reference: src/neurons/lif/kernel.ts). One invocation per neuron
 * n = b·F + f walks all T steps with its state in registers: neurons are
 * independent, time is sequential, so the parallelism is N = B·F (16,384 ×
 * 16 in the Open Neuromorphic workload) and each step's row is read and
 * written coalesced (adjacent invocations touch adjacent addresses).
 * Non-recurrent, Heaviside spikes only; arithmetic is float32 (the CPU
 * reference charges in float64 and rounds once at the store), so traces
 * agree to float32 rounding.
 *
 * The backward walks t = T−1 … 0 carrying ∂L/∂v. The spike decision it needs
 * is recomputed from the stored h (the forward decided on exactly that value),
 * so the host-side mask is never needed. Per-neuron partial sums of the β and
 * θ gradients, and the carry into v0, go to a scratch of 3·N; a second kernel
 * (lifParamSum) sums the partials over the batch (or over every neuron for a
 * per-layer parameter), one workgroup per output, so no atomics are needed.
 *
 * Storage bindings stay within WebGPU's default 8 per stage: optional traces
 * are pipeline variants rather than dummy bindings, and the backward reads
 * β, θ and v0 from one packed buffer ([β | θ | v0]).
 */

const COMMON_PARAMS: KernelSpec['params'] = [
  ['T', 'u32'], ['N', 'u32'], ['F', 'u32'], ['mode', 'u32'], ['delayed', 'u32'], ['corrected', 'u32'], ['inputLeak', 'u32'],
  ['vr', 'f32'], ['bS', 'u32'], ['tS', 'u32'], ['fireAt', 'u32'],
];

const FIRED = `fn fired(z: f32) -> bool { return select(z > 0.0, z >= 0.0, p.fireAt == 1u); }`;

/** Forward; `hasV`: a separate post-reset trace v (same-step reset), else v ≡ h. */
export function lifForwardSpec(hasV: boolean): KernelSpec {
  return {
    name: `lifForward_v${hasV ? 1 : 0}`,
    params: COMMON_PARAMS,
    bindings: [['x', 'read'], ['v0', 'read'], ['beta', 'read'], ['thr', 'read'], ['spikes', 'read_write'], ['h', 'read_write'], ...(hasV ? [['v', 'read_write'] as const] : [])],
    body: `
${LINEAR_INDEX}
${FIRED}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = linearIndex(gid, nwg);
  if (n >= p.N) { return; }
  let f = n % p.F;
  let be = beta[f * p.bS];
  let th = thr[f * p.tS];
  let vr = p.vr;
  let sameStep = p.delayed == 0u && p.mode != 0u;
  let prior = (p.delayed == 1u || p.corrected == 1u) && p.mode != 0u;
  var vp = v0[n];
  for (var t = 0u; t < p.T; t++) {
    let idx = t * p.N + n;
    var R = 0.0;
    if (prior && fired(vp - th)) { R = 1.0; }
    var xi = x[idx];
    if (p.inputLeak == 1u) { xi = (1.0 - be) * xi; }
    var hh: f32;
    if (R == 1.0) {
      if (p.mode == 1u) { hh = vr + be * (vp - vr) + xi - th; }
      else if (p.mode == 2u) { hh = xi + vr; }
      else { hh = vr; }
    } else { hh = vr + be * (vp - vr) + xi; }
    h[idx] = hh;
    let s = select(0.0, 1.0, fired(hh - th));
    spikes[idx] = s;
    var vn = hh;
    if (p.corrected == 1u) {
      let d = s - R;
      if (p.mode == 1u) { vn = hh - d * th; } else { vn = hh + d * (vr - hh); }
    } else if (sameStep && s == 1.0) {
      if (p.mode == 1u) { vn = hh - th; } else { vn = vr; }
    }
    ${hasV ? 'v[idx] = vn;' : ''}
    vp = vn;
  }
}`,
  };
}

export interface LifBackwardVariant {
  hasV: boolean;
  hasGS: boolean;
  hasGM: boolean;
  hasDx: boolean;
}

/** Backward into dx (optional) and the scratch `part` = [Σ_t dβ | Σ_t dθ | dv0] per neuron. */
export function lifBackwardSpec(o: LifBackwardVariant): KernelSpec {
  const bindings: [string, 'read' | 'read_write'][] = [['x', 'read'], ['pk', 'read'], ['h', 'read']];
  if (o.hasV) bindings.push(['v', 'read']);
  if (o.hasGS) bindings.push(['gS', 'read']);
  if (o.hasGM) bindings.push(['gM', 'read']);
  if (o.hasDx) bindings.push(['dx', 'read_write']);
  bindings.push(['part', 'read_write']);
  const trace = o.hasV ? 'v' : 'h';
  return {
    name: `lifBackward_v${+o.hasV}s${+o.hasGS}m${+o.hasGM}x${+o.hasDx}`,
    params: [...COMMON_PARAMS, ['detach', 'u32'], ['sid', 'u32'], ['p0', 'f32'], ['p1', 'f32'], ['nB', 'u32'], ['nT', 'u32']],
    bindings,
    body: `
${LINEAR_INDEX}
${FIRED}
${SURROGATE_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = linearIndex(gid, nwg);
  if (n >= p.N) { return; }
  let f = n % p.F;
  let be = pk[f * p.bS];
  let th = pk[p.nB + f * p.tS];
  let vr = p.vr;
  let mode = p.mode;
  let corrected = p.corrected == 1u;
  let prior = (p.delayed == 1u || corrected) && mode != 0u;
  let detach = p.detach == 1u;
  var dvC = 0.0;
  var dBetaSum = 0.0;
  var dThrSum = 0.0;
  for (var tt = p.T; tt > 0u; tt--) {
    let t = tt - 1u;
    let idx = t * p.N + n;
    let hv = h[idx];
    let z = hv - th;
    let g = sgGrad(p.sid, p.p0, p.p1, z);
    let s = select(0.0, 1.0, fired(z));
    var dv = dvC;
    ${o.hasGM ? 'dv += gM[idx];' : ''}
    var dS = 0.0;
    ${o.hasGS ? 'dS = gS[idx];' : ''}
    var dth = 0.0;
    var dh: f32;
    var vp: f32;
    if (t == 0u) { vp = pk[p.nB + p.nT + n]; } else { vp = ${trace}[idx - p.N]; }
    let zr = vp - th;
    var R = 0.0;
    if (prior && fired(zr)) { R = 1.0; }
    var dRc = 0.0;
    if (corrected) {
      let d = s - R;
      if (mode == 1u) { dh = dv; dth -= dv * d; dS -= th * dv; dRc = th * dv; }
      else { dh = dv * (1.0 - d); dS += dv * (vr - hv); dRc = -dv * (vr - hv); }
    } else if (p.delayed == 1u) { dh = dv; }
    else if (mode == 1u) { dh = dv; dth -= dv * s; if (!detach) { dS -= th * dv; } }
    else if (mode != 0u) { dh = dv * (1.0 - s); if (!detach) { dS += dv * (vr - hv); } }
    else { dh = dv; }
    dh += dS * g;
    dth -= dS * g;
    var dcharge = dh;
    var dvp: f32;
    var dbeta: f32;
    let xi = x[idx];
    if (prior) {
      var dR: f32;
      if (mode == 1u) { dvp = be * dh; dbeta = dh * (vp - vr); dth -= dh * R; dR = -dh * th; }
      else if (mode == 2u) {
        let u = vp + R * (vr - vp);
        let du = be * dh;
        dvp = du * (1.0 - R);
        dbeta = dh * (u - vr);
        dR = du * (vr - vp);
      } else {
        var gamma = 1.0;
        if (p.inputLeak == 1u) { gamma = 1.0 - be; }
        let h0 = vr + be * (vp - vr) + gamma * xi;
        dcharge = dh * (1.0 - R);
        dR = dh * (vr - h0);
        dvp = be * dcharge;
        dbeta = dcharge * (vp - vr);
      }
      if (!detach) {
        let gr = sgGrad(p.sid, p.p0, p.p1, zr);
        dR += dRc;
        dvp += dR * gr;
        dth -= dR * gr;
      }
    } else { dvp = be * dh; dbeta = dh * (vp - vr); }
    var dxv = dcharge;
    if (p.inputLeak == 1u) { dbeta -= dcharge * xi; dxv = (1.0 - be) * dcharge; }
    ${o.hasDx ? 'dx[idx] = dxv;' : ''}
    dBetaSum += dbeta;
    dThrSum += dth;
    dvC = dvp;
  }
  part[n] = dBetaSum;
  part[p.N + n] = dThrSum;
  part[2u * p.N + n] = dvC;
}`,
  };
}

/**
 * out[j] = Σ_k src[off + j·colStride + k·rowStride] over k < count, one
 * workgroup per output j (WG invocations summing strided slices, then a tree
 * in workgroup memory). Per-neuron parameter: colStride 1, rowStride F, count B;
 * per-layer: colStride 0, rowStride 1, count N.
 */
export const lifParamSumSpec: KernelSpec = {
  name: 'lifParamSum',
  params: [['outs', 'u32'], ['off', 'u32'], ['colStride', 'u32'], ['rowStride', 'u32'], ['count', 'u32']],
  bindings: [['src', 'read'], ['out', 'read_write']],
  body: `
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wg.x + wg.y * nwg.x;
  var acc = 0.0;
  if (j < p.outs) {
    for (var k = lid.x; k < p.count; k += ${WG}u) { acc += src[p.off + j * p.colStride + k * p.rowStride]; }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u && j < p.outs) { out[j] = part[0]; }
}`,
};
