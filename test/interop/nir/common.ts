import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../helpers.js';
import type { NirSequence } from '../../../src/interop/nir/executor.js';

export const FIXTURE_GRAPHS = ['i_affine_lif_2layer', 'ii_cubalif_2layer', 'iii_conv_if_sumpool_flatten_affine_lif'] as const;

export interface NirFixture {
  name: string;
  path: string;
  dt: number;
  input: NirSequence;
  /** The reference Euler simulator's output spikes, flat [T·B·F]. */
  output: number[];
  hidden: Record<string, number[]>;
}

export const nirDir = (): string | null => fixturesDir('nir');

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

function dims(v: unknown): number[] {
  const d: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) d.push(x.length);
  return d;
}

export function loadFixture(name: string): NirFixture {
  const dir = nirDir()!;
  const j = JSON.parse(readFileSync(join(dir, `${name}_outputs.json`), 'utf8')) as {
    dt: number;
    input: unknown;
    outputs: Record<string, unknown>;
    hidden_spikes_numpy_euler: Record<string, unknown>;
  };
  const d = dims(j.input);
  const hidden: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(j.hidden_spikes_numpy_euler)) hidden[k] = flat(v);
  return {
    name,
    path: join(dir, `${name}.nir`),
    dt: j.dt,
    input: { steps: d[0]!, batch: d[1]!, shape: d.slice(2), data: Float64Array.from(flat(j.input)) },
    output: flat(j.outputs['numpy_euler (ours, not a peer)']),
    hidden,
  };
}

/** Indices where two spike trains differ (empty = identical). */
export function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  if (a.length !== b.length) return [-1];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
