import { ShapeError } from '../../errors.js';
import { isGraph, sizeOfShape, type NirGraph, type NirPrimitive } from './types.js';
import { arrayField, ints, resolvePath } from './validate.js';

/*
 * Graph analysis: nested graphs are flattened into primitive units named by
 * their dotted paths, edges into or out of a nested graph are routed to its
 * Input / Output nodes, every unit gets its input and output shape (without
 * batch), and the units are put in an evaluation order. Edges that close a
 * cycle are marked `delayed`: they deliver the value their source produced on
 * the previous step.
 */

export interface Unit {
  /** Dotted path ("fc1", "G.lif"). */
  name: string;
  node: NirPrimitive;
  /** A top-level Input (fed from outside) or Output (read by the caller). */
  port: 'input' | 'output' | null;
  inShape: number[];
  outShape: number[];
}

export interface Link {
  from: number;
  to: number;
  delayed: boolean;
}

export interface Plan {
  units: Unit[];
  /** Unit indices in evaluation order. */
  order: number[];
  links: Link[];
  inputs: number[];
  outputs: number[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
const eqShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

interface Raw {
  units: Unit[];
  index: Map<string, number>;
  edges: [number, number][];
}

function portOf(graph: NirGraph, prefix: string, type: 'Input' | 'Output', end: string): string {
  const names = [...graph.nodes.entries()].filter(([, n]) => !isGraph(n) && n.type === type).map(([k]) => k);
  if (names.length !== 1)
    throw new ShapeError(`edge ${type === 'Input' ? 'into' : 'out of'} nested graph '${prefix}${end}' is ambiguous: it has ${names.length} ${type} nodes${names.length ? ` (${names.join(', ')}); name one as '${end}.${names[0]}'` : ''}`);
  return `${prefix}${end}.${names[0]}`;
}

/** Follow an endpoint into nested graphs until it names a primitive. */
function endpoint(graph: NirGraph, prefix: string, end: string, role: 'src' | 'dst'): string {
  let path = end;
  for (;;) {
    const n = resolvePath(graph, path);
    if (!n) throw new ShapeError(`edge endpoint '${prefix}${path}' names no node`);
    if (!isGraph(n)) return prefix + path;
    const full = portOf(n, `${prefix}`, role === 'dst' ? 'Input' : 'Output', path);
    path = full.slice(prefix.length);
  }
}

function collect(graph: NirGraph, prefix: string, raw: Raw, top: boolean): void {
  for (const [name, node] of graph.nodes) {
    const full = prefix + name;
    if (isGraph(node)) collect(node, `${full}.`, raw, false);
    else {
      raw.index.set(full, raw.units.length);
      const port = top && node.type === 'Input' ? 'input' : top && node.type === 'Output' ? 'output' : null;
      raw.units.push({ name: full, node, port, inShape: [], outShape: [] });
    }
  }
  for (const [a, b] of graph.edges) {
    const s = endpoint(graph, prefix, a, 'src');
    const d = endpoint(graph, prefix, b, 'dst');
    raw.edges.push([raw.index.get(s)!, raw.index.get(d)!]);
  }
}

/** Shape a unit produces from its input shape (null when only delayed inputs exist so far). */
export function outputShape(u: Unit, inShape: number[] | null): { in: number[]; out: number[] } {
  const n = u.node;
  const where = `node '${u.name}' (${n.type})`;
  const need = (): number[] => {
    if (!inShape) throw new ShapeError(`${where}: cannot infer its input shape (no forward input edge)`);
    return inShape;
  };
  const paramShape = (field: string): { in: number[]; out: number[] } => {
    const s = arrayField(n, field, where).shape;
    if (inShape && sizeOfShape(inShape) !== sizeOfShape(s)) throw new ShapeError(`${where}: input has shape ${fmt(inShape)} but the node's parameters have shape ${fmt(s)}`);
    return { in: inShape ?? [...s], out: [...s] };
  };
  switch (n.type) {
    case 'Input': {
      const s = ints(n, 'shape', where);
      if (inShape && sizeOfShape(inShape) !== sizeOfShape(s)) throw new ShapeError(`${where}: receives shape ${fmt(inShape)} but declares ${fmt(s)}`);
      return { in: s, out: s };
    }
    case 'Output': {
      const s = ints(n, 'shape', where);
      const got = need();
      if (sizeOfShape(got) !== sizeOfShape(s)) throw new ShapeError(`${where}: receives shape ${fmt(got)} but declares ${fmt(s)}`);
      return { in: got, out: s };
    }
    case 'Affine':
    case 'Linear': {
      const w = arrayField(n, 'weight', where).shape;
      const inner = w[1]!;
      if (inShape && inShape[inShape.length - 1] !== inner) throw new ShapeError(`${where}: weight ${fmt(w)} expects ${inner} input features, got input shape ${fmt(inShape)}`);
      const base = inShape ?? [inner];
      return { in: base, out: [...base.slice(0, -1), w[0]!] };
    }
    case 'Scale':
    case 'Delay':
    case 'Threshold':
      return paramShape(n.type === 'Scale' ? 'scale' : n.type === 'Delay' ? 'delay' : 'threshold');
    case 'I':
    case 'IF':
    case 'LI':
    case 'LIF':
    case 'CubaLI':
    case 'CubaLIF':
      return paramShape(n.type === 'CubaLI' || n.type === 'CubaLIF' ? 'tau_mem' : 'r');
    case 'Conv1d':
    case 'Conv2d': {
      const g = convGeometry(n, where, inShape);
      return { in: g.inShape, out: g.outShape };
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const s = need();
      if (s.length !== 3) throw new ShapeError(`${where}: input must be [C, H, W], got ${fmt(s)}`);
      const k = pair(ints(n, 'kernel_size', where)), st = pair(ints(n, 'stride', where)), p = pair(ints(n, 'padding', where));
      const out = [0, 1].map((i) => Math.floor((s[i + 1]! + 2 * p[i]! - k[i]!) / st[i]!) + 1);
      if (out.some((d) => d <= 0)) throw new ShapeError(`${where}: window ${fmt(k)} does not fit input ${fmt(s)}`);
      return { in: s, out: [s[0]!, ...out] };
    }
    case 'Flatten': {
      const s = inShape ?? (n.fields['input_type'] ? ints(n, 'input_type', where) : need());
      const r = s.length;
      let a = ints(n, 'start_dim', where)[0]!, b = ints(n, 'end_dim', where)[0]!;
      if (a < 0) a += r;
      if (b < 0) b += r;
      if (a < 0 || b >= r || a > b) throw new ShapeError(`${where}: start_dim/end_dim do not fit input shape ${fmt(s)}`);
      return { in: s, out: [...s.slice(0, a), sizeOfShape(s.slice(a, b + 1)), ...s.slice(b + 1)] };
    }
  }
}

export const pair = (v: number[]): number[] => (v.length === 1 ? [v[0]!, v[0]!] : v);

export interface ConvGeometry {
  dims: number;
  cin: number;
  cout: number;
  groups: number;
  kernel: number[];
  stride: number[];
  dilation: number[];
  /** Padding before each spatial dim (after = before except 'same' with even kernels). */
  padBefore: number[];
  inShape: number[];
  outShape: number[];
}

export function convGeometry(n: NirPrimitive, where: string, inShape: number[] | null): ConvGeometry {
  const dims = n.type === 'Conv1d' ? 1 : 2;
  const w = arrayField(n, 'weight', where).shape;
  const groups = ints(n, 'groups', where)[0]!;
  const cin = w[1]! * groups;
  const expand = (v: number[]): number[] => (v.length === 1 ? new Array<number>(dims).fill(v[0]!) : v);
  let spatial: number[];
  if (inShape) {
    if (inShape.length !== dims + 1 || inShape[0] !== cin) throw new ShapeError(`${where}: expected input [${cin}, ${dims === 1 ? 'L' : 'H, W'}], got ${fmt(inShape)}`);
    spatial = inShape.slice(1);
    if (n.fields['input_shape']) {
      const decl = ints(n, 'input_shape', where);
      if (!eqShape(decl, spatial)) throw new ShapeError(`${where}: input_shape ${fmt(decl)} differs from the incoming spatial size ${fmt(spatial)}`);
    }
  } else if (n.fields['input_shape']) spatial = ints(n, 'input_shape', where);
  else throw new ShapeError(`${where}: cannot infer its input shape (no input edge and no input_shape)`);
  const kernel = w.slice(2);
  const stride = expand(ints(n, 'stride', where));
  const dilation = expand(ints(n, 'dilation', where));
  const padF = n.fields['padding']!;
  let padBefore: number[];
  let out: number[];
  if (padF.kind === 'string') {
    if (padF.value === 'same') {
      if (stride.some((s) => s !== 1)) throw new ShapeError(`${where}: padding 'same' needs stride 1`);
      padBefore = kernel.map((k, i) => Math.floor((dilation[i]! * (k - 1)) / 2));
      out = [...spatial];
    } else {
      padBefore = kernel.map(() => 0);
      out = spatial.map((s, i) => Math.floor((s - dilation[i]! * (kernel[i]! - 1) - 1) / stride[i]!) + 1);
    }
  } else {
    padBefore = expand(Array.from(padF.data));
    out = spatial.map((s, i) => Math.floor((s + 2 * padBefore[i]! - dilation[i]! * (kernel[i]! - 1) - 1) / stride[i]!) + 1);
  }
  if (out.some((d) => d <= 0)) throw new ShapeError(`${where}: kernel ${fmt(kernel)} does not fit input ${fmt(spatial)}`);
  return { dims, cin, cout: w[0]!, groups, kernel, stride, dilation, padBefore, inShape: [cin, ...spatial], outShape: [w[0]!, ...out] };
}

/** Flatten, order and shape-check a graph. Throws ShapeError naming the node on any mismatch. */
export function planGraph(graph: NirGraph): Plan {
  const raw: Raw = { units: [], index: new Map(), edges: [] };
  collect(graph, '', raw, true);
  const { units } = raw;
  const N = units.length;
  const incoming: number[][] = units.map(() => []);
  for (const [a, b] of raw.edges) incoming[b]!.push(a);
  const inputs = units.map((u, i) => (u.port === 'input' ? i : -1)).filter((i) => i >= 0);
  const outputs = units.map((u, i) => (u.port === 'output' ? i : -1)).filter((i) => i >= 0);
  if (inputs.length === 0) throw new ShapeError('graph has no top-level Input node');
  if (outputs.length === 0) throw new ShapeError('graph has no top-level Output node');
  for (const i of inputs) if (incoming[i]!.length > 0) throw new ShapeError(`node '${units[i]!.name}' (Input) has incoming edges`);

  // Kahn's algorithm in declaration order; when every remaining node waits on
  // another, the first remaining one is scheduled and its unscheduled inputs
  // become delayed (recurrent) edges.
  const done = new Array<boolean>(N).fill(false);
  const order: number[] = [];
  const delayedPairs = new Set<string>();
  while (order.length < N) {
    let pick = -1;
    for (let i = 0; i < N && pick < 0; i++) if (!done[i] && incoming[i]!.every((s) => done[s] || delayedPairs.has(`${s}>${i}`))) pick = i;
    if (pick < 0) {
      pick = done.findIndex((d, i) => !d && incoming[i]!.some((s) => done[s]));
      if (pick < 0) pick = done.indexOf(false);
      for (const s of incoming[pick]!) if (!done[s]) delayedPairs.add(`${s}>${pick}`);
    }
    done[pick] = true;
    order.push(pick);
  }
  const links: Link[] = raw.edges.map(([a, b]) => ({ from: a, to: b, delayed: delayedPairs.has(`${a}>${b}`) }));

  for (const i of order) {
    const u = units[i]!;
    const fwd = links.filter((l) => l.to === i && !l.delayed).map((l) => units[l.from]!);
    let inShape: number[] | null = null;
    for (const s of fwd) {
      if (inShape && !eqShape(inShape, s.outShape)) throw new ShapeError(`node '${u.name}' (${u.node.type}): inputs disagree in shape: ${fmt(inShape)} vs ${fmt(s.outShape)} from '${s.name}'`);
      inShape = [...s.outShape];
    }
    const r = outputShape(u, inShape);
    u.inShape = r.in;
    u.outShape = r.out;
  }
  for (const l of links) {
    const s = units[l.from]!, d = units[l.to]!;
    if (sizeOfShape(s.outShape) !== sizeOfShape(d.inShape)) throw new ShapeError(`edge '${s.name}' → '${d.name}': shape ${fmt(s.outShape)} does not fit the input ${fmt(d.inShape)} of ${d.node.type}`);
  }
  return { units, order, links, inputs, outputs };
}
