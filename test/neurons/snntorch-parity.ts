import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/tensor/rng.js';
import { linear } from '../../src/ops/linear.js';
import { add, mean, meanLeading, scale, sub, sum } from '../../src/ops/elementwise.js';
import { square } from '../../src/ops/loss.js';
import { reshape, sliceLeading, stack } from '../../src/ops/shape.js';
import { backward } from '../../src/autograd/tape.js';
import { LIF } from '../../src/neurons/lif/index.js';
import type { LeakyOptionsBase } from '../../src/neurons/lif/leaky-base.js';
import { RLeaky } from '../../src/neurons/rleaky/index.js';
import { Synaptic } from '../../src/neurons/synaptic/index.js';
import type { ScanNeuron, StateDict } from '../../src/neurons/scan-neuron.js';
import { arctan, fastSigmoid } from '../../src/neurons/surrogate.js';
import { assertClose, repoRoot } from '../helpers.js';

/*
 * Checks against the fixtures that test/fixtures/make_snntorch_parity.py made
 * by running snnTorch itself (committed under test/fixtures/snntorch-parity/,
 * so no Python is needed here). Every layer is built with spikeflow's default
 * options plus only what the snnTorch call set, so these hold the defaults to
 * snnTorch's numbers.
 */

export type Kind = 'leaky' | 'synaptic' | 'rleaky';

interface Params {
  beta: number | number[];
  threshold: number | number[];
  reset_mechanism: 'subtract' | 'zero' | 'none';
  reset_delay: boolean;
  alpha?: number;
  V?: number;
  /** RLeaky all-to-all: W_rec [F, F] (snnTorch's recurrent nn.Linear with its bias zeroed). */
  all_to_all?: boolean;
  W?: number[][];
  surrogate?: string;
}

interface ForwardCase {
  name: string;
  params: Params;
  dtype: 'float32' | 'float64';
  input: number[][][];
  spk: number[][][];
  mem: number[][][];
  syn?: number[][][];
}

interface BpttCase {
  name: string;
  neuron: Kind;
  params: Params;
  dtype: 'float32' | 'float64';
  X: number[][][];
  W: number[][];
  b: number[];
  target: number[][];
  spk: number[][][];
  mem: number[][][];
  loss: number;
  dW: number[][];
  db: number[];
  dbeta: number;
  dthreshold: number;
}

export const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

const dir = join(repoRoot(), 'test', 'fixtures', 'snntorch-parity');

export function forwardCases(kind: Kind): ForwardCase[] {
  return (JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8')) as { cases: ForwardCase[] }).cases;
}

export function bpttCases(kind: Kind): BpttCase[] {
  return (JSON.parse(readFileSync(join(dir, 'bptt.json'), 'utf8')) as { cases: BpttCase[] }).cases.filter((c) => c.neuron === kind);
}

/** The backends of a dtype: ts64 for float64; ts, wasm and (when built) native for float32. */
export function backendsFor(dtype: 'float32' | 'float64'): [string, Backend][] {
  if (dtype === 'float64') return [['ts64', getBackendByName('ts64')]];
  const names = ['ts', 'wasm', ...(registerNativeBackend().ok ? ['native'] : [])];
  return names.map((n) => [n, getBackendByName(n)]);
}

/** The layer snnTorch's call describes, with spikeflow defaults for everything else. */
export function build(kind: Kind, p: Params, F: number, extra: LeakyOptionsBase = {}): ScanNeuron<StateDict> {
  const common: LeakyOptionsBase = { beta: p.beta, threshold: p.threshold, reset: p.reset_mechanism, resetDelay: p.reset_delay, ...extra };
  if (p.surrogate) common.surrogate = p.surrogate === 'atan2' ? arctan({ alpha: 2 }) : fastSigmoid({ slope: 25 });
  if (kind === 'leaky') return new LIF(F, common) as unknown as ScanNeuron<StateDict>;
  if (kind === 'synaptic') return new Synaptic(F, { ...common, alpha: p.alpha! }) as unknown as ScanNeuron<StateDict>;
  if (p.all_to_all) {
    const layer = new RLeaky(F, { ...common, allToAll: true, learnRecurrent: false }, new Rng(0));
    layer.getBuffer('recurrentWeight')!.data.set(flat(p.W));
    return layer as unknown as ScanNeuron<StateDict>;
  }
  return new RLeaky(F, { ...common, allToAll: false, V: p.V!, learnRecurrent: false }, new Rng(0)) as unknown as ScanNeuron<StateDict>;
}

export type Mode = 'fused' | 'step' | 'rule';
export const MODES: Mode[] = ['fused', 'step', 'rule'];

/** Spikes [T, B, F] and membranes (a [T, ...] trace) of one run in the given mode. */
function run(layer: ScanNeuron<StateDict>, x: Tensor, mode: Mode): { spk: Tensor; mem: Tensor } {
  layer.recordMembrane = true;
  layer.resetState();
  if (mode !== 'step') {
    layer.useStepRule = mode === 'rule';
    const spk = layer.forward(x);
    return { spk, mem: layer.lastMembrane! };
  }
  const T = x.shape[0]!, stepShape = x.shape.slice(1);
  const spks: Tensor[] = [], mems: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    // One step at a time; the slice is a tape op on the input, so BPTT flows through it.
    spks.push(layer.step(reshape(sliceLeading(x, t, t + 1), stepShape)));
    mems.push(layer.lastMembrane!);
  }
  return { spk: stack(spks), mem: stack(mems) };
}

export const maxErr = { float32: 0, float64: 0, gradRel: 0 };

export function checkForward(kind: Kind, c: ForwardCase, be: Backend, mode: Mode): void {
  // The all-to-all product W_rec·s is not an elementwise rule (RLeaky has none there).
  if (mode === 'rule' && c.params.all_to_all) return;
  const atol = c.dtype === 'float64' ? 1e-12 : 1e-5;
  withBackend(be, () => {
    const T = c.input.length, B = c.input[0]!.length, F = c.input[0]![0]!.length;
    const x = tensor(flat(c.input), [T, B, F]);
    const layer = build(kind, c.params, F);
    const { spk, mem } = run(layer, x, mode);
    assert.ok(spk.binary, `${c.name}: spikes binary`);
    assert.deepEqual(Array.from(spk.data), flat(c.spk), `${c.name} (${mode}): spikes`);
    const want = flat(c.mem);
    assertClose(mem.data, want, atol, 0, `${c.name} (${mode}): mem`);
    for (let i = 0; i < want.length; i++) maxErr[c.dtype] = Math.max(maxErr[c.dtype], Math.abs(mem.data[i]! - want[i]!));
    if (c.syn && mode !== 'step') {
      const syn = (layer.getState() as unknown as { syn: Tensor }).syn;
      assertClose(syn.data, flat(c.syn).slice(-B * F), atol, 0, `${c.name} (${mode}): final syn`);
    }
  });
}

export function checkBptt(c: BpttCase, be: Backend, mode: Mode): void {
  withBackend(be, () => {
    const T = c.X.length, B = c.X[0]!.length, K = c.X[0]![0]!.length, O = c.W.length;
    const X = tensor(flat(c.X), [T, B, K]);
    const W = tensor(flat(c.W), [O, K], { requiresGrad: true });
    const b = tensor(c.b, [O], { requiresGrad: true });
    const target = tensor(flat(c.target), [B, O]);
    const layer = build(c.neuron, c.params, O, { learnBeta: true, learnThreshold: true });
    const { spk, mem } = run(layer, linear(X, W, b), mode);
    // loss = Σ (mean_t spk − target)² + 0.01·mean(mem²), as the generator computes it.
    const loss = add(sum(square(sub(meanLeading(spk), target))), scale(mean(square(mem)), 0.01));
    backward(loss);
    const what = `${c.name} (${mode})`;
    assert.deepEqual(Array.from(spk.data), flat(c.spk), `${what}: spikes`);
    assertClose(mem.data, flat(c.mem), c.dtype === 'float64' ? 1e-12 : 1e-5, 0, `${what}: mem`);
    const rel = 1e-4;
    const grads: [string, ArrayLike<number>, number[]][] = [
      ['loss', [loss.item()], [c.loss]],
      ['dW', W.grad!.data, flat(c.dW)],
      ['db', b.grad!.data, c.db],
      ['dbeta', layer.getParameter('beta')!.grad!.data, [c.dbeta]],
      ['dthreshold', layer.getParameter('threshold')!.grad!.data, [c.dthreshold]],
    ];
    for (const [name, got, want] of grads) {
      assertClose(got, want, 1e-7, rel, `${what}: ${name}`);
      for (let i = 0; i < want.length; i++) maxErr.gradRel = Math.max(maxErr.gradRel, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-3));
    }
  });
}
