import type { Group } from './h5.js';
import { buildH5Bytes } from './h5.js';
import { NIR_SCHEMA } from './schema.js';
import { isGraph, type NirArray, type NirDocument, type NirGraph, type NirNode, type NirValue } from './types.js';
import { validateGraph } from './validate.js';

/** Written into /version when the caller gives none (the reference reader does not interpret it). */
export const SPIKEFLOW_NIR_VERSION = 'spikeflow-nir 0.1.0';

export interface WriteNirOptions {
  /** Version string for /version. Default: the document's, else SPIKEFLOW_NIR_VERSION. */
  version?: string;
  /** gzip level for arrays (the reference writes chunked gzip); 0 writes contiguous uncompressed arrays. Default 4. */
  compression?: number;
}

const H5_DTYPE: Record<NirArray['dtype'], string> = { float32: '<f', float64: '<d', int64: '<q', int32: '<i' };

function typedData(a: NirArray): Float32Array | Float64Array | BigInt64Array | Int32Array {
  switch (a.dtype) {
    case 'float32':
      return Float32Array.from(a.data);
    case 'float64':
      return Float64Array.from(a.data);
    case 'int64':
      return BigInt64Array.from(a.data, (x) => BigInt(x));
    case 'int32':
      return Int32Array.from(a.data);
  }
}

function writeValue(g: Group, name: string, v: NirValue, level: number, atLeast1d: boolean): void {
  if (v.kind === 'string') {
    g.create_dataset({ name, data: v.value });
    return;
  }
  // NIR parameter arrays are always written with at least one dimension (a scalar θ becomes [θ]).
  const shape = atLeast1d && v.shape.length === 0 ? [1] : v.shape;
  const n = v.data.length;
  const compress = level > 0 && shape.length > 0 && n > 0;
  g.create_dataset({
    name,
    data: typedData(v),
    shape,
    dtype: H5_DTYPE[v.dtype],
    ...(compress ? { chunks: shape, compression: 'gzip' as const, compression_opts: level } : {}),
  });
}

function writeMetadata(g: Group, md: Record<string, NirValue>, level: number): void {
  const keys = Object.keys(md);
  if (keys.length === 0) return; // the reference layout omits an empty metadata group
  const mg = g.create_group('metadata');
  for (const k of keys) writeValue(mg, k, md[k]!, level, false);
}

function writeNode(g: Group, node: NirNode, level: number): void {
  g.create_dataset({ name: 'type', data: node.type });
  if (isGraph(node)) {
    const flat: string[] = [];
    for (const [a, b] of node.edges) flat.push(a, b);
    g.create_dataset({ name: 'edges', data: flat, shape: [node.edges.length, 2] });
    const ng = g.create_group('nodes');
    for (const [name, child] of node.nodes) writeNode(ng.create_group(name), child, level);
  } else {
    const specs = NIR_SCHEMA[node.type];
    for (const spec of specs) {
      const v = node.fields[spec.name];
      if (v) writeValue(g, spec.name, v, level, spec.kind === 'float' || spec.kind === 'int');
    }
  }
  writeMetadata(g, node.metadata, level);
}

/** Serialise a graph (or a document) to .nir bytes in the reference HDF5 layout. */
export async function writeNir(graphOrDoc: NirGraph | NirDocument, opts: WriteNirOptions = {}): Promise<Uint8Array> {
  const graph = 'graph' in graphOrDoc ? graphOrDoc.graph : graphOrDoc;
  const version = opts.version ?? ('graph' in graphOrDoc ? graphOrDoc.version : SPIKEFLOW_NIR_VERSION);
  validateGraph(graph, '<graph to write>');
  const level = opts.compression ?? 4;
  return buildH5Bytes((f) => {
    f.create_dataset({ name: 'version', data: version });
    writeNode(f.create_group('node'), graph, level);
  });
}
