/*
 * In-memory model of a NIR graph. Numbers keep their file dtype so a read →
 * write round trip is bit-exact: float32 values are held in a Float64Array
 * (every float32 is exactly representable) and written back as float32; int64
 * values are held as JS numbers (exact below 2^53, far beyond any shape).
 */

export type NirDType = 'float32' | 'float64' | 'int64' | 'int32';

/** An n-dimensional numeric array (shape [] = scalar). */
export interface NirArray {
  readonly kind: 'array';
  dtype: NirDType;
  shape: number[];
  data: Float64Array;
}

/** A UTF-8 string value (Conv padding 'same'/'valid', metadata text). */
export interface NirString {
  readonly kind: 'string';
  value: string;
}

export type NirValue = NirArray | NirString;

/** Primitive node types this implementation reads, writes and runs. */
export const NIR_PRIMITIVE_TYPES = [
  'Input',
  'Output',
  'Affine',
  'Linear',
  'Scale',
  'Conv1d',
  'Conv2d',
  'SumPool2d',
  'AvgPool2d',
  'Flatten',
  'Delay',
  'Threshold',
  'I',
  'IF',
  'LI',
  'LIF',
  'CubaLI',
  'CubaLIF',
] as const;

export type NirPrimitiveType = (typeof NIR_PRIMITIVE_TYPES)[number];

export interface NirPrimitive {
  type: NirPrimitiveType;
  /** The node's documented fields (see schema.ts), keyed by their file names. */
  fields: Record<string, NirValue>;
  metadata: Record<string, NirValue>;
}

export interface NirGraph {
  type: 'NIRGraph';
  /** Insertion order is kept (the file's order on read). */
  nodes: Map<string, NirNode>;
  edges: [string, string][];
  metadata: Record<string, NirValue>;
}

export type NirNode = NirPrimitive | NirGraph;

/** A whole .nir file: the version string at the root and the graph under /node. */
export interface NirDocument {
  version: string;
  graph: NirGraph;
}

export function isGraph(n: NirNode): n is NirGraph {
  return n.type === 'NIRGraph';
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A float array value (copied from `values`). */
export function nirArray(values: ArrayLike<number>, shape: readonly number[], dtype: NirDType = 'float32'): NirArray {
  const data = Float64Array.from(values as ArrayLike<number>);
  if (dtype === 'float32') for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]!);
  return { kind: 'array', dtype, shape: [...shape], data };
}

export function nirInts(values: readonly number[], scalar = false): NirArray {
  return { kind: 'array', dtype: 'int64', shape: scalar ? [] : [values.length], data: Float64Array.from(values) };
}

export function nirString(value: string): NirString {
  return { kind: 'string', value };
}

/** A new empty graph. */
export function emptyGraph(metadata: Record<string, NirValue> = {}): NirGraph {
  return { type: 'NIRGraph', nodes: new Map(), edges: [], metadata };
}
