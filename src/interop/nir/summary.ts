import { delaySteps } from './delay.js';
import { planGraph } from './graph.js';
import { isGraph, type NirGraph, type NirValue } from './types.js';
import { valueSummary } from './validate.js';

export interface NirNodeSummary {
  name: string;
  type: string;
  inShape: number[];
  outShape: number[];
  params: Record<string, { dtype: string; shape: number[]; min?: number; max?: number; mean?: number; value?: string }>;
  metadata: Record<string, string>;
  /** Delay nodes, when the graph's metadata gives dt: the delays in steps (round(delay / dt)). */
  delaySteps?: { min: number; max: number; distinct: number[] };
}

export interface NirSummary {
  version: string;
  nodes: NirNodeSummary[];
  edges: { from: string; to: string; recurrent: boolean }[];
  metadata: Record<string, string>;
}

function meta(md: Record<string, NirValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) out[k] = v.kind === 'string' ? v.value : v.data.length === 1 ? String(v.data[0]) : valueSummary(v);
  return out;
}

/** Nodes (flattened, dotted names), shapes, edges and parameter statistics, for `nir inspect`. */
export function summarizeNir(graph: NirGraph, version = 'unknown'): NirSummary {
  const plan = planGraph(graph);
  const dtMeta = graph.metadata['dt'];
  const dt = dtMeta && dtMeta.kind === 'array' && dtMeta.data.length === 1 && dtMeta.data[0]! > 0 ? dtMeta.data[0]! : null;
  const nodes = plan.order.map((i) => {
    const u = plan.units[i]!;
    const params: NirNodeSummary['params'] = {};
    for (const [k, v] of Object.entries(u.node.fields)) {
      if (v.kind === 'string') params[k] = { dtype: 'string', shape: [], value: v.value };
      else {
        let mn = Infinity, mx = -Infinity, s = 0;
        for (const x of v.data) {
          mn = Math.min(mn, x);
          mx = Math.max(mx, x);
          s += x;
        }
        params[k] = v.data.length === 0 ? { dtype: v.dtype, shape: v.shape } : { dtype: v.dtype, shape: v.shape, min: mn, max: mx, mean: s / v.data.length };
      }
    }
    const s: NirNodeSummary = { name: u.name, type: u.node.type, inShape: u.inShape, outShape: u.outShape, params, metadata: meta(u.node.metadata) };
    if (u.node.type === 'Delay' && dt !== null) {
      const d = delaySteps(u.node, dt, `node '${u.name}' (Delay)`);
      const distinct = [...new Set(d)].sort((a, b) => a - b);
      s.delaySteps = { min: distinct[0] ?? 0, max: distinct[distinct.length - 1] ?? 0, distinct: distinct.slice(0, 16) };
    }
    return s;
  });
  const edges = plan.links.map((l) => ({ from: plan.units[l.from]!.name, to: plan.units[l.to]!.name, recurrent: l.delayed }));
  const graphMeta: Record<string, string> = meta(graph.metadata);
  for (const [name, n] of graph.nodes) if (isGraph(n)) for (const [k, v] of Object.entries(meta(n.metadata))) graphMeta[`${name}.${k}`] = v;
  return { version, nodes, edges, metadata: graphMeta };
}

/** Plain-text rendering of a summary. */
export function renderNirSummary(s: NirSummary): string {
  const fmt = (a: number[]): string => `[${a.join(', ')}]`;
  const num = (x: number | undefined): string => (x === undefined ? '' : Number(x.toPrecision(4)).toString());
  const lines = [`NIR graph (version ${s.version}): ${s.nodes.length} nodes, ${s.edges.length} edges`];
  for (const [k, v] of Object.entries(s.metadata)) lines.push(`  metadata ${k} = ${v}`);
  for (const n of s.nodes) {
    lines.push(`  ${n.name} (${n.type}) ${fmt(n.inShape)} → ${fmt(n.outShape)}`);
    for (const [k, p] of Object.entries(n.params)) {
      const stats = p.value !== undefined ? `'${p.value}'` : p.min === undefined ? '' : p.min === p.max ? `= ${num(p.min)}` : `min ${num(p.min)} max ${num(p.max)} mean ${num(p.mean)}`;
      lines.push(`      ${k}: ${p.dtype}${fmt(p.shape)} ${stats}`.trimEnd());
    }
    const d = n.delaySteps;
    if (d) lines.push(`      steps: ${d.min === d.max ? d.min : d.distinct.join(', ') + (d.distinct.length < 16 ? '' : ', ...')} (delay / dt)`);
  }
  lines.push('  edges:');
  for (const e of s.edges) lines.push(`    ${e.from} → ${e.to}${e.recurrent ? ' (recurrent: previous step)' : ''}`);
  return lines.join('\n') + '\n';
}
