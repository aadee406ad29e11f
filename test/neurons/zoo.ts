import { Rng } from '../../src/tensor/rng.js';
import type { ScanNeuron, StateDict } from '../../src/neurons/scan-neuron.js';
import { createNeuron } from '../../src/neurons/factory.js';

/** Neuron configurations exercised by the gradient and streaming tests (F = 3 features). */
export interface ZooEntry {
  label: string;
  type: string;
  options: Record<string, unknown>;
  /** Typical input scale (Izhikevich works in mV and pA-like currents). */
  inputScale: number;
  inputOffset: number;
  /** Surrogate of the smooth gradcheck forward (default sigmoid, slope 4); models in mV need a flatter one. */
  smoothSurrogate?: Record<string, unknown>;
  /** Weight of the membrane term in the gradcheck loss (default 0.5; small for models in mV). */
  membraneScale?: number;
}

export const F = 3;

export const ZOO: ZooEntry[] = [
  { label: 'LIF subtract delayed', type: 'lif', options: { learnBeta: true, learnThreshold: true, beta: [0.8, 0.9, 0.7] }, inputScale: 1, inputOffset: 0.3 },
  { label: 'LIF zero delayed', type: 'lif', options: { reset: 'zero', learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'LIF none', type: 'lif', options: { reset: 'none', learnBeta: true, threshold: [1, 1.2, 0.8], learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'LIF subtract same-step', type: 'lif', options: { resetDelay: false, learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'LIF zero same-step', type: 'lif', options: { reset: 'zero', resetDelay: false, learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  // snnTorch's same-step form (the default above) driven past 2θ, where R of the previous membrane is 1.
  { label: 'LIF subtract same-step past 2θ', type: 'lif', options: { resetDelay: false, learnBeta: true, learnThreshold: true, beta: [0.9, 0.8, 0.95] }, inputScale: 1.5, inputOffset: 1.2 },
  { label: 'LIF subtract same-step textbook', type: 'lif', options: { resetDelay: false, sameStepReset: 'textbook', learnBeta: true, learnThreshold: true }, inputScale: 1.5, inputOffset: 1.2 },
  { label: 'LIF zero same-step textbook', type: 'lif', options: { reset: 'zero', resetDelay: false, sameStepReset: 'textbook', learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'RLeaky one-to-one subtract', type: 'rleaky', options: { allToAll: false, V: [0.5, -0.3, 0.2], learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'RLeaky one-to-one subtract same-step', type: 'rleaky', options: { allToAll: false, resetDelay: false, V: [0.5, -0.3, 0.2], learnBeta: true, learnThreshold: true }, inputScale: 1.5, inputOffset: 1 },
  // Delayed zero reset zeroes exactly the steps where V·s[t-1] arrives (s[t-1] = R[t]), so V gets no gradient: keep it fixed.
  { label: 'RLeaky one-to-one zero', type: 'rleaky', options: { allToAll: false, reset: 'zero', learnBeta: true, learnRecurrent: false }, inputScale: 1, inputOffset: 0.3 },
  { label: 'RLeaky all-to-all subtract', type: 'rleaky', options: { learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.3 },
  { label: 'RLeaky all-to-all zero same-step', type: 'rleaky', options: { reset: 'zero', resetDelay: false }, inputScale: 1, inputOffset: 0.3 },
  { label: 'Synaptic subtract', type: 'synaptic', options: { learnAlpha: true, learnBeta: true, learnThreshold: true, alpha: 0.7 }, inputScale: 0.6, inputOffset: 0.1 },
  { label: 'Synaptic subtract same-step', type: 'synaptic', options: { resetDelay: false, learnAlpha: true, learnBeta: true, learnThreshold: true, alpha: 0.7 }, inputScale: 1, inputOffset: 0.5 },
  { label: 'Synaptic zero', type: 'cubalif', options: { reset: 'zero', learnAlpha: true, learnBeta: true, alpha: [0.5, 0.7, 0.8] }, inputScale: 0.6, inputOffset: 0.1 },
  { label: 'Alpha zero', type: 'alpha', options: { learnThreshold: true, threshold: 0.5 }, inputScale: 1, inputOffset: 0.3 },
  { label: 'ALIF subtract', type: 'alif', options: { learnBeta: true, learnThreshold: true, tauA: 5, betaA: 0.5 }, inputScale: 1, inputOffset: 0.4 },
  { label: 'ALIF zero', type: 'alif', options: { reset: 'zero', learnBeta: true, learnThreshold: true, tauA: 5, betaA: 0.5 }, inputScale: 1, inputOffset: 0.4 },
  { label: 'IF hard', type: 'if', options: { vReset: -0.2 }, inputScale: 0.8, inputOffset: 0.2 },
  { label: 'IF soft', type: 'if', options: { reset: 'soft' }, inputScale: 0.8, inputOffset: 0.2 },
  { label: 'LIFNode decayInput', type: 'sjlif', options: { tau: 2, vReset: 0.1 }, inputScale: 2, inputOffset: 0.6 },
  { label: 'LIFNode no decayInput', type: 'sjlif', options: { tau: 3, decayInput: false, reset: 'subtract' }, inputScale: 1, inputOffset: 0.3 },
  { label: 'PLIF per neuron', type: 'plif', options: { perNeuron: true, initTau: 2.5 }, inputScale: 2, inputOffset: 0.6 },
  { label: 'Izhikevich', type: 'izhikevich', options: {}, inputScale: 4, inputOffset: 8, smoothSurrogate: { name: 'sigmoid', slope: 0.5 }, membraneScale: 0.01 },
  // Multi-level spikes: normalized c/D needs c = D (s = 1) and count mode c = 1 somewhere in the window.
  { label: 'MultiLevel normalized soft', type: 'multilevel', options: { levels: 2, threshold: 0.5, beta: [0.5, 0.7, 0.3], learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.4 },
  { label: 'MultiLevel count soft', type: 'multilevel', options: { levels: 4, output: 'count', threshold: [0.5, 0.4, 0.6], learnThreshold: true }, inputScale: 1, inputOffset: 0.5 },
  // AdEx in mV and pA: currents of a few nA make it fire within the test window; V_peak at V_T + 5Δ_T keeps the smooth forward's upswing mild.
  { label: 'AdEx detached', type: 'adex', options: { vPeak: -40, a: [4, 2, 8], learnA: true, learnB: true }, inputScale: 1500, inputOffset: 4000, smoothSurrogate: { name: 'sigmoid', slope: 0.5 }, membraneScale: 0.01 },
  { label: 'AdEx attached', type: 'adex', options: { detachReset: false, vPeak: -40, dt: 0.5, b: [80.5, 40, 120], learnB: true }, inputScale: 1500, inputOffset: 5000, smoothSurrogate: { name: 'sigmoid', slope: 0.5 }, membraneScale: 0.01 },
  { label: 'AdEx Vpeak 20', type: 'adex', options: { learnA: true }, inputScale: 1500, inputOffset: 4000, smoothSurrogate: { name: 'sigmoid', slope: 0.5 }, membraneScale: 0.01 },
  { label: 'MultiLevel normalized hard', type: 'multilevel', options: { levels: 3, reset: 'hard', threshold: 0.4, learnBeta: true, learnThreshold: true }, inputScale: 1, inputOffset: 0.5 },
  // The fused kernel's other paths (the smooth modes above replace the surrogate and attach the reset):
  // D = 1 (binary) with an attached hard reset to a non-zero v_reset under a sigmoid surrogate;
  { label: 'MultiLevel D1 hard attached', type: 'multilevel', options: { levels: 1, reset: 'hard', vReset: -0.1, detachReset: false, beta: [0.6, 0.5, 0.8], learnThreshold: true, surrogate: { name: 'sigmoid', slope: 4 } }, inputScale: 1, inputOffset: 0.4 },
  // counts with a hard reset, β and θ per neuron and learned, the triangle surrogate;
  { label: 'MultiLevel count hard per neuron', type: 'multilevel', options: { levels: 4, output: 'count', reset: 'hard', beta: [0.5, 0.6, 0.4], threshold: [0.3, 0.25, 0.35], learnBeta: true, learnThreshold: true, surrogate: { name: 'triangle', height: 1, width: 0.8 } }, inputScale: 1, inputOffset: 0.6 },
  // the soft reset in the graph under erf, learned per-layer β and θ;
  { label: 'MultiLevel soft attached', type: 'multilevel', options: { levels: 4, detachReset: false, beta: 0.7, threshold: 0.3, learnBeta: true, learnThreshold: true, surrogate: { name: 'erf', alpha: 2 } }, inputScale: 1, inputOffset: 0.7 },
  // QSD-Transformer's setting: D = 4, θ = 0.25, β = 0.5 fixed, soft detached reset, rectangle, normalized.
  { label: 'MultiLevel QSD', type: 'multilevel', options: { levels: 4, threshold: 0.25 }, inputScale: 0.6, inputOffset: 0.5 },
];

export function build(e: ZooEntry, extra: Record<string, unknown> = {}): ScanNeuron<StateDict> {
  return createNeuron(e.type, { ...e.options, ...extra }, F, new Rng(7)) as unknown as ScanNeuron<StateDict>;
}
