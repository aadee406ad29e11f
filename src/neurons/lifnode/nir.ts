import type { NeuronModule } from '../base.js';
import { cfrLifNode } from '../cfr/nir.js';
import type { NirExportContext, NirMapping } from '../entry.js';
import { LIFNode } from './model.js';

/** LIFNode → NIR LIF with τ = τ_steps·dt (see cfr/nir.ts); imports of NIR LIF nodes go to LIF or the NIR neuron. */
export const lifNodeNir: NirMapping = {
  toNir(layer: NeuronModule, ctx: NirExportContext) {
    const n = layer as LIFNode;
    return cfrLifNode(n, new Float64Array(ctx.features).fill(n.tau), n.decayInput, ctx);
  },
};
