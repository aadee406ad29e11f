import type { Backend } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { Module } from '../module/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { NeuronStepper } from './step/stepper.js';

/** What `forwardWithMembrane` returns: spikes and membrane, both `[T, B, ...features]`. */
export interface SpikesAndMembrane {
  spikes: Tensor;
  membrane: Tensor;
}

/**
 * Contract of every spiking neuron layer.
 *
 * - `forward(x)` takes the input current for a whole sequence, time-major
 *   `[T, B, ...features]`, runs the fused multi-step scan (one autograd node for
 *   all T steps) starting from the layer's current state, returns the spikes
 *   `[T, B, ...]` (a tensor flagged `binary`) and leaves the final state in the
 *   layer, so a following call continues the sequence (truncated BPTT).
 * - `step(x)` takes one step `[B, ...]` and returns `[B, ...]` spikes: the
 *   streaming path. A sequence of `step` calls equals one `forward` call,
 *   values and gradients (tests hold them equal).
 * - `resetState()` clears the state to its initial value (zeros unless the
 *   model says otherwise); the next call starts a new sequence.
 * - `detachState()` keeps the state's values but cuts the autograd history
 *   (truncated BPTT chunk boundary).
 * - With `recordMembrane = true` the layer keeps the membrane trace of the last
 *   forward in `lastMembrane` (`[T, B, ...]`, differentiable: membrane losses use it).
 * - `compileStepper(backend, batch)`, where a model has it, is the layer
 *   compiled for streaming inference (src/stream/): its own state in
 *   preallocated storage, one step per call on raw storages, the numbers of
 *   `step()`. The layer's own state is not touched.
 */
export abstract class NeuronModule extends Module {
  recordMembrane = false;
  lastMembrane: Tensor | null = null;

  abstract step(x: Tensor): Tensor;
  abstract detachState(): void;
  compileStepper?(backend: Backend, batch: number): NeuronStepper;

  /**
   * The decay λ of OTTT's presynaptic trace â_t = λ·â_{t−1} + s_t for the
   * spikes of this layer (docs/online-training.md): the per-step decay of
   * its membrane, v_t = λ·v_{t−1} + input before the reset, when that is
   * one number (a learned one at its current value); otherwise a sentence
   * saying why there is none. Models without such a decay keep this default.
   */
  onlineTraceDecay(): number | string {
    return `${this.kind} has no single membrane decay λ (OTTT supports lif, rleaky, if, lifnode and plif with one decay per layer)`;
  }

  /**
   * `forward(x)` that also returns the membrane of every step, as snnTorch's
   * `output=True` returns `(spk, mem)`. The membrane is the layer's own
   * (differentiable, so a loss may use it); `.clone()` it to keep a copy.
   * Does not change `recordMembrane` for later calls.
   */
  forwardWithMembrane(x: Tensor): SpikesAndMembrane {
    const was = this.recordMembrane;
    this.recordMembrane = true;
    try {
      const spikes = this.forward(x);
      const membrane = this.lastMembrane;
      if (!membrane) throw new ShapeError(`${this.kind}: this layer records no membrane`);
      return { spikes, membrane };
    } finally {
      this.recordMembrane = was;
      if (!was) this.lastMembrane = null;
    }
  }
}

export function isNeuron(m: Module): m is NeuronModule {
  return m instanceof NeuronModule;
}
