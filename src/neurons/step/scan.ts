import { record } from '../../autograd/tape.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { Storage } from '../../backend/storage.js';
import { ShapeError } from '../../errors.js';
import { empty } from '../../ops/util.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { stepContext, type StepRule } from './rule.js';

export interface RuleScanResult {
  /** [T, B, ...] spikes (flagged binary when the rule's spikes are 0/1). */
  spikes: Tensor;
  /** [T, B, ...] the membrane values the rule reports. */
  membrane: Tensor;
  /** Final state, one [B, ...] tensor per state variable (rule order). */
  state: Tensor[];
}

/**
 * The generic multi-step op: runs any step rule over a [T, B, ...features]
 * sequence as one tape node whose inputs are the sequence, the initial state
 * tensors and the parameters. Each step's state is stored in the backend's
 * dtype and read back, so a fused call and T one-step calls give the same
 * numbers. The backward walks time in reverse calling the rule's adjoint,
 * accumulating parameter gradients in float64. CPU backends only (reads
 * `.data`), like every TypeScript reference kernel. `fireAtThreshold` picks
 * H(0) = 1 for the context's spike function (StepContext.spike).
 */
export function scanRule<K>(
  rule: StepRule<K>, k: K, surrogate: SurrogateCode, x: Tensor, state: readonly Tensor[], params: readonly Tensor[], fireAtThreshold = false,
): RuleScanResult {
  const op = `${rule.name} scan`;
  if (x.ndim < 2) throw new ShapeError(`${op}: input must be [T, B, ...features], got ${fmtShape(x.shape)}`);
  const S = rule.state.length, P = rule.params.length;
  if (state.length !== S) throw new ShapeError(`${op}: expected ${S} state tensors (${rule.state.join(', ')}), got ${state.length}`);
  if (params.length !== P) throw new ShapeError(`${op}: expected ${P} parameters (${rule.params.join(', ')}), got ${params.length}`);
  const T = x.shape[0]!, B = x.shape[1]!;
  const inner = x.shape.slice(1);
  const N = inner.reduce((a, b) => a * b, 1);
  const F = B === 0 ? 0 : N / B;
  state.forEach((s, j) => {
    if (s.ndim !== inner.length || s.shape.some((d, i) => d !== inner[i]))
      throw new ShapeError(`${op}: state '${rule.state[j]}' ${fmtShape(s.shape)} does not match input step shape ${fmtShape(inner)}`);
  });
  // Stride 0 (per layer) or 1 (per neuron), as in the fused kernels.
  const pStride = params.map((p, i) => {
    if (p.size === 1) return 0;
    if (p.size === F) return 1;
    throw new ShapeError(`${op}: parameter '${rule.params[i]}' has ${p.size} values, expected 1 (per layer) or ${F} (per neuron)`);
  });
  const be = x.backend;
  const ctx = stepContext(surrogate, be.dtype === 'float32', fireAtThreshold);
  const spikes = empty(be, x.shape, !ctx.smooth && rule.binary(k));
  const membrane = empty(be, x.shape);
  // traces[j]: state variable j after each step, [T, N] in the backend's dtype.
  const traces: Storage[] = rule.state.map(() => be.alloc(T * N));
  const prev = new Float64Array(S), next = new Float64Array(S), out = new Float64Array(2), pv = new Float64Array(P);
  {
    const xd = x.storage.data, sd = spikes.storage.data, md = membrane.storage.data;
    const td = traces.map((t) => t.data), s0 = state.map((s) => s.storage.data), pd = params.map((p) => p.storage.data);
    for (let t = 0; t < T; t++) {
      const row = t * N;
      for (let n = 0; n < N; n++) {
        const f = n % F;
        for (let j = 0; j < S; j++) prev[j] = t === 0 ? s0[j]![n]! : td[j]![row - N + n]!;
        for (let i = 0; i < P; i++) pv[i] = pd[i]![f * pStride[i]!]!;
        rule.step(k, ctx, xd[row + n]!, prev, pv, next, out);
        for (let j = 0; j < S; j++) td[j]![row + n] = next[j]!;
        sd[row + n] = out[0]!;
        md[row + n] = out[1]!;
      }
    }
  }
  const stepShape = x.shape.slice(1);
  const finals = traces.map((tr) => {
    const o = empty(be, stepShape);
    if (T > 0) be.copy(tr, (T - 1) * N, o.storage, 0, N);
    return o;
  });
  record(op, [x, ...state, ...params], [spikes, membrane, ...finals], (grads) => {
    const gS = grads[0] ? grads[0].storage.data : null, gM = grads[1] ? grads[1].storage.data : null;
    const gFinal = grads.slice(2);
    const xd = x.storage.data, td = traces.map((t) => t.data), s0 = state.map((s) => s.storage.data), pd = params.map((p) => p.storage.data);
    // Gradient flowing into each state variable from the step after (starts as the final state's gradient).
    const carry = rule.state.map((_, j) => {
      const c = new Float64Array(N);
      const g = gFinal[j];
      if (g) c.set(g.storage.data);
      return c;
    });
    const dx = x.requiresGrad ? empty(be, x.shape) : null;
    const dxd = dx ? dx.storage.data : null;
    const dParams = params.map((p) => new Float64Array(p.size));
    const gNext = new Float64Array(S), dPrev = new Float64Array(S), dP = new Float64Array(P);
    for (let t = T - 1; t >= 0; t--) {
      const row = t * N;
      for (let n = 0; n < N; n++) {
        const f = n % F;
        for (let j = 0; j < S; j++) {
          prev[j] = t === 0 ? s0[j]![n]! : td[j]![row - N + n]!;
          gNext[j] = carry[j]![n]!;
        }
        for (let i = 0; i < P; i++) pv[i] = pd[i]![f * pStride[i]!]!;
        dP.fill(0);
        const g = rule.adjoint(k, ctx, xd[row + n]!, prev, pv, gS ? gS[row + n]! : 0, gM ? gM[row + n]! : 0, gNext, dPrev, dP);
        if (dxd) dxd[row + n] = g;
        for (let j = 0; j < S; j++) carry[j]![n] = dPrev[j]!;
        for (let i = 0; i < P; i++) dParams[i]![f * pStride[i]!] += dP[i]!;
      }
    }
    const dState = state.map((s, j) => {
      if (!s.requiresGrad) return null;
      const d = empty(be, s.shape);
      d.storage.data.set(carry[j]!);
      return d;
    });
    const dPar = params.map((p, i) => {
      if (!p.requiresGrad) return null;
      const d = empty(be, p.shape);
      d.storage.data.set(dParams[i]!);
      return d;
    });
    return [dx, ...dState, ...dPar];
  }, traces);
  return { spikes, membrane, state: finals };
}
