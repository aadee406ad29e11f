import { noGrad } from '../../src/autograd/tape.js';
import { ResetMode, SurrogateId, type LifBackwardIO, type LifConfig, type LifForwardIO } from '../../src/backend/kernels/neuron.js';
import { Rng } from '../../src/tensor/rng.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult } from '../lib/types.js';
import { mlpBatch } from './mlp.js';
import { buildMlp, INPUT_DENSITY, LIF_BWD_BYTES, LIF_BWD_FLOPS, LIF_FWD_BYTES, LIF_FWD_FLOPS, rateInput, SIZES, storageDensity, T } from './net.js';
import { runLifBackward, runLifForward } from '../../src/neurons/lif/scan.js';

/*
 * The memory-bound part of (b): the hidden layer's LIF scan over [T=25, B·1000]
 * alone, forward and BPTT backward kernels called on the backend directly. Its
 * input is the real layer-1 current of the benchmark net, so the spike pattern
 * (and the branches it drives) is the one the training step sees. The
 * batch is (b)'s (the case ids name it).
 */

export async function runLifScan(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const { B: BATCH } = mlpBatch(ctx);
  const net = buildMlp();
  const spikesIn = rateInput(be, T, BATCH, SIZES[0], INPUT_DENSITY);
  const current = noGrad(() => net.linears[0]!.forward(spikesIn));
  const F = SIZES[1], N = BATCH * F, E = T * N;
  const cfg: LifConfig = {
    T, B: BATCH, F,
    resetMode: ResetMode.subtract,
    delayedReset: true,
    detachReset: true,
    inputLeak: false,
    vReset: 0,
    betaPerNeuron: false,
    thresholdPerNeuron: false,
    recPerNeuron: false,
    surrogate: { id: SurrogateId.fastSigmoid, p0: 25, p1: 0, smooth: false },
  };
  const fio: LifForwardIO = {
    x: current.storage,
    v0: be.alloc(N),
    s0: null,
    beta: be.fromArray([0.95]),
    threshold: be.fromArray([1]),
    recV: null,
    recW: null,
    spikes: be.alloc(E),
    mask: new Uint8Array(E),
    h: be.alloc(E),
    v: null,
    rec: null,
  };
  const out: CaseResult[] = [];
  const tf = reps(ctx, 'light');
  const sf = await measureOn(ctx, () => runLifForward(be, cfg, fio), tf);
  const spikeDensity = await storageDensity(be, fio.spikes, E);
  out.push(
    makeResult(
      ctx,
      { workload: 'b', case: `lif-scan-fwd-${T}x${BATCH}x${F}`, title: 'LIF forward kernel (hidden layer)', samplesPerIter: BATCH, timing: tf, extra: { spikeDensity: +spikeDensity.toFixed(4) } },
      sf,
      { flops: LIF_FWD_FLOPS * E, denseFlops: LIF_FWD_FLOPS * E, bytes: LIF_FWD_BYTES * E, note: `${LIF_FWD_FLOPS} flops, ${LIF_FWD_BYTES} bytes per element` },
    ),
  );
  const rng = new Rng(5);
  const g = new Float32Array(E);
  for (let i = 0; i < E; i++) g[i] = rng.uniform(-1e-3, 1e-3);
  const bio: LifBackwardIO = {
    ...fio,
    gSpikes: be.fromArray(g),
    gMem: null,
    dx: be.alloc(E),
    dv0: null,
    ds0: null,
    dBeta: null,
    dThreshold: null,
    dRecV: null,
    dRecW: null,
  };
  const tb = reps(ctx, 'light');
  const sb = await measureOn(ctx, () => runLifBackward(be, cfg, bio), tb);
  out.push(
    makeResult(
      ctx,
      { workload: 'b', case: `lif-scan-bwd-${T}x${BATCH}x${F}`, title: 'LIF BPTT backward kernel (hidden layer)', samplesPerIter: BATCH, timing: tb },
      sb,
      { flops: LIF_BWD_FLOPS * E, denseFlops: LIF_BWD_FLOPS * E, bytes: LIF_BWD_BYTES * E, note: `${LIF_BWD_FLOPS} flops, ${LIF_BWD_BYTES} bytes per element` },
    ),
  );
  return out;
}
