import { elementwise, LINEAR_INDEX, WG, type KernelSpec } from './kernel.js';

/*
 * WGSL for CoreKernels. Sizes and offsets are in elements; every kernel
 * bounds-checks against its uniforms (a pooled buffer is longer than its
 * storage, so arrayLength() would be wrong).
 */

/** GEMM tile: a workgroup of TILE_THREADS² invocations computes a GEMM_TILE² block of C, each a 4×4 register block, K in chunks of GEMM_KC. */
export const GEMM_TILE = 64;
export const GEMM_KC = 16;
export const TILE_THREADS = 16;

/**
 * C[M,N] = alpha·op(A)·op(B) + beta·C. op(A)[m,k] is A[m·K + k], or A[k·M + m]
 * when tA; op(B)[k,n] is B[k·N + n], or B[n·K + k] when tB. The transposes
 * live in the tile loads (consecutive invocations read consecutive addresses
 * in either layout), so no transposed copy is made. Workgroup memory: two
 * 64×16 tiles, 8 KiB. beta = 0 never reads C (a recycled buffer may hold NaN).
 */
export function gemmSpec(tA: boolean, tB: boolean): KernelSpec {
  // Tile loads: 1024 elements per tile, 4 per invocation. The element index e
  // maps to (row, k) so that consecutive e are consecutive in memory.
  const loadA = tA
    ? `let m = e % 64u; let k = e / 64u;   // A stored [K, M]
       let gm = row0 + m; let gk = k0 + k;
       var v = 0.0; if (gm < p.M && gk < p.K) { v = A[p.aOff + gk * p.M + gm]; }
       As[k * 64u + m] = v;`
    : `let k = e % 16u; let m = e / 16u;   // A stored [M, K]
       let gm = row0 + m; let gk = k0 + k;
       var v = 0.0; if (gm < p.M && gk < p.K) { v = A[p.aOff + gm * p.K + gk]; }
       As[k * 64u + m] = v;`;
  const loadB = tB
    ? `let k = e % 16u; let n = e / 16u;   // B stored [N, K]
       let gn = col0 + n; let gk = k0 + k;
       var v = 0.0; if (gn < p.N && gk < p.K) { v = B[p.bOff + gn * p.K + gk]; }
       Bs[k * 64u + n] = v;`
    : `let n = e % 64u; let k = e / 64u;   // B stored [K, N]
       let gn = col0 + n; let gk = k0 + k;
       var v = 0.0; if (gn < p.N && gk < p.K) { v = B[p.bOff + gk * p.N + gn]; }
       Bs[k * 64u + n] = v;`;
  return {
    name: `gemm_${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`,
    params: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['aOff', 'u32'], ['bOff', 'u32'], ['cOff', 'u32'], ['alpha', 'f32'], ['beta', 'f32']],
    bindings: [['A', 'read'], ['B', 'read'], ['C', 'read_write']],
    body: `
var<workgroup> As: array<f32, 1024>;  // [16 k][64 m]
var<workgroup> Bs: array<f32, 1024>;  // [16 k][64 n]
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      ${loadA}
    }
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      ${loadB}
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[k * 64u + lid.y * 4u + i]; b[i] = Bs[k * 64u + lid.x * 4u + i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + lid.y * 4u + i;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n >= p.N) { continue; }
      let at = p.cOff + m * p.N + n;
      var v = p.alpha * acc[i * 4u + j];
      if (p.beta != 0.0) { v += p.beta * C[at]; }
      C[at] = v;
    }
  }
}`,
  };
}

/** Y[M,N] = X[M,K]·Wt[K,N] + beta·Y visiting only nonzero X: one invocation per output element (x: n, y: m). */
export const eventGemmSpec: KernelSpec = {
  name: 'eventGemm',
  params: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['beta', 'f32']],
  bindings: [['X', 'read'], ['Wt', 'read'], ['Y', 'read_write']],
  body: `
@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x; let m = gid.y;
  if (n >= p.N || m >= p.M) { return; }
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let x = X[m * p.K + k];
    if (x != 0.0) { acc += x * Wt[k * p.N + n]; }
  }
  let at = m * p.N + n;
  if (p.beta != 0.0) { acc += p.beta * Y[at]; }
  Y[at] = acc;
}`,
};

/** dW[N,K] += Σ_m dY[m,n]·X[m,k] over nonzero X: one invocation per dW element (x: k, y: n). */
export const eventGemmGradWSpec: KernelSpec = {
  name: 'eventGemmGradW',
  params: [['M', 'u32'], ['N', 'u32'], ['K', 'u32']],
  bindings: [['dY', 'read'], ['X', 'read'], ['dW', 'read_write']],
  body: `
@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x; let n = gid.y;
  if (k >= p.K || n >= p.N) { return; }
  var acc = 0.0;
  for (var m = 0u; m < p.M; m++) {
    let x = X[m * p.K + k];
    if (x != 0.0) { acc += dY[m * p.N + n] * x; }
  }
  dW[n * p.K + k] += acc;
}`,
};

/** out[N,M] = A[M,N]ᵀ, one invocation per element (x: column of A, y: row). */
export const transposeSpec: KernelSpec = {
  name: 'transpose',
  params: [['M', 'u32'], ['N', 'u32']],
  bindings: [['A', 'read'], ['out', 'read_write']],
  body: `
@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x; let i = gid.y;
  if (j >= p.N || i >= p.M) { return; }
  out[j * p.M + i] = A[i * p.N + j];
}`,
};


export const fillSpec = elementwise('fill', [['value', 'f32']], [['x', 'read_write']], 'x[i] = p.value;');
/** op: 0 add, 1 sub, 2 mul. */
export const binarySpec = elementwise('binary', [['op', 'u32']], [['a', 'read'], ['b', 'read'], ['out', 'read_write']], `
  let x = a[i]; let y = b[i];
  var r = x * y;
  if (p.op == 0u) { r = x + y; } else if (p.op == 1u) { r = x - y; }
  out[i] = r;`);
export const affineSpec = elementwise('affine', [['alpha', 'f32'], ['beta', 'f32']], [['x', 'read'], ['out', 'read_write']], 'out[i] = p.alpha * x[i] + p.beta;');
export const axpySpec = elementwise('axpy', [['alpha', 'f32']], [['x', 'read'], ['y', 'read_write']], 'y[i] += p.alpha * x[i];');
/** Y[m,n] += b[n] over n = N columns. */
export const addRowVectorSpec = elementwise('addRowVector', [['N', 'u32']], [['b', 'read'], ['Y', 'read_write']], 'Y[i] += b[i % p.N];');

/**
 * out[n] = beta·out[n] + Σ_m X[m,n]: one invocation per column (adjacent
 * invocations read adjacent columns), starting from beta·out and adding the
 * rows in order in float32 — the reference's operations in its order, so the
 * results are the same numbers.
 */
export const sumRowsSpec = elementwise('sumRows', [['M', 'u32'], ['beta', 'f32']], [['X', 'read'], ['out', 'read_write']], `
  var acc = 0.0;
  if (p.beta == 1.0) { acc = out[i]; } else if (p.beta != 0.0) { acc = p.beta * out[i]; }
  for (var m = 0u; m < p.M; m++) { acc += X[m * p.n + i]; }
  out[i] = acc;`);

/** What reduceInto sums: the values, their squares, or 1 per nonzero value. */
export const ReduceKind = { sum: 0, sumSquares: 1, countNonzero: 2 } as const;

/**
 * out[outOff] = scale·Σ f(x[i]), f by kind: one workgroup of WG invocations,
 * each summing a strided slice, then a tree reduction in workgroup memory.
 * A second pass is not worth it for the sizes reduced here (a loss, a
 * gradient); the sum's order differs from the CPU's, so results agree to
 * float32 rounding, not bit for bit (counts are exact below 2²⁴).
 */
export const reduceSpec: KernelSpec = {
  name: 'reduce',
  params: [['n', 'u32'], ['kind', 'u32'], ['outOff', 'u32'], ['scale', 'f32']],
  bindings: [['x', 'read'], ['out', 'read_write']],
  body: `
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  for (var i = lid.x; i < p.n; i += ${WG}u) {
    let v = x[i];
    if (p.kind == 0u) { acc += v; } else if (p.kind == 1u) { acc += v * v; } else if (v != 0.0) { acc += 1.0; }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[p.outOff] = p.scale * part[0]; }
}`,
};
