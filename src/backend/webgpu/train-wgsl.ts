import { elementwise, WG, type KernelSpec } from './kernel.js';

/*
 * Optimizer updates and clamping in WGSL: one invocation per parameter, the
 * reference's operations (backend/ts/train.ts) in float32. The per-step
 * scalars (bias corrections, step size, decoupled decay) are computed once on
 * the host in double precision and passed as uniforms.
 */

/** SGD with optional momentum buffer (`hasBuf`); initBuf: the buffer starts as the first direction. */
export function sgdSpec(hasBuf: boolean): KernelSpec {
  return elementwise(
    `sgd_b${+hasBuf}`,
    [['lr', 'f32'], ['momentum', 'f32'], ['dampening', 'f32'], ['nesterov', 'u32'], ['wd', 'f32'], ['initBuf', 'u32']],
    [['g', 'read'], ['param', 'read_write'], ...(hasBuf ? [['buf', 'read_write'] as const] : [])],
    `
  var d = g[i];
  if (p.wd != 0.0) { d += p.wd * param[i]; }
  ${hasBuf ? `
  var m = d;
  if (p.initBuf == 0u) { m = p.momentum * buf[i] + (1.0 - p.dampening) * d; }
  buf[i] = m;
  if (p.nesterov == 1u) { d = d + p.momentum * m; } else { d = m; }` : ''}
  param[i] = param[i] - p.lr * d;`,
  );
}

/** Adam / AdamW, AMSGrad with `hasMax`. */
export function adamSpec(hasMax: boolean): KernelSpec {
  return elementwise(
    `adam_x${+hasMax}`,
    [['beta1', 'f32'], ['beta2', 'f32'], ['eps', 'f32'], ['wd', 'f32'], ['decoupled', 'u32'], ['decay', 'f32'], ['stepSize', 'f32'], ['bc2Sqrt', 'f32']],
    [['g', 'read'], ['param', 'read_write'], ['m1', 'read_write'], ['m2', 'read_write'], ...(hasMax ? [['vm', 'read_write'] as const] : [])],
    `
  var d = g[i];
  var w = param[i];
  if (p.decoupled == 1u) { w *= p.decay; } else if (p.wd != 0.0) { d += p.wd * w; }
  let a = p.beta1 * m1[i] + (1.0 - p.beta1) * d;
  let b = p.beta2 * m2[i] + (1.0 - p.beta2) * d * d;
  m1[i] = a;
  m2[i] = b;
  var second = b;
  ${hasMax ? 'if (second > vm[i]) { vm[i] = second; } second = vm[i];' : ''}
  let denom = sqrt(second) / p.bc2Sqrt + p.eps;
  param[i] = w - (p.stepSize * a) / denom;`,
  );
}

/** x clamped to [lo, hi] in place; NaN stays NaN as in the reference (WGSL's min/max leave NaN implementation-defined). */
export const clampSpec = elementwise('clamp', [['lo', 'f32'], ['hi', 'f32']], [['x', 'read_write']], `
  let v = x[i];
  if (v < p.lo) { x[i] = p.lo; } else if (v > p.hi) { x[i] = p.hi; }`);

/**
 * Row-wise softmax cross-entropy, one invocation per row r (C is a class
 * count, small): probabilities into `probs`, −log softmax(logits_r)[y_r] into
 * `rowLoss[r]` (summed by reduceInto afterwards). Targets arrive as float32
 * class indices (exact below 2²⁴); row r uses target r mod B.
 */
export const crossEntropyRowsSpec: KernelSpec = elementwise(
  'crossEntropyRows',
  [['C', 'u32'], ['B', 'u32']],
  [['logits', 'read'], ['tg', 'read'], ['probs', 'read_write'], ['rowLoss', 'read_write']],
  `
  let o = i * p.C;
  var mx = logits[o];
  for (var c = 1u; c < p.C; c++) { mx = max(mx, logits[o + c]); }
  var z = 0.0;
  for (var c = 0u; c < p.C; c++) { let e = exp(logits[o + c] - mx); probs[o + c] = e; z += e; }
  let inv = 1.0 / z;
  for (var c = 0u; c < p.C; c++) { probs[o + c] *= inv; }
  let y = u32(tg[i % p.B]);
  rowLoss[i] = mx + log(z) - logits[o + y];`,
);

/** out[r, c] = s·(probs[r, c] − [c = y_r]) with s = g[0] / divisor read on the device; one invocation per element (n = R·C). */
export const crossEntropyBackwardSpec: KernelSpec = elementwise(
  'crossEntropyBackward',
  [['C', 'u32'], ['B', 'u32'], ['divisor', 'f32']],
  [['probs', 'read'], ['tg', 'read'], ['g', 'read'], ['out', 'read_write']],
  `
  let s = g[0] / p.divisor;
  let r = i / p.C;
  var v = s * probs[i];
  if (i % p.C == u32(tg[r % p.B])) { v -= s; }
  out[i] = v;`,
);

/**
 * out[outOff] = Σ_r [argmax_c scores[r, c] = targets[r]] (first maximum on
 * ties, as predictFromScores): one workgroup, each invocation counting a
 * strided slice of the rows, then a tree in workgroup memory (counts are
 * exact in float32 below 2²⁴).
 */
export const countCorrectSpec: KernelSpec = {
  name: 'countCorrect',
  params: [['R', 'u32'], ['C', 'u32'], ['outOff', 'u32']],
  bindings: [['scores', 'read'], ['targets', 'read'], ['out', 'read_write']],
  body: `
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  for (var r = lid.x; r < p.R; r += ${WG}u) {
    var best = 0u;
    for (var c = 1u; c < p.C; c++) { if (scores[r * p.C + c] > scores[r * p.C + best]) { best = c; } }
    if (f32(best) == targets[r]) { acc += 1.0; }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[p.outOff] = part[0]; }
}`,
};
