import type { NirExportContext, NirNeuronNode } from '../entry.js';
import { firingMetadata } from '../lif/nir.js';
import type { ChargeFireResetNeuron } from './base.js';

/*
 * The charge–fire–reset neurons (IF, LIFNode, PLIF) → NIR, in the Euler
 * convention of docs/equations.md §3: their same-step hard reset is NIR's.
 *   IF (hard reset)               → IF r = 1/dt, v_reset = vReset
 *   LIFNode / PLIF (τ in steps)   → LIF τ = τ_steps·dt, v_leak = v_reset = vReset, r = 1 (decayInput) or τ_steps
 * A non-zero vReset is approximate: spikeflow starts the membrane at vReset, NIR simulators at 0.
 * These models fire at v ≥ θ by default (SpikingJelly), NIR simulators at v > v_threshold:
 * written, and listed among the approximations (firingMetadata); fire_at_threshold: false is exact.
 */

/** The metadata of a charge–fire–reset layer's node (refuses or records inexact resets). */
export function cfrMetadata(n: ChargeFireResetNeuron, ctx: NirExportContext): Record<string, string> {
  const c = n.cfr;
  const md = ctx.reset(c.reset === 'zero', c.reset === 'subtract' ? 'soft reset (subtraction)' : 'no reset');
  if (c.vReset !== 0) Object.assign(md, ctx.reset(false, `vReset = ${c.vReset} (spikeflow starts the membrane at vReset, NIR simulators at 0)`));
  Object.assign(md, firingMetadata(c.fireAtThreshold, ctx));
  md['spikeflow_layer'] = n.kind;
  return md;
}

/** LIFNode and PLIF: a NIR LIF whose τ is the layer's time constant in steps times dt. */
export function cfrLifNode(n: ChargeFireResetNeuron, tauSteps: Float64Array, decayInput: boolean, ctx: NirExportContext): NirNeuronNode {
  const c = n.cfr;
  const md = cfrMetadata(n, ctx);
  const fill = (x: number): Float64Array => new Float64Array(ctx.features).fill(x);
  return {
    type: 'LIF',
    fields: { tau: tauSteps.map((t) => t * ctx.dt), r: decayInput ? fill(1) : tauSteps, v_leak: fill(c.vReset), v_threshold: ctx.perNeuron(c.threshold, 'threshold'), v_reset: fill(c.vReset) },
    metadata: md,
  };
}
