import { ConfigError } from '../../errors.js';
import type { NeuronModule } from '../base.js';
import type { NirExportContext, NirImportContext, NirMapping, NirNeuronNode } from '../entry.js';
import { LIF } from './model.js';

/*
 * LIF (snnTorch Leaky) ↔ NIR LIF, in the Euler convention of
 * docs/equations.md §3 with dt in the graph's metadata:
 *   β, θ, zero reset → LIF τ = dt/(1 − β), r = 1/(1 − β), v_leak = v_reset = 0   (β = 1: IF r = 1/dt)
 * Leaky's delayed zero reset zeroes the previous membrane before the leak,
 * which gives the same spikes as NIR's same-step reset; an import uses the
 * textbook same-step rule (sameStepReset: 'textbook'), NIR's own. Reset by
 * subtraction and "no reset" have no NIR node (refused unless approximated).
 */

/** Relative tolerance for "gain is 1": float32 parameters round-trip to within a few ulps. */
export const UNIT_GAIN_TOL = 1e-6;
export const near1 = (x: number): boolean => Math.abs(x - 1) <= UNIT_GAIN_TOL;
/** A per-layer number when every neuron shares it, else the per-neuron list. */
export const compact = (a: ArrayLike<number>): number | number[] => (Array.from(a).every((x) => x === a[0]) ? a[0]! : Array.from(a));
export const clamp01 = (b: number): number => Math.min(1, Math.max(0, b));

export function resetWhat(reset: string): string {
  return reset === 'subtract' ? 'reset by subtraction' : 'no reset';
}

/**
 * A layer that fires at v ≥ θ (fireAtThreshold) against NIR's v > v_threshold: written,
 * as the two differ only on exact ties, and recorded as an approximation.
 */
export function firingMetadata(fireAtThreshold: boolean, ctx: NirExportContext): Record<string, string> {
  if (!fireAtThreshold) return {};
  return ctx.approximate(
    'approximated_firing',
    'fires at v >= v_threshold (fire_at_threshold); NIR simulators fire at v > v_threshold, so spikes differ where v lands exactly on the threshold (fire_at_threshold: false exports exactly)',
  );
}

export const lifNir: NirMapping = {
  toNir(layer: NeuronModule, ctx: NirExportContext): NirNeuronNode {
    const n = layer as LIF;
    const o = n.opts;
    const md = { ...ctx.reset(o.reset === 'zero', resetWhat(o.reset)), ...firingMetadata(o.fireAtThreshold, ctx) };
    const beta = ctx.perNeuron(n.getParameter('beta')?.toArray().map(clamp01) ?? o.beta, 'beta');
    const theta = ctx.perNeuron(n.getParameter('threshold')?.toArray() ?? o.threshold, 'threshold');
    const fill = (x: number): Float64Array => new Float64Array(ctx.features).fill(x);
    md['spikeflow_layer'] = n.kind;
    if (beta.every((b) => b === 1)) return { type: 'IF', fields: { r: fill(1 / ctx.dt), v_threshold: theta, v_reset: fill(0) }, metadata: md };
    if (beta.some((b) => b >= 1)) throw new ConfigError(`${ctx.where}: β = 1 on some neurons only (an infinite time constant) cannot be written`);
    return {
      type: 'LIF',
      fields: { tau: beta.map((b) => ctx.dt / (1 - b)), r: beta.map((b) => 1 / (1 - b)), v_leak: fill(0), v_threshold: theta, v_reset: fill(0) },
      metadata: md,
    };
  },
  nodeTypes: ['LIF'],
  /** A NIR LIF with zero leak and reset potentials and unit input gain r·dt/τ is this model with β = 1 − dt/τ and a same-step zero reset. */
  fromNir(_type: string, ctx: NirImportContext) {
    const dt = ctx.dt;
    const tau = ctx.field('tau');
    if (!ctx.field('v_leak').every((x) => x === 0) || !ctx.field('v_reset').every((x) => x === 0) || !ctx.field('r').every((r, i) => near1((r * dt) / tau[i]!))) return null;
    const o = { beta: compact(tau.map((t) => 1 - dt / t)), threshold: compact(ctx.field('v_threshold')), reset: 'zero' as const, resetDelay: false, sameStepReset: 'textbook' as const };
    return { layer: new LIF(ctx.features, o), config: { type: 'lif', beta: o.beta, threshold: o.threshold, reset: 'zero', reset_delay: false, same_step_reset: 'textbook' }, how: 'LIF (β = 1 − dt/τ, same-step reset to 0)' };
  },
};
