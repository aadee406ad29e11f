import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzTarget, HeaderField } from '../target.js';
import { CIFAR100_LAYOUT, CIFAR10_LAYOUT, CIFAR_PIXELS, encodeCifarRecords, type CifarLayout } from '../../../src/data/cifar.js';

/*
 * WAV audio (the spoken-digits corpus reader) and the CIFAR binary batches
 * (read by the dataset loader from a folder holding every batch file).
 */

interface WavSpec {
  code: number;
  channels: number;
  bits: number;
  frames: number;
  extensible?: boolean;
  /** An odd-sized LIST chunk before 'data' (RIFF pads it to even). */
  list?: boolean;
}

function wav(s: WavSpec): Uint8Array {
  const bytesPer = s.bits / 8, blockAlign = s.channels * bytesPer;
  const fmtSize = s.extensible ? 40 : 16;
  const list = s.list ? 'LIST\u0005\u0000\u0000\u0000INFOx\u0000' : '';
  const dataSize = s.frames * blockAlign;
  const total = 12 + 8 + fmtSize + list.length + 8 + dataSize;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const ascii = (o: number, t: string): void => {
    for (let i = 0; i < t.length; i++) out[o + i] = t.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  dv.setUint32(4, total - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, fmtSize, true);
  dv.setUint16(20, s.extensible ? 0xfffe : s.code, true);
  dv.setUint16(22, s.channels, true);
  dv.setUint32(24, 16000, true);
  dv.setUint32(28, 16000 * blockAlign, true);
  dv.setUint16(32, blockAlign, true);
  dv.setUint16(34, s.bits, true);
  if (s.extensible) {
    dv.setUint16(36, 22, true);
    dv.setUint16(38, s.bits, true);
    dv.setUint32(40, 4, true);
    dv.setUint16(44, s.code, true);
  }
  let o = 20 + fmtSize;
  ascii(o, list);
  o += list.length;
  ascii(o, 'data');
  dv.setUint32(o + 4, dataSize, true);
  o += 8;
  for (let i = 0; i < s.frames * s.channels; i++, o += bytesPer) {
    const v = Math.sin(i * 0.3) * 0.8;
    if (s.code === 3) {
      if (s.bits === 32) dv.setFloat32(o, v, true);
      else dv.setFloat64(o, v, true);
    } else if (s.bits === 8) dv.setUint8(o, Math.round(128 + 127 * v));
    else if (s.bits === 16) dv.setInt16(o, Math.round(32767 * v), true);
    else if (s.bits === 24) {
      const q = Math.round(8388607 * v);
      dv.setUint8(o, q & 0xff);
      dv.setUint8(o + 1, (q >> 8) & 0xff);
      dv.setInt8(o + 2, q >> 16);
    } else dv.setInt32(o, Math.round(2147483647 * v), true);
  }
  return out;
}

function wavFields(b: Uint8Array): HeaderField[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: HeaderField[] = [{ name: 'RIFF size', offset: 4, size: 4, little: true }];
  for (let o = 12; o + 8 <= b.length && fields.length < 40; ) {
    const id = String.fromCharCode(...b.subarray(o, o + 4));
    const size = dv.getUint32(o + 4, true);
    fields.push({ name: `${id} size`, offset: o + 4, size: 4, little: true });
    if (id === 'fmt ') {
      for (const [name, d, n] of [['format code', 8, 2], ['channels', 10, 2], ['sample rate', 12, 4], ['byte rate', 16, 4], ['block align', 20, 2], ['bits', 22, 2], ['cbSize', 24, 2], ['sub-format', 32, 2]] as const) {
        if (d + n <= 8 + size) fields.push({ name, offset: o + d, size: n, little: true });
      }
    }
    o += 8 + size + (size & 1);
  }
  return fields;
}

function cifarTarget(name: string, layout: CifarLayout, caseFile: string, companions: readonly string[], load: (dir: string) => Promise<void>): FuzzTarget {
  const records = (labels: number[][]): Uint8Array => {
    const px = new Uint8Array(labels.length * CIFAR_PIXELS);
    for (let i = 0; i < px.length; i++) px[i] = (i * 31) & 0xff;
    return encodeCifarRecords(layout, labels, px);
  };
  const rec = layout.labelBytes + CIFAR_PIXELS;
  const one = layout.labelBytes === 1 ? [[3]] : [[4, 41]];
  return {
    name,
    entry: `${name === 'cifar10' ? 'loadCifar10' : 'loadCifar100'}(dir) with the case as ${caseFile}`,
    fileName: caseFile,
    seeds: async () => [records(layout.labelBytes === 1 ? [[3], [9], [0]] : [[4, 41], [19, 99], [0, 0]])],
    fields: (b) => {
      const f: HeaderField[] = [];
      for (let r = 0; r * rec < b.length && r < 8; r++) for (let k = 0; k < layout.labelBytes; k++) f.push({ name: `record ${r} label ${k}`, offset: r * rec + k, size: 1, little: true });
      return f;
    },
    // The other batch files of the dataset, valid, so the case file is the only damaged one.
    async prepare(dir) {
      for (const f of companions) writeFileSync(join(dir, f), records(one));
    },
    run: (_file, dir) => load(dir),
  };
}

export const MEDIA_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'wav',
    entry: 'decodeWav(bytes, {file}) (spoken-digits corpus)',
    fileName: 'case.wav',
    seeds: async () => [
      wav({ code: 1, channels: 1, bits: 16, frames: 40 }),
      wav({ code: 1, channels: 2, bits: 8, frames: 25, list: true }),
      wav({ code: 3, channels: 1, bits: 32, frames: 20 }),
      wav({ code: 3, channels: 2, bits: 64, frames: 10 }),
      wav({ code: 1, channels: 1, bits: 24, frames: 15, extensible: true }),
      wav({ code: 1, channels: 3, bits: 32, frames: 7 }),
    ],
    fields: wavFields,
    async run(file) {
      const { decodeWav } = await import('../../../src/data/audio/wav.js');
      const bytes = new Uint8Array(readFileSync(file));
      decodeWav(bytes, { file });
      decodeWav(bytes, { file, channel: 0 });
    },
  },
  cifarTarget('cifar10', CIFAR10_LAYOUT, 'test_batch.bin', ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'], async (dir) => {
    const { loadCifar10 } = await import('../../../src/data/cifar-node.js');
    loadCifar10(dir);
  }),
  cifarTarget('cifar100', CIFAR100_LAYOUT, 'test.bin', ['train.bin'], async (dir) => {
    const { loadCifar100 } = await import('../../../src/data/cifar-node.js');
    loadCifar100(dir);
    loadCifar100(dir, { labels: 'coarse' });
  }),
];
