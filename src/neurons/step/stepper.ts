import type { Backend } from '../../backend/backend.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { Storage } from '../../backend/storage.js';
import { ShapeError } from '../../errors.js';
import { stepContext, type StepRule } from './rule.js';

/**
 * A neuron layer compiled for streaming inference (src/stream/): its state
 * lives in storage allocated once, and each call advances one time step of a
 * fixed batch on raw storages — no tensors, no tape, no allocation. The
 * numbers are those of the layer's scan with T = 1, chained through the
 * state, so a stream of steps equals one forward over the whole sequence.
 */
export interface NeuronStepper {
  /** Neurons per step, B·F. */
  readonly size: number;
  /** Whether the spikes are 0/1 (layers downstream may then run event-driven). */
  readonly binary: boolean;
  /** One step: input x [B·F] → spikes [B·F], overwritten in full. x and spikes are distinct storages. */
  step(x: Storage, spikes: Storage): void;
  /** The membrane the layer records, after the last step (storage owned by the stepper, overwritten by later steps). */
  membrane(): Storage;
  /** Back to the layer's initial state (the next step starts a new sequence). */
  reset(): void;
  /** Every storage the stepper owns, for a caller that keeps them across a backend step scope. */
  storages(): Storage[];
}

/** Per-layer (1 value) or per-neuron (F values) parameter: its stride in the kernels' sense, or an error naming it. */
export function paramStride(where: string, name: string, p: Storage, F: number): 0 | 1 {
  if (p.length === 1) return 0;
  if (p.length === F) return 1;
  throw new ShapeError(`${where}: parameter '${name}' has ${p.length} values, expected 1 (per layer) or ${F} (per neuron)`);
}

/** What the generic stepper needs of a bound rule (plain data: the binding type lives above this file). */
export interface RuleStepperSpec<K> {
  rule: StepRule<K>;
  settings: K;
  surrogate: SurrogateCode;
  /** Parameter storages in `rule.params` order, on the stepper's backend. */
  params: Storage[];
  fireAtThreshold: boolean;
  /** Initial value of each state variable in `rule.state` order, [B·F] each, on the stepper's backend. */
  initial: Storage[];
  /** Which state variable the membrane output is taken from is the rule's business: `out[1]`. */
  B: number;
  F: number;
  /** For messages: the layer kind. */
  where: string;
}

/**
 * The generic stepper: any step rule, one step per call. It is the forward
 * loop of `scanRule` (./scan.ts) for T = 1 — each state variable stored in
 * the backend's dtype after the step and read back at the next — so its
 * numbers are the generic scan's, and through the oracle tests the fused
 * kernels' too. Runs over `.data` like every reference kernel (CPU backends).
 */
export function ruleStepper<K>(be: Backend, s: RuleStepperSpec<K>): NeuronStepper {
  const { rule, settings: k, params, B, F } = s;
  const S = rule.state.length, P = rule.params.length;
  const N = B * F;
  if (params.length !== P) throw new ShapeError(`${s.where}: expected ${P} parameters (${rule.params.join(', ')}), got ${params.length}`);
  if (s.initial.length !== S || s.initial.some((t) => t.length !== N)) throw new ShapeError(`${s.where}: expected ${S} initial states of ${N} values (${rule.state.join(', ')})`);
  const pStride = params.map((p, i) => paramStride(s.where, rule.params[i]!, p, F));
  const ctx = stepContext(s.surrogate, be.dtype === 'float32', s.fireAtThreshold);
  const state = s.initial.map((t) => {
    const c = be.alloc(N);
    be.copy(t, 0, c, 0, N);
    return c;
  });
  const membrane = be.alloc(N);
  const prev = new Float64Array(S), next = new Float64Array(S), out = new Float64Array(2), pv = new Float64Array(P);
  return {
    size: N,
    binary: !ctx.smooth && rule.binary(k),
    step(x, spikes) {
      // Views are taken after every allocation of this call (none), as the wasm backend requires.
      const xd = x.data, sd = spikes.data, md = membrane.data;
      const st = state.map((t) => t.data), pd = params.map((p) => p.data);
      for (let n = 0; n < N; n++) {
        const f = n % F;
        for (let j = 0; j < S; j++) prev[j] = st[j]![n]!;
        for (let i = 0; i < P; i++) pv[i] = pd[i]![f * pStride[i]!]!;
        rule.step(k, ctx, xd[n]!, prev, pv, next, out);
        // Each neuron reads only its own state, so the update can be in place.
        for (let j = 0; j < S; j++) st[j]![n] = next[j]!;
        sd[n] = out[0]!;
        md[n] = out[1]!;
      }
    },
    membrane: () => membrane,
    reset() {
      state.forEach((t, j) => be.copy(s.initial[j]!, 0, t, 0, N));
      be.fill(membrane, 0);
    },
    storages: () => [...state, ...s.initial, membrane, ...params],
  };
}
