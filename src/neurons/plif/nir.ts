import type { NeuronModule } from '../base.js';
import { cfrLifNode } from '../cfr/nir.js';
import type { NirExportContext, NirMapping } from '../entry.js';
import { PLIF } from './model.js';

/** PLIF → NIR LIF with its learned τ = 1 + e^(−w) in steps, times dt (see cfr/nir.ts). */
export const plifNir: NirMapping = {
  toNir(layer: NeuronModule, ctx: NirExportContext) {
    const n = layer as PLIF;
    const tauSteps = ctx.perNeuron(n.getParameter('w')!.toArray().map((w) => 1 + Math.exp(-w)), 'w');
    return cfrLifNode(n, tauSteps, n.decayInput, ctx);
  },
};
