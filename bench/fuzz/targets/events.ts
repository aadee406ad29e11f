import { Prng } from '../prng.js';
import type { FuzzTarget, HeaderField } from '../target.js';
import { makeChannelEvents, makeDvsEvents, type DvsEvents } from '../../../src/data/events/stream.js';
import { encodeEvents, type EventFormat } from '../../../src/data/events/formats/registry.js';

/*
 * Event-camera formats, driven as `spikeflow events info` and `frames` drive
 * them: readEventFile with the format named (so a damaged magic still reaches
 * the decoder), the per-stream summary, and the frame-size check that runs
 * before `events frames` allocates anything.
 */

function dvsStream(rng: Prng, n: number, width: number, height: number, maxT: number): DvsEvents {
  const t = Array.from({ length: n }, () => rng.int(maxT + 1)).sort((a, b) => a - b);
  return makeDvsEvents({
    x: Array.from({ length: n }, () => rng.int(width)),
    y: Array.from({ length: n }, () => rng.int(height)),
    t,
    p: Array.from({ length: n }, () => rng.int(2)),
    width,
    height,
    timeUnit: 'us',
  });
}

/** Streams every byte format can hold: N-MNIST's 34×34, DVS128, a larger sensor, long stamps. */
function dvsSeeds(format: EventFormat): Uint8Array[] {
  const rng = new Prng(7);
  const sizes: [number, number, number][] = format === 'aedat2' ? [[128, 128, 40], [128, 128, 3]] : [[34, 34, 40], [128, 128, 25], [format === 'nmnist' ? 240 : 346, 180, 10]];
  const out = sizes.map(([w, h, n]) => encodeEvents(dvsStream(rng, n, w, h, 300_000), format));
  // Stamps past 2^23 µs (N-MNIST overflow markers, EVT 2.0 time-high words, AEDAT 3 stays in one packet).
  out.push(encodeEvents(dvsStream(rng, 12, 34, 34, 20_000_000), format));
  return out;
}

async function runEvents(file: string, format: EventFormat | 'hdf5'): Promise<void> {
  const { readEventFile } = await import('../../../src/data/events/io-node.js');
  const { checkFrameBudget, streamInfo } = await import('../../../src/cli/commands/events-node.js');
  const { streams } = await readEventFile(file, format);
  for (const s of streams) {
    streamInfo(s);
    if (s.kind === 'dvs') checkFrameBudget(s, file);
  }
}

/** `#` or `%` header lines: the text part of AEDAT and EVT 2.0 files. */
function headerRegion(marker: number): (b: Uint8Array) => [number, number] | null {
  return (b) => {
    let o = 0;
    while (o < b.length && b[o] === marker) {
      const nl = b.indexOf(0x0a, o);
      if (nl < 0) return [0, b.length];
      o = nl + 1;
    }
    return o > 0 ? [0, o] : null;
  };
}

function aedat3Fields(b: Uint8Array): HeaderField[] {
  const [, end] = headerRegion(0x23)(b) ?? [0, 0];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: HeaderField[] = [];
  // The seed is intact, so its packet framing can be walked (bounded by its length).
  for (let o = end; o + 28 <= b.length && fields.length < 200; ) {
    const names = ['eventType', 'eventSource', 'eventSize', 'eventTSOffset', 'eventTSOverflow', 'eventCapacity', 'eventNumber', 'eventValid'];
    names.forEach((name, i) => fields.push({ name, offset: o + (i < 2 ? 2 * i : 4 * (i - 1)), size: (i < 2 ? 2 : 4) as 2 | 4, little: true }));
    const size = dv.getInt32(o + 4, true), cap = dv.getInt32(o + 16, true);
    if (size < 1 || cap < 0) break;
    // The first events' data words and stamps too.
    for (let k = 0; k < Math.min(cap, 4); k++) fields.push({ name: 'data', offset: o + 28 + k * size, size: 4, little: true }, { name: 'timestamp', offset: o + 32 + k * size, size: 4, little: true });
    o += 28 + cap * size;
  }
  return fields;
}

/** A few records' words: for formats without a header, where the records are the fields. */
function recordFields(recordBytes: number, wordSize: 1 | 2 | 4, little: boolean, skip: (b: Uint8Array) => number = () => 0): (b: Uint8Array) => HeaderField[] {
  return (b) => {
    const start = skip(b);
    const fields: HeaderField[] = [];
    for (let r = 0; r < 8 && start + (r + 1) * recordBytes <= b.length; r++) {
      for (let w = 0; w < recordBytes; w += wordSize) fields.push({ name: `record ${r}`, offset: start + r * recordBytes + w, size: wordSize, little });
    }
    return fields;
  };
}

function npyHeaderEnd(b: Uint8Array): number {
  if (b.length < 12) return b.length;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return b[6] === 1 ? 10 + dv.getUint16(8, true) : 12 + dv.getUint32(8, true);
}

export const EVENT_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'npy',
    entry: "readEventFile(path, 'npy') (events info / frames)",
    fileName: 'case.npy',
    async seeds() {
      const rng = new Prng(3);
      const ch = makeChannelEvents({ t: Array.from({ length: 30 }, (_, i) => i * 0.01), channel: Array.from({ length: 30 }, () => rng.int(700)), channels: 700, timeUnit: 's' });
      return [...dvsSeeds('npy'), encodeEvents(ch, 'npy')];
    },
    fields: (b) => [
      { name: 'major version', offset: 6, size: 1, little: true },
      { name: 'header length', offset: 8, size: 2, little: true },
      ...recordFields(13, 1, true, npyHeaderEnd)(b).slice(0, 40),
    ],
    textRegion: (b) => (b.length < 12 ? null : [b[6] === 1 ? 10 : 12, Math.min(b.length, npyHeaderEnd(b))]),
    textLength: (b) => (b.length < 12 ? null : { name: 'header length', offset: 8, size: b[6] === 1 ? 2 : 4, little: true }),
    run: (file) => runEvents(file, 'npy'),
  },
  {
    name: 'evt2',
    entry: "readEventFile(path, 'evt2')",
    fileName: 'case.raw',
    seeds: async () => dvsSeeds('evt2'),
    fields: recordFields(4, 4, true, (b) => headerRegion(0x25)(b)?.[1] ?? 0),
    textRegion: headerRegion(0x25),
    run: (file) => runEvents(file, 'evt2'),
  },
  {
    name: 'aedat2',
    entry: "readEventFile(path, 'aedat2')",
    fileName: 'case.aedat',
    seeds: async () => dvsSeeds('aedat2'),
    fields: recordFields(8, 4, false, (b) => headerRegion(0x23)(b)?.[1] ?? 0),
    textRegion: headerRegion(0x23),
    run: (file) => runEvents(file, 'aedat2'),
  },
  {
    name: 'aedat3',
    entry: "readEventFile(path, 'aedat3')",
    fileName: 'case.aedat3',
    seeds: async () => dvsSeeds('aedat3'),
    fields: aedat3Fields,
    textRegion: headerRegion(0x23),
    run: (file) => runEvents(file, 'aedat3'),
  },
  {
    name: 'nmnist',
    entry: "readEventFile(path, 'nmnist')",
    fileName: 'case.bin',
    seeds: async () => dvsSeeds('nmnist'),
    fields: recordFields(5, 1, false),
    run: (file) => runEvents(file, 'nmnist'),
  },
];
