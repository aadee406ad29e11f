import type { Node, Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';

let gradDepth = 0;

/** Run fn without recording (inference, optimizer updates, metrics). */
export function noGrad<T>(fn: () => T): T {
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}

export function isGradEnabled(): boolean {
  return gradDepth === 0;
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (gradDepth !== 0) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Record an op whose outputs are already computed. Does nothing unless some
 * input requires a gradient, so ops can call it unconditionally.
 */
export function record(name: string, inputs: (Tensor | null)[], outputs: Tensor[], backward: NonNullable<Node['backward']>): void {
  if (!needsGrad(...inputs)) return;
  const node: Node = { name, inputs, outputs, backward };
  outputs.forEach((o, i) => {
    o.requiresGrad = true;
    o.node = node;
    o.outputIndex = i;
  });
}

function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Iterative DFS: long unrolled-in-time graphs (streaming steps) would overflow recursion.
  const stack: [Node, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const inp = node.inputs[i];
      const child = inp?.node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

function addGrads(a: Tensor, b: Tensor): Tensor {
  const out = a.backend.alloc(a.size);
  a.backend.add(a.storage, b.storage, out);
  return new (a.constructor as typeof Tensor)(out, a.shape, { backend: a.backend });
}

/**
 * Reverse-mode sweep from `root`. Leaves that require a gradient get it added to
 * `.grad` (so calling backward twice accumulates, as in PyTorch). The graph is
 * released afterwards.
 */
export function backward(root: Tensor, gradRoot?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): tensor does not require grad (no parameter or input reached it)');
  let seed = gradRoot;
  if (!seed) {
    if (root.size !== 1) throw new ShapeError(`backward(): implicit gradient needs a scalar, got shape ${fmtShape(root.shape)}`);
    const s = root.backend.alloc(1);
    root.backend.fill(s, 1);
    seed = new (root.constructor as typeof Tensor)(s, root.shape, { backend: root.backend });
  } else if (seed.size !== root.size) {
    throw new ShapeError(`backward(): gradient shape ${fmtShape(seed.shape)} does not match ${fmtShape(root.shape)}`);
  }
  if (!root.node) {
    root.grad = root.grad ? addGrads(root.grad, seed) : seed;
    return;
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed);
  const order = topoOrder(root.node);
  const leafGrads = new Map<Tensor, Tensor>();
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const gOut = node.outputs.map((o) => grads.get(o) ?? null);
    for (const o of node.outputs) grads.delete(o);
    if (gOut.every((g) => g === null)) continue;
    if (!node.backward) throw new Error(`backward(): the graph through '${node.name}' was already released; call backward once per forward`);
    const gIn = node.backward(gOut);
    node.backward = null;
    node.inputs.forEach((inp, i) => {
      const g = gIn[i];
      if (!inp || !g || !inp.requiresGrad) return;
      if (g.size !== inp.size) throw new ShapeError(`backward of '${node.name}': gradient ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(inp.shape)}`);
      const target = inp.node ? grads : leafGrads;
      const prev = target.get(inp);
      target.set(inp, prev ? addGrads(prev, g) : g);
    });
  }
  // Leaf gradients are stored as fresh tensors so in-place updates (clipping) never hit a shared buffer.
  const seen = new Set<unknown>();
  for (const [leaf, g0] of leafGrads) {
    let g = g0;
    if (seen.has(g.storage)) g = g.clone();
    seen.add(g.storage);
    const shaped = g.shape.length === leaf.shape.length && g.shape.every((d, i) => d === leaf.shape[i]) ? g : g.view(leaf.shape);
    leaf.grad = leaf.grad ? addGrads(leaf.grad, shaped) : shaped;
  }
}
