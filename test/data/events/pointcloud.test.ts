import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { eventsToPoints, PointJitter, RandomRotateZ, RandomScale, voxelizePoints } from '../../../src/data/events/pointcloud.js';
import { parseMesh, parseOff, parsePlyAscii, sampleMesh } from '../../../src/data/events/mesh.js';
import { assertClose } from '../../helpers.js';
import { dvs } from './util.js';

test('events to normalised points and voxel occupancy', () => {
  const pc = eventsToPoints(dvs([[0, 0, 0, 1], [3, 3, 50, 0], [3, 3, 100, 1]], 4, 4), { withPolarity: true });
  assert.equal(pc.dims, 4);
  assertClose(pc.points, [0, 0, 0, 1, 1, 1, 0.5, 0, 1, 1, 1, 1], 1e-7);
  const v = voxelizePoints(pc, [2, 2, 2]);
  assert.deepEqual([v.shape, v.nnz, Array.from(v.indices), Array.from(v.values)], [[2, 2, 2], 2, [0, 0, 0, 1, 1, 1], [1, 2]]);
  assert.deepEqual(Array.from(voxelizePoints(pc, [2, 2, 2], { binary: true }).values), [1, 1]);
});

const SQUARE_OFF = `OFF
# unit square in z = 0 plus a tiny triangle far away
5 2 0
0 0 0
1 0 0
1 1 0
0 1 0
5 5 5
4 0 1 2 3
3 0 1 4
`;

test('OFF and ASCII PLY meshes sample area-weighted and seeded', () => {
  const m = parseOff(SQUARE_OFF);
  assert.equal(m.triangles.length, 9, 'quad fan-triangulated + triangle');
  const a = sampleMesh(m, 400, new Rng(1)), b = sampleMesh(m, 400, new Rng(1));
  assert.deepEqual(Array.from(a.points), Array.from(b.points));
  let onSquare = 0;
  for (let i = 0; i < 400; i++) {
    const [x, y, z] = [a.points[3 * i]!, a.points[3 * i + 1]!, a.points[3 * i + 2]!];
    if (z === 0 && x >= 0 && x <= 1 && y >= 0 && y <= 1) onSquare++;
  }
  // The square has area 1; the far triangle (0,0,0)-(1,0,0)-(5,5,5) has area ≈ 3.54, so ≈ 22% on the square.
  assert.ok(onSquare > 50 && onSquare < 130, `on square: ${onSquare}`);
  const ply = `ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0 9\n2 0 0 9\n0 2 0 9\n3 0 1 2\n`;
  const pm = parseMesh(ply);
  assert.deepEqual([Array.from(pm.vertices), Array.from(pm.triangles)], [[0, 0, 0, 2, 0, 0, 0, 2, 0], [0, 1, 2]]);
  assert.throws(() => parsePlyAscii(ply.replace('element vertex 3', 'element vertex 99999999'), 'm.ply'), /m\.ply: byte \d+/);
  assert.throws(() => parseOff('OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n', 'm.off'), FormatError);
  assert.throws(() => parseOff('OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1', 'm.off'), /m\.off: byte \d+: /);
});

test('point augmentations: rotation about z keeps radius and z, scale and jitter are seeded', () => {
  const pc = { points: Float32Array.from([1, 0, 0.5, 0, 2, -1]), count: 2, dims: 3 };
  const r = new RandomRotateZ().apply(pc, new Rng(2));
  assertClose([Math.hypot(r.points[0]!, r.points[1]!), r.points[2]!, Math.hypot(r.points[3]!, r.points[4]!), r.points[5]!], [1, 0.5, 2, -1], 1e-6);
  const s = new RandomScale(2, 2).apply(pc, new Rng(2));
  assertClose(s.points, [2, 0, 1, 0, 4, -2], 1e-6);
  const j = new PointJitter(0.01, 0.02).apply(pc, new Rng(2));
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(j.points[i]! - pc.points[i]!) <= 0.02 + 1e-7);
});
