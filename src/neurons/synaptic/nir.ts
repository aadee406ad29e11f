import { ConfigError } from '../../errors.js';
import type { NeuronModule } from '../base.js';
import type { NirExportContext, NirImportContext, NirMapping, NirNeuronNode } from '../entry.js';
import { clamp01, compact, firingMetadata, near1 } from '../lif/nir.js';
import { Synaptic } from './model.js';

/*
 * Synaptic (current-based LIF) ↔ NIR CubaLIF (docs/equations.md §3):
 *   α, β, θ, zero reset → CubaLIF τ_syn = dt/(1 − α), w_in = 1/(1 − α), τ_mem = dt/(1 − β), r = 1/(1 − β)
 * Synaptic's delayed zero reset zeroes the freshly charged membrane, which
 * NIR cannot express: only the same-step zero reset is exact.
 */
export const synapticNir: NirMapping = {
  toNir(layer: NeuronModule, ctx: NirExportContext): NirNeuronNode {
    const n = layer as Synaptic;
    const o = n.opts;
    const exact = o.reset === 'zero' && !o.resetDelay;
    const md = {
      ...ctx.reset(exact, o.reset === 'subtract' ? 'reset by subtraction' : o.reset === 'none' ? 'no reset' : "Synaptic's delayed zero reset (reset_delay: true)"),
      ...firingMetadata(o.fireAtThreshold, ctx),
    };
    const beta = ctx.perNeuron(n.getParameter('beta')?.toArray().map(clamp01) ?? o.beta, 'beta');
    const theta = ctx.perNeuron(n.getParameter('threshold')?.toArray() ?? o.threshold, 'threshold');
    const alpha = ctx.perNeuron(n.getParameter('alpha')?.toArray().map(clamp01) ?? (n.describe()['alpha'] as number | number[]), 'alpha');
    if (alpha.some((a) => a >= 1) || beta.some((b) => b >= 1)) throw new ConfigError(`${ctx.where}: α = 1 or β = 1 means an infinite time constant, which CubaLIF cannot express`);
    const zeros = new Float64Array(ctx.features);
    md['spikeflow_layer'] = n.kind;
    return {
      type: 'CubaLIF',
      fields: {
        tau_syn: alpha.map((a) => ctx.dt / (1 - a)),
        tau_mem: beta.map((b) => ctx.dt / (1 - b)),
        r: beta.map((b) => 1 / (1 - b)),
        v_leak: zeros,
        v_threshold: theta,
        v_reset: zeros,
        w_in: alpha.map((a) => 1 / (1 - a)),
      },
      metadata: md,
    };
  },
  nodeTypes: ['CubaLIF'],
  fromNir(_type: string, ctx: NirImportContext) {
    const dt = ctx.dt;
    const ts = ctx.field('tau_syn'), tm = ctx.field('tau_mem');
    const exact =
      ctx.field('v_leak').every((x) => x === 0) && ctx.field('v_reset').every((x) => x === 0) &&
      ctx.field('w_in').every((w, i) => near1((w * dt) / ts[i]!)) && ctx.field('r').every((r, i) => near1((r * dt) / tm[i]!));
    if (!exact) return null;
    const o = { alpha: compact(ts.map((t) => 1 - dt / t)), beta: compact(tm.map((t) => 1 - dt / t)), threshold: compact(ctx.field('v_threshold')), reset: 'zero' as const, resetDelay: false, sameStepReset: 'textbook' as const };
    return {
      layer: new Synaptic(ctx.features, o),
      config: { type: 'synaptic', alpha: o.alpha, beta: o.beta, threshold: o.threshold, reset: 'zero', reset_delay: false, same_step_reset: 'textbook' },
      how: 'Synaptic (α = 1 − dt/τ_syn, β = 1 − dt/τ_mem, same-step reset to 0)',
    };
  },
};
