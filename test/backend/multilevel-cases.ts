import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { fusedKernel, MULTILEVEL_SCAN, SurrogateId, type MultiLevelBackwardIO, type MultiLevelConfig } from '../../src/backend/kernels/neuron.js';
import type { Storage } from '../../src/backend/storage.js';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { multiLevelBackward, multiLevelForward } from '../../src/neurons/multilevel/kernel.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * Cross-backend checks of the multi-level neuron's fused scan (MULTILEVEL_SCAN,
 * src/backend/kernels/neuron.ts), shared by the native and wasm test files:
 * the backend's kernel against the TypeScript reference kernel
 * (src/neurons/multilevel/kernel.ts) on the same inputs.
 *
 * Bound: bit-identical, spikes, membranes and every gradient. The fast kernels
 * do the reference's double operations in its order (the count's closed form,
 * the D surrogate terms from k = 1, the parameter sums t-descending, b, f) and
 * round where it rounds, so there is no tolerance to state. Outputs start as
 * NaN, so an element a kernel forgets to write shows up.
 */

export const ref: Backend = createTsBackend('float32');

/** A kernel configuration with its surrogate as [id, p0, p1]; `grads` picks which backward inputs and outputs exist. */
export interface MlCase extends Omit<MultiLevelConfig, 'surrogate'> {
  sg: [number, number, number];
  /** Learned β / θ: dBeta and dThreshold requested. */
  paramGrads: boolean;
  /** gSpikes, gMem, gState present (else null). */
  upstream: [boolean, boolean, boolean];
}

/** Every surrogate of the table with parameters that make its support cover a few levels. */
export const SURROGATES: [number, number, number][] = [
  [SurrogateId.fastSigmoid, 4, 0], [SurrogateId.arctan, 2, 0], [SurrogateId.sigmoid, 4, 0], [SurrogateId.piecewiseQuadratic, 1, 0],
  [SurrogateId.piecewiseExponential, 1, 0], [SurrogateId.softSign, 2, 0], [SurrogateId.erf, 1.5, 0], [SurrogateId.rectangle, 1, 0],
  [SurrogateId.triangle, 1, 0.8], [SurrogateId.straightThrough, 0, 0], [SurrogateId.snntorchTriangle, 1, 0], [SurrogateId.rectangle, 0.7, 0],
];

type Data = Record<'x' | 'v0' | 'beta' | 'thr' | 'gS' | 'gM' | 'gState', Float32Array>;

/** Charges across the whole count range (and below 0), β and θ as QSD-like layers use them. */
function randomData(rng: Rng, c: MlCase): Data {
  const N = c.B * c.F, TN = c.T * N;
  const r = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
  const thr = r(c.thresholdPerNeuron ? c.F : 1, 0.2, 0.6);
  return {
    x: r(TN, -0.4, 0.5 * (c.levels + 1.5)),
    v0: r(N, -0.3, 0.8),
    beta: r(c.betaPerNeuron ? c.F : 1, 0.3, 0.95),
    thr,
    gS: r(TN, -1, 1),
    gM: r(TN, -1, 1),
    gState: r(N, -1, 1),
  };
}

/**
 * Ties: x and v0 in eighths, β = ½ and θ ∈ {¼, ½}, so the stored charge is exact and
 * u = h/θ lands exactly on the half-integers k − ½ (where the count rounds down) at
 * many elements, and on the integers between the surrogate's boxes.
 */
function tieData(rng: Rng, c: MlCase): Data {
  const N = c.B * c.F, TN = c.T * N;
  const eighths = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => Math.round(rng.uniform(lo, hi) * 8) / 8);
  const d = randomData(rng, c);
  return {
    ...d,
    x: eighths(TN, -0.5, 0.25 * (c.levels + 1)),
    v0: eighths(N, -0.25, 0.5),
    beta: Float32Array.from({ length: d.beta.length }, () => 0.5),
    thr: Float32Array.from({ length: d.thr.length }, () => (rng.random() < 0.5 ? 0.25 : 0.5)),
  };
}

/** Non-finite and huge charges: NaN counts 0, ±∞ and ±1e30 clamp; no parameter sums (they would all be NaN). */
function edgeData(rng: Rng, c: MlCase): Data {
  const d = randomData(rng, c);
  const special = [NaN, Infinity, -Infinity, 1e30, -1e30, 3e38, 1e-40];
  for (let i = 0; i < d.x.length; i += 5) d.x[i] = special[(i / 5) % special.length]!;
  return d;
}

interface Run {
  io: MultiLevelBackwardIO;
  cfg: MultiLevelConfig;
}

function setUp(be: Backend, c: MlCase, d: Data): Run {
  const N = c.B * c.F, TN = c.T * N;
  const nan = (n: number): Storage => be.fromArray(new Float32Array(n).fill(NaN));
  const { sg, paramGrads, upstream, ...sizes } = c;
  const cfg: MultiLevelConfig = { ...sizes, surrogate: { id: sg[0], p0: sg[1], p1: sg[2], smooth: false } };
  const io: MultiLevelBackwardIO = {
    x: be.fromArray(d.x), v0: be.fromArray(d.v0), beta: be.fromArray(d.beta), threshold: be.fromArray(d.thr),
    spikes: nan(TN), v: nan(TN),
    gSpikes: upstream[0] ? be.fromArray(d.gS) : null,
    gMem: upstream[1] ? be.fromArray(d.gM) : null,
    gState: upstream[2] ? be.fromArray(d.gState) : null,
    dx: nan(TN), dv0: nan(N),
    dBeta: paramGrads ? nan(d.beta.length) : null,
    dThreshold: paramGrads ? nan(d.thr.length) : null,
  };
  return { io, cfg };
}

/** Exact equality of two float arrays (bitwise up to the sign of zero; NaN equals NaN). */
function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) assert.fail(`${what}[${i}]: got ${a}, reference ${e} (must be identical)`);
  }
}

export type DataKind = 'random' | 'ties' | 'edges';

/** One case on `be` (its fused kernel must take it) and on the reference; all outputs compared bit for bit. */
export function checkMultiLevel(be: Backend, c: MlCase, kind: DataKind, seed: number): void {
  const rng = new Rng(seed);
  const d = kind === 'ties' ? tieData(rng, c) : kind === 'edges' ? edgeData(rng, c) : randomData(rng, c);
  const what = `${kind} ${JSON.stringify(c)}`;
  const k = fusedKernel(be.neuronKernels, MULTILEVEL_SCAN);
  assert.ok(k, `${be.name} registers a multi-level kernel`);
  const a = setUp(be, c, d), b = setUp(ref, c, d);
  assert.equal(k.forward(a.cfg, a.io), true, `${be.name} forward takes ${what}`);
  multiLevelForward(b.cfg, b.io);
  sameBits(a.io.spikes.data, b.io.spikes.data, `spikes ${what}`);
  sameBits(a.io.v.data, b.io.v.data, `v ${what}`);
  assert.equal(k.backward(a.cfg, a.io), true, `${be.name} backward takes ${what}`);
  multiLevelBackward(b.cfg, b.io);
  sameBits(a.io.dx!.data, b.io.dx!.data, `dx ${what}`);
  sameBits(a.io.dv0!.data, b.io.dv0!.data, `dv0 ${what}`);
  if (c.paramGrads) {
    sameBits(a.io.dBeta!.data, b.io.dBeta!.data, `dBeta ${what}`);
    sameBits(a.io.dThreshold!.data, b.io.dThreshold!.data, `dThreshold ${what}`);
  }
}

/**
 * Every option combination (reset, output, detach, parameter layout and gradients,
 * D ∈ {1, 2, 4, 7}) at T = 3 with odd rows (vector tails), the surrogates in turn,
 * then ties and non-finite charges. Returns the number of cases run.
 */
export function everyConfiguration(be: Backend): number {
  let n = 0;
  for (const hardReset of [false, true]) {
    for (const normalized of [true, false]) {
      for (const detachReset of [true, false]) {
        for (const [betaPerNeuron, thresholdPerNeuron] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          for (const levels of [1, 2, 4, 7]) {
            const c: MlCase = {
              T: 3, B: 3, F: 13, levels, normalized, hardReset, vReset: hardReset && n % 3 === 0 ? -0.2 : 0, detachReset, betaPerNeuron, thresholdPerNeuron,
              sg: SURROGATES[n % SURROGATES.length]!, paramGrads: n % 2 === 0, upstream: [n % 5 !== 1, n % 5 !== 2, n % 5 !== 3],
            };
            checkMultiLevel(be, c, 'random', 100 + n);
            checkMultiLevel(be, c, 'ties', 500 + n);
            checkMultiLevel(be, { ...c, paramGrads: false }, 'edges', 900 + n);
            n++;
          }
        }
      }
    }
  }
  return n;
}

/** QSD-Transformer's neuron (D = 4, θ = 0.25, β = 0.5 fixed, soft detached reset, rectangle, normalized) at T = 1 and T = 4. */
export function qsdCase(T: number, B: number, F: number): MlCase {
  return {
    T, B, F, levels: 4, normalized: true, hardReset: false, vReset: 0, detachReset: true, betaPerNeuron: false, thresholdPerNeuron: false,
    sg: [SurrogateId.rectangle, 1, 0], paramGrads: false, upstream: [true, false, false],
  };
}
