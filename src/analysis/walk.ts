import { Residual, Sequential } from '../nn/containers.js';
import type { Module, OpCost } from '../module/module.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Called once per leaf layer as the model runs: its dotted path ('3',
 * '2.body.0', '2.add'), kind, module (null for a residual block's synthetic
 * 'Add'), inputs and output.
 */
export type LayerVisitor = (path: string, kind: string, module: Module | null, inputs: Tensor[], out: Tensor, cost?: () => OpCost) => void;

/**
 * Run a model layer by layer — the same computation as `model.forward(x)` —
 * calling `visit` after each leaf layer. Nested Sequentials are flattened; a
 * Residual is expanded into its body, its shortcut and an 'Add' row. The one
 * walk shared by the spike monitor and the recorder, so both see the same
 * layers under the same paths. A layer with `forwardParts` (attention
 * blocks) is expanded into its parts: children under their names, and its
 * parameter-free products as rows without a module, with measured costs.
 */
export function forwardLayerByLayer(model: Module, x: Tensor, visit: LayerVisitor): Tensor {
  return run(model, x, '', visit);
}

function run(m: Module, x: Tensor, path: string, visit: LayerVisitor): Tensor {
  if (m instanceof Sequential) {
    let h = x;
    m.layers.forEach((l, i) => {
      h = run(l, h, path ? `${path}.${i}` : String(i), visit);
    });
    return h;
  }
  if (m instanceof Residual) {
    const p = path ? `${path}.` : '';
    const y = run(m.body, x, `${p}body`, visit);
    const s = m.shortcut ? run(m.shortcut, x, `${p}shortcut`, visit) : x;
    const out = add(y, s);
    visit(`${p}add`, 'Add', null, [y, s], out);
    return out;
  }
  if (m.forwardParts) {
    // A composite layer: its children become rows of their own, its ops synthetic rows with measured costs.
    const p = path ? `${path}.` : '';
    return m.forwardParts(x, {
      sub: (name, c, h) => run(c, h, `${p}${name}`, visit),
      op: (name, kind, inputs, out, cost) => visit(`${p}${name}`, kind, null, inputs, out, cost),
    });
  }
  const out = m.forward(x);
  visit(path === '' ? '0' : path, m.kind, m, [x], out);
  return out;
}
