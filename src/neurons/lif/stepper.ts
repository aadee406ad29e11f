import type { Backend } from '../../backend/backend.js';
import type { LifConfig, LifForwardIO } from '../../backend/kernels/neuron.js';
import type { Storage } from '../../backend/storage.js';
import { ShapeError } from '../../errors.js';
import { sameStepTrace } from '../../ops/neuron.js';
import { paramStride, type NeuronStepper } from '../step/stepper.js';
import { runLifForward, type LifSettings } from './scan.js';

/** The LIF family's parameters as storages on the stepper's backend (copies: a compiled step does not follow later training). */
export interface LifStepperParams {
  beta: Storage;
  threshold: Storage;
  recV: Storage | null;
  recW: Storage | null;
}

/**
 * The LIF family (Leaky, IF, LIFNode, PLIF, RLeaky) compiled for streaming:
 * each step is one call of the family's scan kernel with T = 1 — the
 * backend's fused kernel where it has one (native, wasm), else the reference
 * in ./kernel.ts — on storages allocated here once. The membrane alternates
 * between two buffers (the kernel reads v[t−1] and writes the new trace, which
 * must not alias), so a step moves no state; a recurrent layer copies its
 * spikes into its own previous-spike buffer (the caller owns the output).
 */
export function lifStepper(be: Backend, where: string, settings: LifSettings, p: LifStepperParams, B: number, F: number, initialV: Storage): NeuronStepper {
  const N = B * F;
  if (initialV.length !== N) throw new ShapeError(`${where}: initial membrane has ${initialV.length} values, expected ${N}`);
  const recurrent = p.recV !== null || p.recW !== null;
  if (p.recW && p.recW.length !== F * F) throw new ShapeError(`${where}: W_rec has ${p.recW.length} values, expected ${F}×${F}`);
  const cfg: LifConfig = {
    ...settings,
    T: 1,
    B,
    F,
    betaPerNeuron: paramStride(where, 'beta', p.beta, F) === 1,
    thresholdPerNeuron: paramStride(where, 'threshold', p.threshold, F) === 1,
    recPerNeuron: p.recV !== null && paramStride(where, 'V', p.recV, F) === 1,
  };
  const sameStep = sameStepTrace(settings);
  const init = be.alloc(N);
  be.copy(initialV, 0, init, 0, N);
  // state: the membrane the next step starts from; spare: where the step writes the new one.
  let state = be.alloc(N);
  let spare = be.alloc(N);
  be.copy(init, 0, state, 0, N);
  // Under a same-step reset the kernel also writes the pre-reset trace h, which nothing reads afterwards.
  const hScratch = sameStep ? be.alloc(N) : null;
  const prevSpikes = recurrent ? be.alloc(N) : null;
  const rec = p.recW ? be.alloc(N) : null;
  const io: LifForwardIO = {
    x: state, // replaced per step
    v0: state,
    s0: prevSpikes,
    beta: p.beta,
    threshold: p.threshold,
    recV: p.recV,
    recW: p.recW,
    spikes: state, // replaced per step
    mask: new Uint8Array(N),
    h: hScratch ?? spare,
    v: sameStep ? spare : null,
    rec,
  };
  return {
    size: N,
    binary: !settings.surrogate.smooth,
    step(x, spikes) {
      io.x = x;
      io.spikes = spikes;
      io.v0 = state;
      if (sameStep) io.v = spare;
      else io.h = spare;
      runLifForward(be, cfg, io);
      const t = state;
      state = spare;
      spare = t;
      if (prevSpikes) be.copy(spikes, 0, prevSpikes, 0, N);
    },
    // After a step the new membrane (v under a same-step reset, else h) is `state`.
    membrane: () => state,
    reset() {
      be.copy(init, 0, state, 0, N);
      if (prevSpikes) be.fill(prevSpikes, 0);
    },
    storages: () => [init, state, spare, ...(hScratch ? [hScratch] : []), ...(prevSpikes ? [prevSpikes] : []), ...(rec ? [rec] : []), p.beta, p.threshold, ...(p.recV ? [p.recV] : []), ...(p.recW ? [p.recW] : [])],
  };
}
