import { FormatError } from '../../errors.js';
import { assertFinite } from '../../io/finite.js';
import { isGraph, type NirGraph, type NirPrimitive } from './types.js';

/*
 * Semantic checks of a NIR graph's numbers, run before it is imported or
 * simulated (the structural checks are validate.ts). A node with τ = 0
 * divides by zero in the Euler step, τ < 0 grows without bound, and a NaN
 * threshold never fires: such a graph runs and produces garbage, so it is
 * refused with the node and the field named. Weights (Affine, Linear,
 * Conv, Scale) holding NaN or ±Infinity are refused too, unless the caller
 * asks to load them anyway (`allowNonFinite`, --allow-non-finite); neuron
 * parameters have no such escape, since no value of them that is not a
 * finite number has a meaning in the equations (docs/nir.md).
 */

/** Fields that must be finite and > 0: time constants divide dt. */
const POSITIVE: Readonly<Record<string, readonly string[]>> = {
  LI: ['tau'],
  LIF: ['tau'],
  CubaLI: ['tau_syn', 'tau_mem'],
  CubaLIF: ['tau_syn', 'tau_mem'],
};

/** Weight-like fields: finite unless allowNonFinite. */
const WEIGHTS: Readonly<Record<string, readonly string[]>> = {
  Affine: ['weight', 'bias'],
  Linear: ['weight'],
  Conv1d: ['weight', 'bias'],
  Conv2d: ['weight', 'bias'],
  Scale: ['scale'],
};

export interface NirValueOptions {
  /** Accept NaN / ±Infinity in weights, biases and scales (never in neuron parameters). Default false. */
  allowNonFinite?: boolean;
}

/** Check one primitive's numbers; `where` names the file and the node ("net.nir: node 'lif1' (LIF)"). */
export function checkNirNodeValues(node: NirPrimitive, where: string, opts: NirValueOptions = {}): void {
  const positive = POSITIVE[node.type] ?? [];
  const weights = WEIGHTS[node.type] ?? [];
  for (const [name, v] of Object.entries(node.fields)) {
    if (v.kind !== 'array') continue;
    // Integer fields (shape, stride, ...) are checked by validate.ts; Delay values there too.
    if (v.dtype !== 'float32' && v.dtype !== 'float64') continue;
    if (weights.includes(name)) {
      if (!opts.allowNonFinite) assertFinite(v.data, `${where}: field '${name}'`, v.shape);
      continue;
    }
    const d = v.data;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (!Number.isFinite(x)) throw new FormatError(`${where}: field '${name}' holds ${Number.isNaN(x) ? 'NaN' : x} at index ${i}; it must be a finite number`);
      if (positive.includes(name) && !(x > 0)) throw new FormatError(`${where}: field '${name}' holds ${x} at index ${i}; a time constant must be > 0 (the Euler step divides by it)`);
    }
  }
}

/** Check every primitive of a graph tree; `source` names the file. */
export function checkNirValues(graph: NirGraph, source: string, opts: NirValueOptions = {}, prefix = ''): void {
  for (const [name, node] of graph.nodes) {
    const full = prefix + name;
    if (isGraph(node)) checkNirValues(node, source, opts, `${full}.`);
    else checkNirNodeValues(node, `${source}: node '${full}' (${node.type})`, opts);
  }
}
