import { FormatError } from '../../errors.js';
import { NEURON_PARAMS, NIR_SCHEMA } from './schema.js';
import { isGraph, type NirArray, type NirGraph, type NirNode, type NirPrimitive, type NirValue } from './types.js';

/*
 * Structural checks that need no shape propagation: parameter ranks and
 * agreement inside one node, and edges that name existing nodes. The reader
 * and the writer both run them, so neither accepts a graph the other rejects.
 */

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function arrayField(node: NirPrimitive, name: string, where: string): NirArray {
  const v = node.fields[name];
  if (!v) throw new FormatError(`${where}: missing field '${name}'`);
  if (v.kind !== 'array') throw new FormatError(`${where}: field '${name}' must be numeric, got the string '${v.value}'`);
  return v;
}

/** Integer values of an int field (an int scalar gives one value). */
export function ints(node: NirPrimitive, name: string, where: string): number[] {
  return Array.from(arrayField(node, name, where).data);
}

function sameShape(a: NirArray, b: NirArray): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** Checks one primitive's fields against each other; `where` names the node ("node 'lif1' (LIF)"). */
export function validatePrimitive(node: NirPrimitive, where: string): void {
  const specs = NIR_SCHEMA[node.type];
  if (!specs) throw new FormatError(`${where}: unknown node type '${node.type}'`);
  for (const k of Object.keys(node.fields)) {
    if (!specs.some((s) => s.name === k)) throw new FormatError(`${where}: unknown field '${k}' (${node.type} has: ${specs.map((s) => s.name).join(', ')})`);
  }
  const group = NEURON_PARAMS[node.type];
  if (group) {
    const first = arrayField(node, group[0]!, where);
    for (const p of group.slice(1)) {
      const a = arrayField(node, p, where);
      if (!sameShape(a, first)) throw new FormatError(`${where}: parameter '${p}' has shape ${fmt(a.shape)} but '${group[0]}' has ${fmt(first.shape)} (all must match)`);
    }
    if (first.shape.length === 0) throw new FormatError(`${where}: parameter '${group[0]}' is a scalar; NIR parameters are arrays of the layer's shape`);
  }
  switch (node.type) {
    case 'Input':
    case 'Output': {
      const s = ints(node, 'shape', where);
      if (s.some((d) => !Number.isInteger(d) || d <= 0)) throw new FormatError(`${where}: shape ${fmt(s)} must hold positive integers`);
      break;
    }
    case 'Affine':
    case 'Linear': {
      const w = arrayField(node, 'weight', where);
      if (w.shape.length !== 2) throw new FormatError(`${where}: weight must be 2-D [out, in], got shape ${fmt(w.shape)}`);
      if (node.type === 'Affine') {
        const b = arrayField(node, 'bias', where);
        if (b.shape.length !== 1 || b.shape[0] !== w.shape[0]) throw new FormatError(`${where}: bias has shape ${fmt(b.shape)}, expected [${w.shape[0]}] (weight is ${fmt(w.shape)})`);
      }
      break;
    }
    case 'Conv1d':
    case 'Conv2d': {
      const dims = node.type === 'Conv1d' ? 1 : 2;
      const w = arrayField(node, 'weight', where);
      if (w.shape.length !== dims + 2) throw new FormatError(`${where}: weight must be ${dims + 2}-D [C_out, C_in/groups, ${dims === 1 ? 'k' : 'kh, kw'}], got shape ${fmt(w.shape)}`);
      const b = arrayField(node, 'bias', where);
      if (b.shape.length !== 1 || b.shape[0] !== w.shape[0]) throw new FormatError(`${where}: bias has shape ${fmt(b.shape)}, expected [${w.shape[0]}]`);
      for (const k of ['stride', 'dilation']) {
        const v = ints(node, k, where);
        if (v.length !== 1 && v.length !== dims) throw new FormatError(`${where}: '${k}' has ${v.length} values, expected ${dims}`);
        if (v.some((x) => !Number.isInteger(x) || x < 1)) throw new FormatError(`${where}: '${k}' must hold positive integers, got ${fmt(v)}`);
      }
      const pad = node.fields['padding'];
      if (pad?.kind === 'string') {
        if (pad.value !== 'same' && pad.value !== 'valid') throw new FormatError(`${where}: padding '${pad.value}' is not 'same', 'valid' or integers`);
      } else {
        const v = ints(node, 'padding', where);
        if (v.length !== 1 && v.length !== dims) throw new FormatError(`${where}: 'padding' has ${v.length} values, expected ${dims}`);
      }
      const g = ints(node, 'groups', where);
      if (g.length !== 1 || !(g[0]! >= 1) || w.shape[0]! % g[0]! !== 0) throw new FormatError(`${where}: groups ${fmt(g)} must be one positive integer dividing C_out ${w.shape[0]}`);
      if (node.fields['input_shape']) {
        const s = ints(node, 'input_shape', where);
        if (s.length !== dims) throw new FormatError(`${where}: input_shape ${fmt(s)} must have ${dims} entries (spatial size)`);
      }
      break;
    }
    case 'SumPool2d':
    case 'AvgPool2d':
      for (const k of ['kernel_size', 'stride', 'padding']) {
        const v = ints(node, k, where);
        if (v.length !== 1 && v.length !== 2) throw new FormatError(`${where}: '${k}' has ${v.length} values, expected 2`);
      }
      break;
    case 'Delay': {
      // Negative or non-finite delays have no causal meaning; the reader and the writer refuse them alike.
      const d = arrayField(node, 'delay', where).data;
      const bad = d.findIndex((v) => !(Number.isFinite(v) && v >= 0));
      if (bad >= 0) throw new FormatError(`${where}: field 'delay' holds ${d[bad]} at index ${bad}; delays are seconds >= 0`);
      break;
    }
    case 'Flatten':
      for (const k of ['start_dim', 'end_dim']) if (arrayField(node, k, where).data.length !== 1) throw new FormatError(`${where}: '${k}' must be one integer`);
      break;
    default:
      break;
  }
}

/** Resolve a dotted edge endpoint ("fc1", "G.B") to its node, or null. */
export function resolvePath(graph: NirGraph, path: string): NirNode | null {
  let cur: NirNode = graph;
  for (const part of path.split('.')) {
    if (!isGraph(cur)) return null;
    const next = cur.nodes.get(part);
    if (!next) return null;
    cur = next;
  }
  return cur;
}

/** Validate every node and edge of a graph tree; `prefix` is the dotted path of this graph. */
export function validateGraph(graph: NirGraph, source: string, prefix = ''): void {
  for (const [name, node] of graph.nodes) {
    const full = prefix + name;
    if (name.includes('.')) throw new FormatError(`${source}: node name '${full}' contains '.', which NIR reserves for nested paths`);
    if (isGraph(node)) validateGraph(node, source, `${full}.`);
    else validatePrimitive(node, `${source}: node '${full}' (${node.type})`);
  }
  for (const [a, b] of graph.edges) {
    for (const end of [a, b]) {
      if (!resolvePath(graph, end)) throw new FormatError(`${source}: edge ${prefix}(${a} → ${b}) names unknown node '${prefix}${end}'`);
    }
  }
}

export function valueSummary(v: NirValue): string {
  return v.kind === 'string' ? JSON.stringify(v.value) : `${v.dtype}${fmt(v.shape)}`;
}
