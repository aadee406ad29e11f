import type { NeuronModule } from '../base.js';
import { cfrMetadata } from '../cfr/nir.js';
import type { NirExportContext, NirImportContext, NirMapping, NirNeuronNode } from '../entry.js';
import { compact, near1 } from '../lif/nir.js';
import { IF } from './model.js';

/** IF ↔ NIR IF (r = 1/dt, hard reset to v_reset; docs/equations.md §3). */
export const ifNir: NirMapping = {
  toNir(layer: NeuronModule, ctx: NirExportContext): NirNeuronNode {
    const n = layer as IF;
    const md = cfrMetadata(n, ctx);
    const fill = (x: number): Float64Array => new Float64Array(ctx.features).fill(x);
    return { type: 'IF', fields: { r: fill(1 / ctx.dt), v_threshold: ctx.perNeuron(n.cfr.threshold, 'threshold'), v_reset: fill(n.cfr.vReset) }, metadata: md };
  },
  nodeTypes: ['IF'],
  /** A NIR IF with v_reset = 0 and unit gain r·dt is this model with a hard reset to 0, firing at v > v_threshold as NIR simulators do. */
  fromNir(_type: string, ctx: NirImportContext) {
    if (!ctx.field('v_reset').every((x) => x === 0) || !ctx.field('r').every((r) => near1(r * ctx.dt))) return null;
    const o = { threshold: compact(ctx.field('v_threshold')), reset: 'zero' as const, fireAtThreshold: false };
    return {
      layer: new IF(ctx.features, o),
      config: { type: 'if', threshold: o.threshold, reset: 'zero', fire_at_threshold: false },
      how: 'IF (hard reset to 0, spikes at v > v_threshold)',
    };
  },
};
