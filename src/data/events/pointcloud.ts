import { ConfigError, ShapeError } from '../../errors.js';
import type { Rng } from '../../tensor/rng.js';
import type { EventStream } from './stream.js';
import type { SparseEvents } from './transforms/sparse.js';
import { checkPositive, type Transform } from './transforms/transform.js';

/** N points of `dims` coordinates each (row-major [N, dims]); dims ≥ 3, the first three are x, y, z. */
export interface PointCloud {
  readonly points: Float32Array;
  readonly count: number;
  readonly dims: number;
}

export function makePointCloud(points: Float32Array, dims = 3): PointCloud {
  if (dims < 3 || points.length % dims !== 0) throw new ShapeError(`point cloud: ${points.length} values do not form rows of ${dims} (dims ≥ 3)`);
  return { points, count: points.length / dims, dims };
}

/**
 * Events as points (x/W, y/H, (t − t0)/span) in [0, 1]³ (x/channels and 0 for
 * channel events), with polarity as a fourth column when `withPolarity`.
 */
export function eventsToPoints(s: EventStream, opts: { withPolarity?: boolean } = {}): PointCloud {
  const n = s.t.length;
  const dims = opts.withPolarity && s.kind === 'dvs' ? 4 : 3;
  const out = new Float32Array(n * dims);
  const t0 = n > 0 ? s.t[0]! : 0;
  const span = n > 0 ? s.t[n - 1]! - t0 : 0;
  const ts = span > 0 ? 1 / span : 0;
  for (let i = 0; i < n; i++) {
    const o = i * dims;
    if (s.kind === 'dvs') {
      out[o] = s.width > 1 ? s.x[i]! / (s.width - 1) : 0;
      out[o + 1] = s.height > 1 ? s.y[i]! / (s.height - 1) : 0;
      if (dims === 4) out[o + 3] = s.p[i]!;
    } else out[o] = s.channels > 1 ? s.channel[i]! / (s.channels - 1) : 0;
    out[o + 2] = (s.t[i]! - t0) * ts;
  }
  return { points: out, count: n, dims };
}

/**
 * Occupancy of a gx×gy×gz grid over [0, 1]³ as a sparse spike tensor of shape
 * [gz, gy, gx] (z, usually time, first): `values` count the points per voxel,
 * or are 1 when `binary`. Coordinates outside [0, 1] are clamped.
 */
export function voxelizePoints(pc: PointCloud, grid: readonly [number, number, number], opts: { binary?: boolean } = {}): SparseEvents {
  const [gx, gy, gz] = grid;
  for (const g of grid) checkPositive('voxelizePoints', 'grid size', g, true);
  const flat = new Float64Array(pc.count);
  const cell = (v: number, g: number): number => Math.min(g - 1, Math.max(0, Math.floor(v * g)));
  for (let i = 0; i < pc.count; i++) {
    const o = i * pc.dims;
    flat[i] = (cell(pc.points[o + 2]!, gz) * gy + cell(pc.points[o + 1]!, gy)) * gx + cell(pc.points[o]!, gx);
  }
  flat.sort();
  let nnz = 0;
  for (let i = 0; i < flat.length; i++) if (i === 0 || flat[i] !== flat[i - 1]) nnz++;
  const indices = new Int32Array(nnz * 3);
  const values = new Float32Array(nnz);
  let j = -1;
  for (let i = 0; i < flat.length; i++) {
    if (i === 0 || flat[i] !== flat[i - 1]) {
      j++;
      const f = flat[i]!;
      indices[3 * j] = Math.floor(f / (gx * gy));
      indices[3 * j + 1] = Math.floor(f / gx) % gy;
      indices[3 * j + 2] = f % gx;
    }
    values[j] = opts.binary ? 1 : values[j]! + 1;
  }
  return { shape: [gz, gy, gx], indices, values, nnz };
}

/** Rotate about the z axis by an angle uniform in [0, 2π). */
export class RandomRotateZ implements Transform<PointCloud, PointCloud> {
  readonly name = 'RandomRotateZ';
  readonly random = true;
  readonly params = {};
  apply(pc: PointCloud, rng: Rng): PointCloud {
    const a = rng.uniform(0, 2 * Math.PI);
    const c = Math.cos(a), s = Math.sin(a);
    const out = pc.points.slice();
    for (let i = 0; i < pc.count; i++) {
      const o = i * pc.dims;
      const x = pc.points[o]!, y = pc.points[o + 1]!;
      out[o] = c * x - s * y;
      out[o + 1] = s * x + c * y;
    }
    return { ...pc, points: out };
  }
}

/** Add N(0, sigma²) to x, y, z, clipped to ±clip. */
export class PointJitter implements Transform<PointCloud, PointCloud> {
  readonly name = 'PointJitter';
  readonly random = true;
  readonly params: { sigma: number; clip: number };
  constructor(sigma = 0.01, clip = 0.05) {
    checkPositive('PointJitter', 'sigma', sigma);
    checkPositive('PointJitter', 'clip', clip);
    this.params = { sigma, clip };
  }
  apply(pc: PointCloud, rng: Rng): PointCloud {
    const out = pc.points.slice();
    const { sigma, clip } = this.params;
    for (let i = 0; i < pc.count; i++) {
      for (let d = 0; d < 3; d++) out[i * pc.dims + d]! += Math.max(-clip, Math.min(clip, sigma * rng.normal()));
    }
    return { ...pc, points: out };
  }
}

/** Multiply x, y, z by one factor uniform in [lo, hi]. */
export class RandomScale implements Transform<PointCloud, PointCloud> {
  readonly name = 'RandomScale';
  readonly random = true;
  readonly params: { lo: number; hi: number };
  constructor(lo = 0.8, hi = 1.25) {
    if (!(lo > 0 && hi >= lo)) throw new ConfigError(`RandomScale: need 0 < lo ≤ hi, got ${lo}, ${hi}`);
    this.params = { lo, hi };
  }
  apply(pc: PointCloud, rng: Rng): PointCloud {
    const f = rng.uniform(this.params.lo, this.params.hi);
    const out = pc.points.slice();
    for (let i = 0; i < pc.count; i++) for (let d = 0; d < 3; d++) out[i * pc.dims + d]! *= f;
    return { ...pc, points: out };
  }
}
