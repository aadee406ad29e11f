import { FormatError } from '../../errors.js';
import { checkDatasetSize, Dataset, Group, hardChild, type H5File } from '../../io/hdf5.js';
import { NIR_SCHEMA, type FieldSpec } from './schema.js';
import { NIR_PRIMITIVE_TYPES, type NirArray, type NirDocument, type NirDType, type NirGraph, type NirNode, type NirPrimitive, type NirPrimitiveType, type NirValue } from './types.js';
import { validateGraph } from './validate.js';

/*
 * The walk over an open .nir (HDF5) file that builds the NirDocument. It runs
 * where the h5wasm instance is: in the reader's worker in Node (read-job.ts),
 * in the calling thread in a browser. A damaged file must end in a FormatError,
 * never in a loop: every child is reached through a hard link (hardChild), the
 * graph may nest MAX_DEPTH deep and hold MAX_OBJECTS objects in all (a group
 * can hard-link to its own ancestor, which would otherwise recurse forever or
 * fan out exponentially), and no dataset is read whose declared size is over
 * the memory budget.
 */

/** Deeper than any real graph (NIR subgraphs nest a few levels). */
const MAX_DEPTH = 32;
/** Objects (groups and datasets) visited in one file. */
const MAX_OBJECTS = 200_000;

export interface Ctx {
  source: string;
  lenient: boolean;
  warn: (m: string) => void;
  /** Largest dataset (declared shape × element size) read, in bytes. */
  maxBytes: number;
  /** Objects visited so far, and the current graph depth. */
  visited: number;
  depth: number;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;

/** Read a dataset into a NirValue (numbers keep their dtype; strings stay strings). The type is checked before anything is read. */
function readValue(d: Dataset, where: string, ctx: Ctx): NirValue | string[] {
  checkDatasetSize(d, ctx.maxBytes, ctx.source);
  const meta = d.metadata;
  const shape = (meta.shape ?? []).map(Number);
  if (meta.type === H5T_STRING) {
    const v = d.value;
    if (typeof v === 'string') return { kind: 'string', value: v };
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    throw new FormatError(`${where}: unreadable string dataset`);
  }
  let dtype: NirDType;
  if (meta.type === H5T_FLOAT) {
    if (meta.size === 4) dtype = 'float32';
    else if (meta.size === 8) dtype = 'float64';
    else throw new FormatError(`${where}: float of ${meta.size} bytes is not supported (float32 or float64)`);
  } else if (meta.type === H5T_INTEGER) {
    dtype = meta.size === 8 ? 'int64' : 'int32';
  } else throw new FormatError(`${where}: unsupported HDF5 type class ${meta.type} (expected numbers or strings)`);
  const v = d.value;
  let data: Float64Array;
  if (typeof v === 'number') data = Float64Array.of(v);
  else if (typeof v === 'bigint') data = Float64Array.of(Number(v));
  else if (typeof v === 'boolean') data = Float64Array.of(v ? 1 : 0);
  else if (v instanceof BigInt64Array || v instanceof BigUint64Array) data = Float64Array.from(v, (x) => Number(x));
  else if (ArrayBuffer.isView(v)) data = Float64Array.from(v as unknown as ArrayLike<number>);
  else throw new FormatError(`${where}: unreadable numeric dataset`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new FormatError(`${where}: dataset holds ${data.length} values for shape [${shape.join(', ')}]`);
  return { kind: 'array', dtype, shape, data };
}

function child(g: Group, key: string, ctx: Ctx): Dataset | Group | null {
  ctx.visited += 1;
  if (ctx.visited > MAX_OBJECTS) throw new FormatError(`${ctx.source}: more than ${MAX_OBJECTS} groups and datasets (a group linked into itself?)`);
  return hardChild(g, key, ctx.source);
}

function readMetadata(g: Group, where: string, ctx: Ctx): Record<string, NirValue> {
  const out: Record<string, NirValue> = {};
  if (!g.keys().includes('metadata')) return out;
  const mg = child(g, 'metadata', ctx);
  if (!(mg instanceof Group)) throw new FormatError(`${where}: 'metadata' must be a group`);
  for (const k of mg.keys()) {
    const e = child(mg, k, ctx);
    if (!(e instanceof Dataset)) {
      ctx.warn(`${where}: metadata '${k}' is not a dataset; skipped`);
      continue;
    }
    const v = readValue(e, `${where}: metadata '${k}'`, ctx);
    if (Array.isArray(v)) out[k] = { kind: 'string', value: JSON.stringify(v) };
    else out[k] = v;
  }
  return out;
}

function checkKind(spec: FieldSpec, v: NirValue, where: string): NirValue {
  if (spec.kind === 'intOrString' && v.kind === 'string') return v;
  if (v.kind === 'string') throw new FormatError(`${where}: field '${spec.name}' must be numeric, got the string '${v.value}'`);
  if (spec.kind !== 'float') {
    if (!v.data.every((x) => Number.isInteger(x))) throw new FormatError(`${where}: field '${spec.name}' must hold integers`);
    if (spec.kind === 'intScalar' && v.data.length !== 1) throw new FormatError(`${where}: field '${spec.name}' must be one integer, got shape [${v.shape.join(', ')}]`);
  }
  return v;
}

function readPrimitive(g: Group, type: NirPrimitiveType, name: string, ctx: Ctx): NirPrimitive {
  const where = `${ctx.source}: node '${name}' (${type})`;
  const specs = NIR_SCHEMA[type];
  const fields: Record<string, NirValue> = {};
  for (const key of g.keys()) {
    if (key === 'type' || key === 'metadata') continue;
    const spec = specs.find((s) => s.name === key);
    if (!spec) {
      const msg = `${where}: unknown field '${key}' (${type} has: ${specs.map((s) => s.name).join(', ')})`;
      if (!ctx.lenient) throw new FormatError(msg);
      ctx.warn(`${msg}; skipped`);
      continue;
    }
    const e = child(g, key, ctx);
    if (!(e instanceof Dataset)) throw new FormatError(`${where}: field '${key}' must be a dataset`);
    const v = readValue(e, `${where}: field '${key}'`, ctx);
    if (Array.isArray(v)) throw new FormatError(`${where}: field '${key}' is an array of strings`);
    fields[key] = checkKind(spec, v, where);
  }
  for (const spec of specs) {
    if (fields[spec.name]) continue;
    if (spec.optional === 'omit') continue;
    if (spec.optional) {
      const like = fields[spec.optional.like];
      if (like && like.kind === 'array') {
        // Older files lack v_reset (w_in): the reference reader fills zeros (ones) shaped like the other parameters.
        const filled: NirArray = { kind: 'array', dtype: like.dtype, shape: [...like.shape], data: new Float64Array(like.data.length).fill(spec.optional.fill) };
        fields[spec.name] = filled;
        continue;
      }
    }
    throw new FormatError(`${where}: missing field '${spec.name}'`);
  }
  return { type, fields, metadata: readMetadata(g, where, ctx) };
}

function readType(g: Group, name: string, ctx: Ctx): string {
  const where = `${ctx.source}: node '${name || '/node'}'`;
  if (!g.keys().includes('type')) throw new FormatError(`${where} has no 'type' dataset`);
  const t = child(g, 'type', ctx);
  if (!(t instanceof Dataset)) throw new FormatError(`${where}: 'type' must be a dataset`);
  const v = readValue(t, `${where}: 'type'`, ctx);
  if (Array.isArray(v) || v.kind !== 'string') throw new FormatError(`${where}: 'type' must be a string`);
  return v.value;
}

function readGraph(g: Group, name: string, ctx: Ctx): NirGraph {
  const where = `${ctx.source}: graph '${name || '/node'}'`;
  const keys = g.keys();
  for (const k of keys) {
    if (!['type', 'nodes', 'edges', 'metadata'].includes(k)) {
      const msg = `${where}: unknown field '${k}' (NIRGraph has: nodes, edges, metadata)`;
      if (!ctx.lenient) throw new FormatError(msg);
      ctx.warn(`${msg}; skipped`);
    }
  }
  const nodesG = keys.includes('nodes') ? child(g, 'nodes', ctx) : null;
  if (!(nodesG instanceof Group)) throw new FormatError(`${where}: missing group 'nodes'`);
  const nodes = new Map<string, NirNode>();
  const skipped = new Set<string>();
  for (const k of nodesG.keys()) {
    const full = name ? `${name}.${k}` : k;
    const ng = child(nodesG, k, ctx);
    if (!(ng instanceof Group)) throw new FormatError(`${ctx.source}: node '${full}' must be a group`);
    const n = readNode(ng, full, ctx);
    if (n) nodes.set(k, n);
    else skipped.add(k);
  }
  let edges: [string, string][] = [];
  if (keys.includes('edges')) {
    const e = child(g, 'edges', ctx);
    if (!(e instanceof Dataset)) throw new FormatError(`${where}: 'edges' must be a dataset`);
    const shape = (e.metadata.shape ?? []).map(Number);
    const v = e.metadata.shape && shape.reduce((a, b) => a * b, 1) === 0 ? [] : readValue(e, `${where}: 'edges'`, ctx);
    if (!Array.isArray(v)) throw new FormatError(`${where}: 'edges' must be an [E, 2] array of strings`);
    if (v.length > 0 && (shape.length !== 2 || shape[1] !== 2)) throw new FormatError(`${where}: 'edges' has shape [${shape.join(', ')}], expected [E, 2]`);
    for (let i = 0; i + 1 < v.length; i += 2) edges.push([v[i]!, v[i + 1]!]);
  } else throw new FormatError(`${where}: missing dataset 'edges'`);
  if (skipped.size > 0) {
    const top = (p: string): string => p.split('.')[0]!;
    const kept = edges.filter(([a, b]) => !skipped.has(top(a)) && !skipped.has(top(b)));
    if (kept.length !== edges.length) ctx.warn(`${where}: dropped ${edges.length - kept.length} edge(s) touching skipped nodes`);
    edges = kept;
  }
  return { type: 'NIRGraph', nodes, edges, metadata: readMetadata(g, where, ctx) };
}

function readNode(g: Group, name: string, ctx: Ctx): NirNode | null {
  const type = readType(g, name, ctx);
  if (type === 'NIRGraph') {
    if (ctx.depth >= MAX_DEPTH) throw new FormatError(`${ctx.source}: graph '${name}' nests more than ${MAX_DEPTH} graphs deep (a group linked into itself?)`);
    ctx.depth += 1;
    try {
      return readGraph(g, name, ctx);
    } finally {
      ctx.depth -= 1;
    }
  }
  if (!(NIR_PRIMITIVE_TYPES as readonly string[]).includes(type)) {
    const msg = `${ctx.source}: node '${name}' has unknown type '${type}' (known: NIRGraph, ${NIR_PRIMITIVE_TYPES.join(', ')})`;
    if (!ctx.lenient) throw new FormatError(msg);
    ctx.warn(`${msg}; skipped`);
    return null;
  }
  return readPrimitive(g, type as NirPrimitiveType, name, ctx);
}

export function readDocument(f: H5File, ctx: Ctx): NirDocument {
  const keys = f.keys();
  let version = 'unknown';
  if (keys.includes('version')) {
    const v = child(f, 'version', ctx);
    if (v instanceof Dataset) {
      const r = readValue(v, `${ctx.source}: 'version'`, ctx);
      if (!Array.isArray(r) && r.kind === 'string') version = r.value;
    }
  }
  if (!keys.includes('node')) throw new FormatError(`${ctx.source}: no '/node' group (not a NIR file?)`);
  const root = child(f, 'node', ctx);
  if (!(root instanceof Group)) throw new FormatError(`${ctx.source}: '/node' must be a group`);
  const type = readType(root, '', ctx);
  if (type !== 'NIRGraph') throw new FormatError(`${ctx.source}: the root node has type '${type}', expected 'NIRGraph'`);
  const graph = readGraph(root, '', ctx);
  validateGraph(graph, ctx.source);
  return { version, graph };
}
