import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { softmaxRows } from './readout.js';
import { empty } from './util.js';

/**
 * Knowledge distillation's soft-target term (Hinton et al. 2015):
 *
 *   KL(p ‖ q) averaged over the batch, p = softmax(teacher / T), q = softmax(student / T),
 *
 * for class scores [B, C] — PyTorch's
 * `F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction='batchmean')`.
 * The T² factor that keeps the gradient's size independent of T is the
 * caller's (src/train/distill.ts). One node, differentiable in both inputs:
 *   ∂/∂s_bc = (q_bc − p_bc) / (T·B),
 *   ∂/∂t_bc = p_bc · (l_bc − KL_b) / (T·B),  l = log p − log q.
 * Computed in float64 from the storages' CPU views.
 */
export function softTargetKl(student: Tensor, teacher: Tensor, temperature: number): Tensor {
  if (student.ndim !== 2) throw new ShapeError(`softTargetKl: expected class scores [B, C], got ${fmtShape(student.shape)}`);
  if (!shapeEq(student.shape, teacher.shape)) throw new ShapeError(`softTargetKl: student scores ${fmtShape(student.shape)} and teacher scores ${fmtShape(teacher.shape)} differ`);
  if (!(temperature > 0)) throw new ShapeError(`softTargetKl: temperature must be > 0, got ${temperature}`);
  const [B, C] = student.shape as [number, number];
  const N = B * C;
  const s = student.data, t = teacher.data;
  const zs = new Float64Array(N), zt = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    zs[i] = s[i]! / temperature;
    zt[i] = t[i]! / temperature;
  }
  const q = new Float64Array(N), p = new Float64Array(N);
  softmaxRows(B, C, zs, q);
  softmaxRows(B, C, zt, p);
  // log p − log q per element from the logits (log-sum-exp), not log of the
  // probabilities, so a class the teacher all but rules out stays finite.
  const l = new Float64Array(N);
  const kl = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const lse = (z: Float64Array): number => {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, z[b * C + c]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[b * C + c]! - m);
      return m + Math.log(sum);
    };
    const shift = lse(zs) - lse(zt);
    let k = 0;
    for (let c = 0; c < C; c++) {
      const i = b * C + c;
      l[i] = zt[i]! - zs[i]! + shift;
      k += p[i]! * l[i]!;
    }
    kl[b] = k;
  }
  const be = student.backend;
  const out = empty(be, []);
  out.data[0] = B > 0 ? kl.reduce((a, v) => a + v, 0) / B : 0;
  record('softTargetKl', [student, teacher], [out], ([g]) => {
    const k = (g ? g.data[0]! : 0) / (temperature * Math.max(1, B));
    let gs: Tensor | null = null, gt: Tensor | null = null;
    if (student.requiresGrad) {
      gs = empty(be, student.shape);
      const d = gs.data;
      for (let i = 0; i < N; i++) d[i] = k * (q[i]! - p[i]!);
    }
    if (teacher.requiresGrad) {
      gt = empty(be, teacher.shape);
      const d = gt.data;
      for (let i = 0; i < N; i++) d[i] = k * p[i]! * (l[i]! - kl[Math.floor(i / C)]!);
    }
    return [gs, gt];
  });
  return out;
}
