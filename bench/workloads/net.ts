import type { Backend } from '../../src/backend/backend.js';
import type { Storage } from '../../src/backend/storage.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import type { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { isNeuron, type NeuronModule } from '../../src/neurons/base.js';
import { rateEncode } from '../../src/encoding/rate.js';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { tensor, toBackend } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/*
 * The benchmark network and its inputs, shared by workloads b, c and f and
 * mirrored by bench/reference/torch_lif.py: 784-1000-10, snnTorch Leaky
 * (β = 0.95, θ = 1, delayed subtract reset, fast sigmoid slope 25).
 * Models are built on the current default backend (call inside withBackend).
 */

export const T = 25;
export const BATCH = 128;
/** The batch of b, c, d and e at the reduced sizes (a software GPU adapter, BenchContext.reduced). */
export const REDUCED_BATCH = 1;
export const SIZES = [784, 1000, 10] as const;
export const INPUT_DENSITY = 0.15;
export const LR = 5e-4;

export const LEAKY: Omit<LayerConfig, 'type'> = {
  beta: 0.95,
  threshold: 1,
  reset: 'subtract',
  reset_delay: true,
  detach_reset: true,
  surrogate: { name: 'fastSigmoid', slope: 25 },
};

/** Flops per element of the LIF scans (delayed subtract reset, fast sigmoid), as counted throughout the suite. */
export const LIF_FWD_FLOPS = 4; // β·v, + x, − θ·R (select), compare with θ
export const LIF_BWD_FLOPS = 10; // z = h − θ, |z|, k·|z|, +1, square, divide, dS·g, + carry, β·dh, compare for R
/** Bytes per element: x read, h write, spike write (float32) + mask write (u8); v[t−1] is the row just written (in cache). */
export const LIF_FWD_BYTES = 13;
/** h, gSpikes read, dx write (float32), mask read (u8); the carry row stays in cache. */
export const LIF_BWD_BYTES = 13;
/** Adam per parameter: m, v updates (5), bias-corrected step (sqrt, scale, + eps, divide, scale, subtract: 7). */
export const ADAM_FLOPS = 12;
/** p, g, m, v read + p, m, v written (float32). */
export const ADAM_BYTES = 28;

export interface Mlp {
  model: Sequential;
  linears: Linear[];
  neurons: NeuronModule[];
}

export function buildMlp(seed = 1): Mlp {
  const layers: LayerConfig[] = [
    { type: 'linear', out: SIZES[1] },
    { type: 'lif', ...LEAKY },
    { type: 'linear', out: SIZES[2] },
    { type: 'lif', ...LEAKY },
  ];
  const { model } = buildModel(layers, { inputShape: [SIZES[0]], steps: T, timeConstantInput: false, rng: new Rng(seed) });
  const linears = model.layers.filter((m): m is Linear => m instanceof Linear);
  const neurons = model.layers.filter(isNeuron);
  return { model, linears, neurons };
}

/**
 * Bernoulli rate-coded spikes [steps, batch, features] whose expected density
 * is `density`: intensities uniform in [0, 2·density] (mean = density), as a
 * rate encoder turns a batch of images into spike probabilities. Rate coding
 * reads its input's numbers on the host, so for a backend without
 * synchronous reads (webgpu) the spikes are drawn on the ts backend and
 * copied over: the same spikes as every other backend gets.
 */
export function rateInput(backend: Backend, steps: number, batch: number, features: number, density: number, seed = 7): Tensor {
  const host = backend.syncRead ? backend : createTsBackend('float32');
  const rng = new Rng(seed);
  const v = new Float64Array(batch * features);
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0, 2 * density);
  const x = tensor(v, [batch, features], { backend: host });
  const spikes = rateEncode(x, steps, rng);
  return host === backend ? spikes : toBackend(spikes, backend);
}

export function labels(batch: number, classes: number, seed = 3): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: batch }, () => rng.int(classes));
}

export function paramCount(model: Sequential): number {
  return model.parameters().reduce((s, p) => s + p.size, 0);
}

/** Fraction of nonzero entries. */
export function density(t: Tensor): number {
  return t.backend.countNonzero(t.storage) / t.size;
}

/**
 * `density` on any backend: counted on the device (reduceInto) and the one
 * number read back, where the backend cannot count synchronously (webgpu).
 */
export async function densityOf(t: Tensor): Promise<number> {
  return storageDensity(t.backend, t.storage, t.size);
}

/** densityOf for the first n elements of a storage. */
export async function storageDensity(be: Backend, s: Storage, n: number): Promise<number> {
  if (be.syncRead) return be.countNonzero(s) / n;
  const out = be.alloc(1);
  be.reduceInto('countNonzero', s, out, 0, 1 / n);
  return (await be.read(out))[0]!;
}

/** One linear forward over M rows: event-driven adds nnz·N, else 2·M·N·K; plus the bias M·N. */
export function linearForwardFlops(M: number, N: number, K: number, eventDriven: boolean, inDensity: number): number {
  return (eventDriven ? inDensity * M * K * N : 2 * M * N * K) + M * N;
}

/** Weight and bias gradient of one linear (event-driven: nnz·N adds + the K·N transpose-add), db = M·N. */
export function linearGradWFlops(M: number, N: number, K: number, eventDriven: boolean, inDensity: number): number {
  return (eventDriven ? inDensity * M * K * N + K * N : 2 * M * N * K) + M * N;
}
