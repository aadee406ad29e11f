import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Command } from 'commander';
import { FormatError, NotFoundError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { readShdFile, writeShdFile } from '../../../src/data/events/hdf5-node.js';
import { EventTransformCache } from '../../../src/data/events/cache-node.js';
import { crc32, encodePngRgb } from '../../../src/data/events/png-node.js';
import { openNCaltech101, openNMnist, openShd } from '../../../src/data/events/datasets-node.js';
import { readEventFile, readEventStream, writeEventStream } from '../../../src/data/events/io-node.js';
import { encodeNmnist } from '../../../src/data/events/formats/nmnist.js';
import { ToFrame } from '../../../src/data/events/transforms/frame.js';
import { DropEvent } from '../../../src/data/events/transforms/drop.js';
import { registerEventsCommands } from '../../../src/cli/commands/events-node.js';
import { repoRoot } from '../../helpers.js';
import { assertSameStream, randomChannel, randomDvs } from './util.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'sf-events-'));

test('SHD-like HDF5 written with h5wasm reads back; h5wasm variable-length rows are read too', async () => {
  const dir = tmp();
  try {
    const rng = new Rng(1);
    const samples = [randomChannel(rng, 40, 700), randomChannel(rng, 0, 700), randomChannel(rng, 17, 700)];
    const file = join(dir, 'shd_train.h5');
    await writeShdFile(file, samples, [3, 0, 19]);
    const back = await readShdFile(file);
    assert.equal(back.channels, 700);
    assert.deepEqual(Array.from(back.labels), [3, 0, 19]);
    back.samples.forEach((s, i) => assertSameStream(s, samples[i]!, `sample ${i}`));
    const ds = await openShd(dir, 'train');
    assert.deepEqual([ds.length, ds.numClasses, ds.get(2).label], [3, 20, 19]);
    await assert.rejects(openShd(dir, 'test'), (e: unknown) => e instanceof NotFoundError && /shd_test\.h5/.test(e.message));
    // Variable-length numeric rows (the released SHD layout) through the h5wasm reader path,
    // using h5wasm's own h5py-made fixture (a float32 vlen dataset with rows [0], [0,1], [0,1,2]).
    const vlen = join(repoRoot(), 'node_modules', 'h5wasm', 'test', 'vlen.h5');
    if (existsSync(vlen)) {
      const h5wasm = (await import('h5wasm/node')).default;
      await h5wasm.ready;
      const f = new h5wasm.File(vlen, 'r');
      const rows = f.get('float32_oneD') as InstanceType<typeof h5wasm.Dataset>;
      const value = rows.value as unknown as Float32Array[];
      f.close();
      assert.deepEqual(value.map((r) => Array.from(r)), [[0], [0, 1], [0, 1, 2]]);
    }
    writeFileSync(join(dir, 'bad.h5'), 'not hdf5 at all');
    await assert.rejects(readShdFile(join(dir, 'bad.h5')), FormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('disk cache reuses entries only for the same parameters and unchanged source', () => {
  const dir = tmp();
  try {
    const src = join(dir, 'a.bin');
    const s = randomDvs(new Rng(2), 300, 34, 34, 10_000);
    writeEventStream(src, s, 'nmnist');
    let loads = 0;
    const load = () => {
      loads++;
      return readEventStream(src, 'nmnist', { width: 34, height: 34 });
    };
    const c2 = new EventTransformCache(join(dir, 'cache'), new ToFrame({ nTimeBins: 2 }));
    const a = c2.get(EventTransformCache.fileIdentity(src), load);
    const b = c2.get(EventTransformCache.fileIdentity(src), load);
    assert.equal(loads, 1);
    assert.deepEqual([Array.from(b.data), b.shape], [Array.from(a.data), a.shape]);
    const c3 = new EventTransformCache(join(dir, 'cache'), new ToFrame({ nTimeBins: 3 }));
    assert.deepEqual(c3.get(EventTransformCache.fileIdentity(src), load).shape, [3, 2, 34, 34]);
    assert.equal(loads, 2, 'other parameters: recomputed');
    utimesSync(src, new Date(), new Date(Date.now() + 5000));
    c2.get(EventTransformCache.fileIdentity(src), load);
    assert.equal(loads, 3, 'changed source: recomputed');
    // A corrupted entry is recomputed, not trusted.
    const id = EventTransformCache.fileIdentity(src);
    writeFileSync(c2.pathFor(id), 'SFEC garbage');
    assert.deepEqual(Array.from(c2.get(id, load).data), Array.from(a.data));
    assert.equal(loads, 4);
    assert.throws(() => new EventTransformCache(dir, new DropEvent(0.1) as never), /random/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PNG encoder writes valid chunks', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')) ^ 0xffffffff, 0xcbf43926 | 0);
  const rgb = Uint8Array.from([255, 0, 0, 0, 0, 255]);
  const png = encodePngRgb(rgb, 2, 1);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset);
  assert.equal(dv.getUint32(16), 2);
  const idatLen = dv.getUint32(33);
  assert.deepEqual(Array.from(inflateSync(png.subarray(41, 41 + idatLen))), [0, 255, 0, 0, 0, 0, 255]);
});

test('N-MNIST and N-Caltech101 folders; missing folders name the expected layout', () => {
  const dir = tmp();
  try {
    const rng = new Rng(4);
    for (const [split, digit, name] of [['Train', '3', '00001.bin'], ['Train', '7', '00002.bin'], ['Test', '3', '00003.bin']] as const) {
      mkdirSync(join(dir, split, digit), { recursive: true });
      writeFileSync(join(dir, split, digit, name), encodeNmnist(randomDvs(rng, 20, 34, 34, 1000)));
    }
    const tr = openNMnist(dir, 'train');
    assert.deepEqual([tr.length, tr.classes, tr.get(1).label, tr.get(0).events.width], [2, ['3', '7'], 1, 34]);
    assert.throws(() => openNMnist(join(dir, 'nope'), 'test'), (e: unknown) => e instanceof NotFoundError && /Train\/<digit/.test(e.message));
    const nc = openNCaltech101(join(dir, 'Train'));
    assert.equal(nc.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function cli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerEventsCommands(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('CLI: events info, convert and frames', async () => {
  const dir = tmp();
  try {
    const s = randomDvs(new Rng(6), 500, 34, 34, 100_000);
    const bin = join(dir, 'rec.bin');
    writeEventStream(bin, s, 'nmnist');
    const info = JSON.parse(await cli(['events', 'info', bin, '--json'])) as { format: string; events: number; on: number; off: number; sensor: string };
    let on = 0;
    for (const p of s.p) on += p;
    assert.deepEqual([info.format, info.events, info.on, info.off, info.sensor], ['nmnist', 500, on, 500 - on, '34x34']);
    const raw = join(dir, 'rec.raw');
    await cli(['events', 'convert', bin, raw]);
    const back = await readEventFile(raw);
    assert.equal(back.format, 'evt2');
    assertSameStream(back.streams[0]!, s);
    await cli(['events', 'convert', raw, join(dir, 'rec.npy')]);
    assert.match(await cli(['events', 'info', join(dir, 'rec.npy')]), /npy, 1 recording\n {2}500 events/);
    const out = join(dir, 'frames');
    await cli(['events', 'frames', bin, '--bins', '3', '--out', out]);
    assert.deepEqual(readdirSync(out).sort(), ['frame_0000.png', 'frame_0001.png', 'frame_0002.png']);
    assert.equal(readFileSync(join(out, 'frame_0000.png'))[1], 0x50);
    writeFileSync(join(dir, 'cut.bin'), readFileSync(bin).subarray(0, 12));
    await assert.rejects(cli(['events', 'info', join(dir, 'cut.bin')]), (e: unknown) => e instanceof FormatError && /cut\.bin: byte 10/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
