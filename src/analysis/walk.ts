import { Residual, Sequential } from '../nn/containers.js';
import { RepeatTime } from '../nn/repeat-time.js';
import type { Module, OpCost } from '../module/module.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../errors.js';

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
export function forwardLayerByLayer(model: Module, x: Tensor, visit: LayerVisitor, opts: WalkOptions = {}): Tensor {
  const oneStep = opts.oneStep === true;
  if (!opts.layers) return run(model, x, '', visit, oneStep);
  if (!(model instanceof Sequential)) throw new ShapeError(`forwardLayerByLayer: a layer range needs a Sequential model, got ${model.kind}`);
  const [from, to] = opts.layers;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= model.layers.length)) {
    throw new ShapeError(`forwardLayerByLayer: layer range [${from}, ${to}) out of [0, ${model.layers.length}]`);
  }
  let h = x;
  for (let i = from; i < to; i++) h = run(model.layers[i]!, h, String(i), visit, oneStep);
  return h;
}

/**
 * Top-level layers [from, to) of a Sequential: a model run in pieces (the
 * time-constant layers in front of RepeatTime once, the rest one step at a
 * time) keeps the paths of the whole model.
 */
export type LayerRange = readonly [from: number, to: number];

/** How `forwardLayerByLayer` runs a model in pieces. */
export interface WalkOptions {
  /** Only these top-level layers of a Sequential model (default: all). */
  layers?: LayerRange;
  /**
   * The input is one time step [1, B, ...] of a sequence run step by step:
   * RepeatTime passes it through (its row is still visited) instead of
   * repeating it over the whole sequence.
   */
  oneStep?: boolean;
}

function run(m: Module, x: Tensor, path: string, visit: LayerVisitor, oneStep: boolean): Tensor {
  if (m instanceof Sequential) {
    let h = x;
    m.layers.forEach((l, i) => {
      h = run(l, h, path ? `${path}.${i}` : String(i), visit, oneStep);
    });
    return h;
  }
  if (m instanceof Residual) {
    const p = path ? `${path}.` : '';
    const y = run(m.body, x, `${p}body`, visit, oneStep);
    const s = m.shortcut ? run(m.shortcut, x, `${p}shortcut`, visit, oneStep) : x;
    const out = add(y, s);
    visit(`${p}add`, 'Add', null, [y, s], out);
    return out;
  }
  if (m.forwardParts) {
    // A composite layer: its children become rows of their own, its ops synthetic rows with measured costs.
    const p = path ? `${path}.` : '';
    return m.forwardParts(x, {
      sub: (name, c, h) => run(c, h, `${p}${name}`, visit, oneStep),
      op: (name, kind, inputs, out, cost) => visit(`${p}${name}`, kind, null, inputs, out, cost),
    });
  }
  const out = oneStep && m instanceof RepeatTime ? x : m.forward(x);
  visit(path === '' ? '0' : path, m.kind, m, [x], out);
  return out;
}
