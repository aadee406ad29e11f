import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { latin1 } from '../mutate.js';
import type { FuzzTarget, HeaderField } from '../target.js';

/*
 * HDF5 files: NIR graphs (read, then imported into a module as `spikeflow
 * nir import` does) and SHD/SSC spike recordings (as `events info` reads
 * them). Targeted edits go to the superblock and to the words after each
 * object signature (object headers, B-trees, heaps), where the sizes and
 * addresses a reader follows are.
 */

const SIGNATURES = ['OHDR', 'OCHK', 'TREE', 'HEAP', 'SNOD', 'BTHD', 'BTLF', 'FRHP', 'FHDB', 'FSHD', 'GCOL', 'FSSE'];

function hdf5Fields(b: Uint8Array): HeaderField[] {
  const fields: HeaderField[] = [];
  const version = b[8] ?? 0;
  if (version <= 1) {
    // Superblock v0/v1: versions, size of offsets/lengths, group K values, then base, free-space, EOF and driver addresses.
    for (const [name, offset, size] of [['superblock version', 8, 1], ['size of offsets', 13, 1], ['size of lengths', 14, 1], ['group leaf K', 16, 2], ['group internal K', 18, 2], ['base address', 24, 8], ['free-space address', 32, 8], ['EOF address', 40, 8], ['driver address', 48, 8], ['root link name offset', 56, 8], ['root object header', 64, 8]] as const) {
      fields.push({ name, offset, size, little: true });
    }
  } else {
    for (const [name, offset, size] of [['superblock version', 8, 1], ['size of offsets', 9, 1], ['size of lengths', 10, 1], ['base address', 12, 8], ['extension address', 20, 8], ['EOF address', 28, 8], ['root object header', 36, 8]] as const) {
      fields.push({ name, offset, size, little: true });
    }
  }
  const text = latin1(b, 0, Math.min(b.length, 1 << 16));
  for (const sig of SIGNATURES) {
    for (let at = text.indexOf(sig); at >= 0 && fields.length < 400; at = text.indexOf(sig, at + 4)) {
      for (const [d, size] of [[4, 1], [5, 1], [6, 2], [8, 4], [8, 8], [12, 4], [16, 8], [24, 8]] as const) fields.push({ name: `${sig}+${d}`, offset: at + d, size, little: true });
    }
  }
  return fields.filter((f) => f.offset + f.size <= b.length);
}

export const HDF5_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'nir',
    entry: 'readNirFile(path) then nirToModule with dt 1 ms (nir inspect / import --dt 0.001)',
    fileName: 'case.nir',
    async seeds(ctx) {
      const dir = resolve(ctx.root, '..', 'shared', 'fixtures', 'nir');
      const seeds: Uint8Array[] = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.nir')).sort().map((f) => new Uint8Array(readFileSync(join(dir, f)))) : [];
      // Written by spikeflow's own exporter too, so the suite runs where the shared fixtures are absent.
      const { writeNir } = await import('../../../src/interop/nir/write.js');
      const { moduleToNir } = await import('../../../src/interop/nir/export.js');
      const { Sequential } = await import('../../../src/nn/containers.js');
      const { Linear } = await import('../../../src/nn/linear.js');
      const { LIF } = await import('../../../src/neurons/lif/model.js');
      const { Rng } = await import('../../../src/tensor/rng.js');
      const r = new Rng(5);
      const model = new Sequential([new Linear(4, 6, r), new LIF(6), new Linear(6, 2, r), new LIF(2)]);
      seeds.push(await writeNir(moduleToNir(model, { dt: 1e-3, inputShape: [4], approximateReset: true }).graph));
      return seeds;
    },
    fields: hdf5Fields,
    async run(file) {
      const { readNirFile } = await import('../../../src/interop/nir/file-node.js');
      const { nirToModule } = await import('../../../src/interop/nir/import.js');
      const doc = await readNirFile(file);
      // With a dt and the file as source, as `nir import FILE --dt` gives them: the shared fixtures carry no dt, and without one every import stops at the first check.
      nirToModule(doc.graph, { dt: 1e-3, source: file });
    },
  },
  {
    name: 'shd',
    entry: "readEventFile(path, 'hdf5') (SHD/SSC recordings)",
    fileName: 'case.h5',
    async seeds(ctx) {
      const seeds: Uint8Array[] = [];
      const vlen = join(ctx.root, 'test', 'fixtures', 'shd-vlen-small.h5');
      if (existsSync(vlen)) seeds.push(new Uint8Array(readFileSync(vlen)));
      const { writeShdFile } = await import('../../../src/data/events/hdf5-node.js');
      const { makeChannelEvents } = await import('../../../src/data/events/stream.js');
      const flat = join(ctx.tmp, 'flat.h5');
      const sample = (n: number, k: number) => makeChannelEvents({ t: Array.from({ length: n }, (_, i) => i * 0.003), channel: Array.from({ length: n }, (_, i) => (i * k) % 700), channels: 700, timeUnit: 's' });
      await writeShdFile(flat, [sample(12, 7), sample(0, 1), sample(5, 131)], [3, 0, 19]);
      seeds.push(new Uint8Array(readFileSync(flat)));
      return seeds;
    },
    fields: hdf5Fields,
    async run(file) {
      const { readEventFile } = await import('../../../src/data/events/io-node.js');
      await readEventFile(file, 'hdf5');
    },
  },
];
