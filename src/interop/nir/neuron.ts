import type { Backend } from '../../backend/backend.js';
import { ResetMode } from '../../backend/kernels/neuron.js';
import { ConfigError } from '../../errors.js';
import { OptionReader } from '../../neurons/options.js';
import { neuronRegistry } from '../../neurons/registry.js';
import { ScanNeuron } from '../../neurons/scan-neuron.js';
import { fastSigmoid, surrogateCode, type Surrogate, type SurrogateLike } from '../../neurons/surrogate.js';
import type { ScanResult } from '../../ops/neuron.js';
import { lifScan, type LifSettings } from '../../neurons/lif/scan.js';
import { synapticScan } from '../../neurons/synaptic/scan.js';
import { tensor } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { featureAffine } from './feature-affine.js';
import { nirArray, type NirPrimitive } from './types.js';

/*
 * A NIR neuron node as a trainable-network layer, exact to the forward-Euler
 * discretisation of semantics.md §3, built on the fused LIF and synaptic scans.
 *
 * With k = dt/τ and the shifted membrane u = v − v_reset:
 *   LIF/LI:  u ← (1 − k)·u + k·r·x + k·(v_leak − v_reset)     (β = 1 − k, input gain k·r)
 *   IF/I:    u ← u + dt·r·x                                   (β = 1, gain dt·r)
 *   spike u > θ − v_reset, then u ← 0 (same step); u starts at −v_reset (v = 0).
 * CubaLIF/CubaLI scale the synaptic current by k_m·r (a linear change of
 * variable that commutes with the filter) so the scan's syn feeds the
 * membrane with gain 1; the constant leak drive rides in the filter with its
 * initial value set to the steady drive, which keeps it exact from step 0.
 * Non-spiking nodes (LI, I, CubaLI) output their membrane v.
 */

export type NirNeuronType = 'LIF' | 'LI' | 'IF' | 'I' | 'CubaLIF' | 'CubaLI';
export const NIR_NEURON_TYPES: readonly NirNeuronType[] = ['LIF', 'LI', 'IF', 'I', 'CubaLIF', 'CubaLI'];

export interface NirNeuronOptions {
  /** NIR node type. */
  node: NirNeuronType;
  /** Euler step (seconds). */
  dt: number;
  tau?: number[];
  tauSyn?: number[];
  tauMem?: number[];
  r: number[];
  vLeak?: number[];
  vThreshold?: number[];
  vReset?: number[];
  wIn?: number[];
  /** Default fastSigmoid({ slope: 25 }). */
  surrogate?: SurrogateLike;
}

type State = { v: Tensor; syn: Tensor | null };

const FIELDS: Record<NirNeuronType, readonly (keyof NirNeuronOptions)[]> = {
  LIF: ['tau', 'r', 'vLeak', 'vThreshold', 'vReset'],
  LI: ['tau', 'r', 'vLeak'],
  IF: ['r', 'vThreshold', 'vReset'],
  I: ['r'],
  CubaLIF: ['tauSyn', 'tauMem', 'r', 'vLeak', 'vThreshold', 'vReset', 'wIn'],
  CubaLI: ['tauSyn', 'tauMem', 'r', 'vLeak', 'wIn'],
};

const NIR_NAME: Record<string, string> = { tau: 'tau', tauSyn: 'tau_syn', tauMem: 'tau_mem', r: 'r', vLeak: 'v_leak', vThreshold: 'v_threshold', vReset: 'v_reset', wIn: 'w_in' };

export class NirNeuron extends ScanNeuron<State> {
  readonly node: NirNeuronType;
  readonly dt: number;
  readonly spiking: boolean;
  readonly params: Readonly<Record<string, Float64Array>>;
  readonly surrogate: Surrogate;
  /** Derived per-neuron constants of the scan. */
  private readonly beta: Float64Array;
  private readonly alpha: Float64Array | null;
  private readonly gain: Float64Array;
  private readonly drive: Float64Array | null;
  private readonly threshold: Float64Array;
  private readonly u0: Float64Array;
  private readonly syn0: Float64Array | null;
  private readonly tensors = new Map<string, Tensor>();

  constructor(features: number[] | number, options: NirNeuronOptions) {
    const rd = new OptionReader(options as unknown as Record<string, unknown>, 'NirNeuron');
    const node = rd.choice('node', ['LIF', 'LI', 'IF', 'I', 'CubaLIF', 'CubaLI'] as const, 'LIF');
    const dt = rd.number('dt', NaN, (v) => v > 0, 'a positive number');
    if (!(dt > 0)) throw new ConfigError(`NirNeuron (${node}): option 'dt' (the Euler step in seconds) is required`);
    const surrogate = rd.surrogate(fastSigmoid({ slope: 25 }));
    super(features);
    const F = this.numFeatures;
    const p: Record<string, Float64Array> = {};
    for (const k of FIELDS[node]) {
      const v = rd.numbers(k, NaN);
      const arr = typeof v === 'number' ? new Float64Array(F).fill(v) : Float64Array.from(v);
      if (arr.length !== F || arr.some((x) => Number.isNaN(x))) throw new ConfigError(`NirNeuron (${node}): option '${k}' needs ${F} values (one per neuron)`);
      p[k] = arr;
    }
    // Rejects options of other node types (e.g. 'tau' on an IF node) with the accepted list.
    rd.done();
    this.node = node;
    this.dt = dt;
    this.surrogate = surrogate;
    this.spiking = node === 'LIF' || node === 'IF' || node === 'CubaLIF';
    this.params = p;
    const zeros = new Float64Array(F);
    const vr = p['vReset'] ?? zeros, vl = p['vLeak'] ?? zeros, r = p['r']!;
    this.beta = new Float64Array(F);
    this.gain = new Float64Array(F);
    this.threshold = new Float64Array(F).fill(Infinity);
    this.u0 = new Float64Array(F);
    let drive: Float64Array | null = null;
    const cuba = node === 'CubaLIF' || node === 'CubaLI';
    this.alpha = cuba ? new Float64Array(F) : null;
    this.syn0 = null;
    for (let f = 0; f < F; f++) {
      if (this.spiking) this.threshold[f] = p['vThreshold']![f]! - vr[f]!;
      this.u0[f] = -vr[f]!;
      if (node === 'I' || node === 'IF') {
        this.beta[f] = 1;
        this.gain[f] = dt * r[f]!;
        continue;
      }
      const km = dt / (cuba ? p['tauMem']![f]! : p['tau']![f]!);
      this.beta[f] = 1 - km;
      const leakDrive = km * (vl[f]! - vr[f]!);
      if (leakDrive !== 0) (drive ??= new Float64Array(F))[f] = leakDrive;
      if (cuba) {
        const ks = dt / p['tauSyn']![f]!;
        this.alpha![f] = 1 - ks;
        this.gain[f] = km * r[f]! * ks * p['wIn']![f]!;
      } else this.gain[f] = km * r[f]!;
    }
    if (cuba && drive) {
      // The filter carries the constant drive c: input gets (1 − α)·c = k_s·c and the filter starts at c.
      this.syn0 = drive;
      const inDrive = new Float64Array(F);
      for (let f = 0; f < F; f++) inDrive[f] = (1 - this.alpha![f]!) * drive[f]!;
      this.drive = inDrive;
    } else this.drive = drive;
  }

  get kind(): string {
    return `Nir${this.node}`;
  }

  /** Also the cached constant tensors (β, gain, threshold...), which live across steps. */
  override persistentTensors(): Tensor[] {
    return [...super.persistentTensors(), ...this.tensors.values()];
  }

  private constTensor(name: string, values: Float64Array, be: Backend): Tensor {
    const key = `${name}@${be.name}`;
    let t = this.tensors.get(key);
    if (!t) {
      t = tensor(values, [values.length], { backend: be });
      this.tensors.set(key, t);
    }
    return t;
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    const N = stepShape.reduce((a, b) => a * b, 1);
    const rep = (src: Float64Array): Tensor => {
      const d = new Float64Array(N);
      for (let j = 0; j < N; j++) d[j] = src[j % src.length]!;
      return tensor(d, stepShape, { backend });
    };
    return { v: rep(this.u0), syn: this.alpha ? rep(this.syn0 ?? new Float64Array(this.numFeatures)) : null };
  }

  private settings(): LifSettings {
    return {
      resetMode: this.spiking ? ResetMode.zero : ResetMode.none,
      delayedReset: false,
      detachReset: true,
      inputLeak: false,
      vReset: 0,
      surrogate: surrogateCode(this.surrogate, false),
    };
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const be = x.backend;
    const drive = featureAffine(x, this.gain, this.drive);
    const p = { beta: this.constTensor('beta', this.beta, be), threshold: this.constTensor('threshold', this.threshold, be) };
    if (this.alpha) {
      const r = synapticScan(drive, { syn: st.syn!, v: st.v }, this.constTensor('alpha', this.alpha, be), p, this.settings());
      // Non-spiking nodes output their membrane (their v_reset is 0, so u is v).
      return { spikes: this.spiking ? r.spikes : r.membrane, membrane: r.membrane, state: { v: r.state.v, syn: r.state.syn } };
    }
    const r = lifScan(drive, { v: st.v, s: null }, p, this.settings());
    return { spikes: this.spiking ? r.spikes : r.membrane, membrane: r.membrane, state: { v: r.state.v, syn: null } };
  }

  /** The NIR node this layer implements (float32 parameters shaped like the layer). */
  toNirNode(): NirPrimitive {
    const fields: NirPrimitive['fields'] = {};
    for (const k of FIELDS[this.node]) fields[NIR_NAME[k]!] = nirArray(this.params[k]!, this.features, 'float32');
    return { type: this.node, fields, metadata: {} };
  }

  /** Options that rebuild this layer (config form, camelCase keys). */
  toOptions(): Record<string, unknown> {
    const o: Record<string, unknown> = { node: this.node, dt: this.dt };
    for (const k of FIELDS[this.node]) o[k] = Array.from(this.params[k]!);
    return o;
  }

  override describe(): Record<string, unknown> {
    return { features: [...this.features], ...this.toOptions(), surrogate: { name: this.surrogate.name, ...this.surrogate.params } };
  }
}

/** Build a NirNeuron from a NIR node and dt. */
export function nirNeuronFromNode(node: NirPrimitive, dt: number, features: number[]): NirNeuron {
  const o: Record<string, unknown> = { node: node.type, dt };
  for (const [camel, snake] of Object.entries(NIR_NAME)) {
    const v = node.fields[snake];
    if (v && v.kind === 'array') o[camel] = Array.from(v.data);
  }
  return new NirNeuron(features, o as unknown as NirNeuronOptions);
}

/** Factory maker for configs (`type: nir`), for registration in src/neurons/factory.ts. */
export function createNirNeuron(features: number[] | number, options: Record<string, unknown>): NirNeuron {
  return new NirNeuron(features, options as unknown as NirNeuronOptions);
}

/*
 * Configs name this neuron `type: nir` (what `spikeflow nir import` writes).
 * It registers itself here, on import of the NIR module, because it is built
 * on the NIR node types above the neuron floor (package.json lists this file
 * under sideEffects).
 */
neuronRegistry.register({
  name: 'nir',
  kind: 'NirNeuron',
  options: {
    node: { type: 'choice', values: NIR_NEURON_TYPES, default: 'LIF', doc: 'the NIR node type this layer implements' },
    dt: { type: 'number', check: (v) => v > 0, want: 'a positive number', doc: 'the Euler step in seconds (required)' },
    ...Object.fromEntries(Object.keys(NIR_NAME).map((k) => [k, { type: 'numbers', doc: `NIR field '${NIR_NAME[k]}' (the node type says which are required)` } as const])),
    surrogate: { type: 'custom', accepts: ['string', 'object'], parse: (v) => v },
  },
  // As the LIF family: a decay-and-integrate, a compare and a reset per step.
  cost: { macs: 1, acs: 2, stateWords: 1 },
  nir: {
    toNir(layer, ctx) {
      const n = layer as NirNeuron;
      if (Math.abs(n.dt - ctx.dt) > 1e-12 * ctx.dt) throw new ConfigError(`${ctx.where}: NirNeuron was built for dt = ${n.dt}, exporting with dt = ${ctx.dt}`);
      const fields: Record<string, Float64Array> = {};
      for (const k of FIELDS[n.node]) fields[NIR_NAME[k]!] = n.params[k]!;
      return { type: n.node, fields, metadata: {} };
    },
  },
  make: (f, o) => createNirNeuron(f, o),
});
