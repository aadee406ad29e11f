import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../lib/paths.js';
import type { FuzzTarget } from '../target.js';

/*
 * Text formats: YAML run configs (read and validated as `spikeflow train`
 * does), sweep matrices (with the base config they name), and the OFF / PLY
 * meshes of the DVS emulator. The whole file is the text region.
 */

const whole = (b: Uint8Array): [number, number] => [0, b.length];

function yamlFiles(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

const CUBE_OFF = `OFF
# a unit cube
8 6 0
0 0 0
1 0 0
1 1 0
0 1 0
0 0 1
1 0 1
1 1 1
0 1 1
4 0 3 2 1
4 4 5 6 7
4 0 1 5 4
4 2 3 7 6
4 1 2 6 5
4 0 4 7 3
`;

const TETRA_PLY = `ply
format ascii 1.0
comment a tetrahedron
element vertex 4
property float x
property float y
property float z
property uchar red
element face 4
property list uchar int vertex_indices
end_header
0 0 0 255
1 0 0 0
0 1 0 0
0 0 1 0
3 0 2 1
3 0 1 3
3 0 3 2
3 1 2 3
`;

export const TEXT_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'config',
    entry: 'loadConfig(path) (YAML + schema validation, as train does)',
    fileName: 'case.yaml',
    seeds: async (ctx) => yamlFiles(join(ctx.root, 'examples')),
    textRegion: whole,
    async run(file) {
      const { loadConfig } = await import('../../../src/config/load-node.js');
      loadConfig(file);
    },
  },
  {
    name: 'sweep',
    entry: 'loadMatrix(path) (sweep plan: matrix + its base config)',
    fileName: join('sweeps', 'case.yaml'),
    seeds: async (ctx) => yamlFiles(join(ctx.root, 'examples', 'sweeps')),
    textRegion: whole,
    // The examples' matrices name their base as ../<config>.yaml: the example configs sit one folder up.
    async prepare(dir) {
      const examples = join(repoRoot(), 'examples');
      mkdirSync(join(dir, 'sweeps'), { recursive: true });
      for (const f of readdirSync(examples)) if (f.endsWith('.yaml') && !existsSync(join(dir, f))) copyFileSync(join(examples, f), join(dir, f));
    },
    async run(file) {
      const { loadMatrix } = await import('../../../src/cli/sweep/plan-node.js');
      loadMatrix(file);
    },
  },
  {
    name: 'mesh',
    entry: 'parseMesh(text, file) (OFF / ASCII PLY for the DVS emulator)',
    fileName: 'case.mesh',
    seeds: async () => [new TextEncoder().encode(CUBE_OFF), new TextEncoder().encode(TETRA_PLY)],
    textRegion: whole,
    async run(file) {
      const { parseMesh } = await import('../../../src/data/events/mesh.js');
      parseMesh(readFileSync(file, 'latin1'), file);
    },
  },
];
