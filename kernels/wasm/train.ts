/*
 * Optimizer updates (PyTorch semantics, see src/backend/kernels/train.ts),
 * computed in f64 and stored in f32 in the reference's order, so parameters
 * stay bit-identical to the TypeScript backend. Bias corrections come from
 * JavaScript (Math.pow) so both backends use the very same numbers.
 * Optional buffers are passed as pointer 0.
 */

export function adamStep(
  p: usize, g: usize, m: usize, v: usize, vMax: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, wd: f64, decoupled: i32, stepSize: f64, bc2Sqrt: f64,
): void {
  const decay = decoupled ? 1 - lr * wd : 1;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let d = <f64>load<f32>(g + o);
    let w = <f64>load<f32>(p + o);
    if (decoupled) w *= decay;
    else if (wd != 0) d += wd * w;
    const m1 = <f32>(beta1 * <f64>load<f32>(m + o) + (1 - beta1) * d);
    store<f32>(m + o, m1);
    const m2 = <f32>(beta2 * <f64>load<f32>(v + o) + (1 - beta2) * d * d);
    store<f32>(v + o, m2);
    let second = m2;
    if (vMax) {
      const vm = load<f32>(vMax + o);
      if (second > vm) store<f32>(vMax + o, second);
      else second = vm;
    }
    const denom = Math.sqrt(<f64>second) / bc2Sqrt + eps;
    store<f32>(p + o, <f32>(w - (stepSize * <f64>m1) / denom));
  }
}

export function sgdStep(p: usize, g: usize, buf: usize, initBuf: i32, n: i32, lr: f64, momentum: f64, dampening: f64, nesterov: i32, wd: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let d = <f64>load<f32>(g + o);
    if (wd != 0) d += wd * <f64>load<f32>(p + o);
    if (buf) {
      const mb = <f32>(initBuf ? d : momentum * <f64>load<f32>(buf + o) + (1 - dampening) * d);
      store<f32>(buf + o, mb);
      d = nesterov ? d + momentum * <f64>mb : <f64>mb;
    }
    store<f32>(p + o, <f32>(<f64>load<f32>(p + o) - lr * d));
  }
}
