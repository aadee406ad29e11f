import type { Node, SavedBuffer, Tensor } from '../tensor/tensor.js';
import type { Storage } from '../backend/storage.js';
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
export function record(name: string, inputs: (Tensor | null)[], outputs: Tensor[], backward: NonNullable<Node['backward']>, saved?: readonly SavedBuffer[]): void {
  if (!needsGrad(...inputs)) return;
  const node: Node = saved && saved.length > 0 ? { name, inputs, outputs, backward, saved } : { name, inputs, outputs, backward };
  outputs.forEach((o, i) => {
    o.requiresGrad = true;
    o.node = node;
    o.outputIndex = i;
  });
  accounting?.live.add(node);
}

/*
 * Memory accounting of the tape (off unless started): how many bytes the
 * recorded graph holds for its backward. While on, every recorded node is
 * kept in a set until a backward runs it; at the start of each backward the
 * distinct buffers referenced by the live nodes (inputs, outputs and what
 * they declare as `saved`) are summed. The peak over the backward calls is
 * what training with a memory flat in T is judged by (docs/online-training.md):
 * BPTT holds the whole unrolled sequence at its one backward, SLTT one step's
 * graph at each of its T backwards. Buffers an op keeps in its closure without
 * declaring them are not seen; the ops of the usual layers declare theirs.
 */
interface Accounting {
  live: Set<Node>;
  /** Storages not counted (the parameters: they exist whether or not a graph does). */
  exclude: Set<unknown>;
  backwardCalls: number;
  peakBytes: number;
  lastBytes: number;
}

let accounting: Accounting | null = null;

/** What the accounting saw since it started. */
export interface TapeMemory {
  /** backward() calls seen. */
  backwardCalls: number;
  /** The largest retained-bytes figure at the start of a backward. */
  peakBytes: number;
  /** The figure at the start of the last backward. */
  lastBytes: number;
  /** Nodes recorded and not yet run by a backward (a graph built but never differentiated stays here). */
  liveNodes: number;
}

/**
 * Start (or restart) the tape's memory accounting; nodes recorded before are
 * not seen. `exclude`: tensors whose storage is not counted (pass the model's
 * parameters to count what the graph holds beyond them).
 */
export function startTapeMemory(opts: { exclude?: Iterable<Tensor> } = {}): void {
  const exclude = new Set<unknown>();
  for (const t of opts.exclude ?? []) exclude.add(t.storage);
  accounting = { live: new Set(), exclude, backwardCalls: 0, peakBytes: 0, lastBytes: 0 };
}

/** The accounting's figures so far (zeros when it is off). */
export function tapeMemory(): TapeMemory {
  const a = accounting;
  return a ? { backwardCalls: a.backwardCalls, peakBytes: a.peakBytes, lastBytes: a.lastBytes, liveNodes: a.live.size } : { backwardCalls: 0, peakBytes: 0, lastBytes: 0, liveNodes: 0 };
}

/** Stop accounting (dropping its references to nodes) and return the final figures. */
export function stopTapeMemory(): TapeMemory {
  const m = tapeMemory();
  accounting = null;
  return m;
}

/** Forget the live nodes (a graph abandoned without backward, e.g. at the end of a batch), keeping the figures. */
export function dropLiveNodes(): void {
  accounting?.live.clear();
}

function bufferBytes(b: SavedBuffer | Storage): number {
  if (ArrayBuffer.isView(b)) return b.byteLength;
  const s = b as Storage;
  // CPU storages expose their typed array; a storage without one counts 4 bytes per element.
  try {
    return s.data.byteLength;
  } catch {
    return s.length * 4;
  }
}

/** Bytes of the distinct buffers the given nodes reference (inputs, outputs, saved), those in `exclude` left out. */
export function nodeBytes(nodes: Iterable<Node>, exclude: ReadonlySet<unknown> = new Set()): number {
  const seen = new Set<unknown>(exclude);
  let total = 0;
  const add = (b: SavedBuffer | Storage): void => {
    if (seen.has(b)) return;
    seen.add(b);
    total += bufferBytes(b);
  };
  for (const n of nodes) {
    for (const t of n.inputs) if (t) add(t.storage);
    for (const t of n.outputs) add(t.storage);
    for (const b of n.saved ?? []) add(b);
  }
  return total;
}

function accountBackward(a: Accounting): void {
  const bytes = nodeBytes(a.live, a.exclude);
  a.backwardCalls++;
  a.lastBytes = bytes;
  if (bytes > a.peakBytes) a.peakBytes = bytes;
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
  // add writes every element: no zero fill (Backend.allocUninit where the backend has it).
  const be = a.backend;
  const out = be.allocUninit ? be.allocUninit(a.size) : be.alloc(a.size);
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
  if (accounting) {
    accountBackward(accounting);
    for (const n of order) accounting.live.delete(n);
  }
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
