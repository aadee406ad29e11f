import { BackendError } from '../../errors.js';
import { LIF_SCAN, type LifBackwardIO, type LifConfig, type LifForwardIO, type NeuronKernelTable } from '../kernels/neuron.js';
import { MAX_SURROGATE_ID } from '../kernels/surrogates.generated.js';
import type { Storage } from '../storage.js';
import type { GpuContext } from './context.js';
import { grid1d, MAX_GROUPS } from './kernel.js';
import { lifBackwardSpec, lifForwardSpec, lifParamSumSpec } from './lif-wgsl.js';

/*
 * The fused LIF scan on the GPU (WGSL and the parallelisation: lif-wgsl.ts).
 * Non-recurrent configurations with Heaviside spikes: what training runs.
 * Anything else cannot fall back to the reference kernel (it reads `.data`),
 * so it is refused with a BackendError naming what is missing, rather than
 * returning false into a reference kernel that would fail less clearly.
 * The host-side `mask` is left unwritten: the GPU backward recomputes it.
 */

function refuse(what: string): never {
  throw new BackendError(`webgpu LIF scan: ${what} has no GPU kernel yet; run this model on a CPU backend (--backend wasm, native or ts)`);
}

export function webgpuNeuronKernels(ctx: GpuContext): NeuronKernelTable {
  const buf = (s: Storage, n: number, kernel: string, what: string): GPUBuffer => {
    ctx.need(s, n, kernel, what);
    return ctx.gpu(s, kernel, what).buffer;
  };

  function check(cfg: LifConfig, io: LifForwardIO): void {
    if (io.recV !== null || io.recW !== null) refuse('a recurrent LIF (RLeaky)');
    if (cfg.surrogate.smooth) refuse('the smooth test forward');
  }

  function forward(cfg: LifConfig, io: LifForwardIO): boolean {
    check(cfg, io);
    const { T, B, F } = cfg;
    const N = B * F, TN = T * N;
    if (TN === 0) return true;
    const hasV = io.v !== null;
    const buffers = [
      buf(io.x, TN, 'lifForward', 'x'),
      buf(io.v0, N, 'lifForward', 'v0'),
      buf(io.beta, cfg.betaPerNeuron ? F : 1, 'lifForward', 'beta'),
      buf(io.threshold, cfg.thresholdPerNeuron ? F : 1, 'lifForward', 'threshold'),
      buf(io.spikes, TN, 'lifForward', 'spikes'),
      buf(io.h, TN, 'lifForward', 'h'),
      ...(hasV ? [buf(io.v!, TN, 'lifForward', 'v')] : []),
    ];
    ctx.run(lifForwardSpec(hasV), buffers, common(cfg), grid1d(N));
    return true;
  }

  function backward(cfg: LifConfig, io: LifBackwardIO): boolean {
    check(cfg, io);
    const sid = cfg.surrogate.id;
    if (!Number.isInteger(sid) || sid < 0 || sid > MAX_SURROGATE_ID) throw new BackendError(`webgpu LIF scan: unknown surrogate id ${sid}`);
    const { T, B, F } = cfg;
    const N = B * F, TN = T * N;
    const nB = cfg.betaPerNeuron ? F : 1, nT = cfg.thresholdPerNeuron ? F : 1;
    if (N === 0) return true;
    // Packed [β | θ | v0]: keeps the kernel within 8 storage bindings.
    const pk = ctx.alloc(nB + nT + N, false);
    ctx.copy(buf(io.beta, nB, 'lifBackward', 'beta'), 0, pk.buffer, 0, nB);
    ctx.copy(buf(io.threshold, nT, 'lifBackward', 'threshold'), 0, pk.buffer, nB, nT);
    ctx.copy(buf(io.v0, N, 'lifBackward', 'v0'), 0, pk.buffer, nB + nT, N);
    const part = ctx.alloc(3 * N, false);
    const variant = { hasV: io.v !== null, hasGS: io.gSpikes !== null, hasGM: io.gMem !== null, hasDx: io.dx !== null };
    const buffers = [buf(io.x, TN, 'lifBackward', 'x'), pk.buffer, buf(io.h, TN, 'lifBackward', 'h')];
    if (io.v) buffers.push(buf(io.v, TN, 'lifBackward', 'v'));
    if (io.gSpikes) buffers.push(buf(io.gSpikes, TN, 'lifBackward', 'gSpikes'));
    if (io.gMem) buffers.push(buf(io.gMem, TN, 'lifBackward', 'gMem'));
    if (io.dx) buffers.push(buf(io.dx, TN, 'lifBackward', 'dx'));
    buffers.push(part.buffer);
    const { p0, p1 } = cfg.surrogate;
    if (T > 0) ctx.run(lifBackwardSpec(variant), buffers, [...common(cfg), cfg.detachReset ? 1 : 0, sid, p0, p1, nB, nT], grid1d(N));
    else ctx.clear(part.buffer, 0, 3 * N * 4);
    if (io.dv0) ctx.copy(part.buffer, 2 * N, buf(io.dv0, N, 'lifBackward', 'dv0'), 0, N);
    if (io.dBeta) paramSum(part.buffer, 0, cfg.betaPerNeuron, B, F, buf(io.dBeta, nB, 'lifBackward', 'dBeta'));
    if (io.dThreshold) paramSum(part.buffer, N, cfg.thresholdPerNeuron, B, F, buf(io.dThreshold, nT, 'lifBackward', 'dThreshold'));
    pk.release('a temporary of the LIF backward');
    part.release('a temporary of the LIF backward');
    return true;
  }

  function paramSum(src: GPUBuffer, off: number, perNeuron: boolean, B: number, F: number, out: GPUBuffer): void {
    const outs = perNeuron ? F : 1;
    const groups: [number, number] = outs <= MAX_GROUPS ? [outs, 1] : [MAX_GROUPS, Math.ceil(outs / MAX_GROUPS)];
    ctx.run(lifParamSumSpec, [src, out], [outs, off, perNeuron ? 1 : 0, perNeuron ? F : 1, perNeuron ? B : B * F], groups);
  }

  return { [LIF_SCAN.id]: { forward, backward } } as NeuronKernelTable;
}

function common(cfg: LifConfig): number[] {
  return [
    cfg.T, cfg.B * cfg.F, cfg.F, cfg.resetMode, cfg.delayedReset ? 1 : 0, !cfg.delayedReset && cfg.correctedReset === true && cfg.resetMode !== 0 ? 1 : 0,
    cfg.inputLeak ? 1 : 0, cfg.vReset, cfg.betaPerNeuron ? 1 : 0, cfg.thresholdPerNeuron ? 1 : 0, cfg.fireAtThreshold === true ? 1 : 0,
  ];
}
