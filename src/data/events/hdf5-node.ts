import h5wasm from 'h5wasm/node';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError, NotFoundError } from '../../errors.js';
import { makeChannelEvents, type ChannelEvents } from './stream.js';

/**
 * Spiking Heidelberg Digits / Spiking Speech Commands HDF5 layout (Cramer et
 * al. 2020): `spikes/times` (seconds) and `spikes/units` (channel 0..699) are
 * variable-length datasets with one ragged array per sample, `labels` one
 * integer per sample. h5wasm reads variable-length numeric data but cannot
 * write it, so spikeflow writes (and also reads) a flat variant: `spikes/times`
 * and `spikes/units` concatenated, plus `spikes/offsets` (n + 1 row starts).
 */
export interface ShdFile {
  readonly samples: ChannelEvents[];
  readonly labels: Int32Array;
  readonly channels: number;
}

/** SHD and SSC use 700 cochlea channels. */
export const SHD_CHANNELS = 700;

type H5File = InstanceType<typeof h5wasm.File>;

function dataset(f: H5File, path: string, file: string): InstanceType<typeof h5wasm.Dataset> {
  const d = f.get(path);
  if (!(d instanceof h5wasm.Dataset)) throw new FormatError(`${file}: HDF5 dataset '${path}' is missing (SHD layout: spikes/times, spikes/units, labels)`);
  return d;
}

/** IEEE half → number (SHD stores times as float16 in some releases; h5wasm may hand back the raw bits). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function toNumbers(v: unknown, half: boolean, what: string): Float64Array {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) throw new FormatError(`${what}: expected a numeric array`);
  const a = v as unknown as ArrayLike<number | bigint>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = half ? halfToNumber(Number(a[i])) : Number(a[i]);
  return out;
}

/** The rows of a ragged dataset, whether stored variable-length or flat with offsets. */
function readRagged(f: H5File, path: string, offsets: Float64Array | null, file: string): Float64Array[] {
  const d = dataset(f, path, file);
  type Meta = { vlen_type?: { type: number; size: number; signed?: boolean }; type: number; size: number; signed?: boolean };
  const meta = d.metadata as Meta;
  const vlenHalf = meta.vlen_type?.type === 1 && meta.vlen_type.size === 2;
  const flatHalf = !meta.vlen_type && meta.type === 1 && meta.size === 2;
  if (vlenHalf || flatHalf) {
    // h5wasm has no float16 reader (it throws "Float16 not supported"): describe the
    // elements as uint16 so it hands back the raw bits, which halfToNumber decodes.
    const asBits: Meta = vlenHalf ? { ...meta, vlen_type: { ...meta.vlen_type!, type: 0, signed: false } } : { ...meta, type: 0, signed: false };
    Object.defineProperty(d, 'metadata', { value: asBits, configurable: true });
  }
  const value = d.value;
  if (Array.isArray(value)) {
    return value.map((row, i) => toNumbers(row, vlenHalf, `${file}: ${path}[${i}]`));
  }
  if (!offsets) throw new FormatError(`${file}: '${path}' is not variable-length and there is no spikes/offsets dataset`);
  const flat = toNumbers(value, flatHalf, `${file}: ${path}`);
  const rows: Float64Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const a = offsets[i]!, b = offsets[i + 1]!;
    if (!(a >= 0 && b >= a && b <= flat.length)) throw new FormatError(`${file}: spikes/offsets[${i}..${i + 1}] = ${a}..${b} is outside ${path} (${flat.length} values)`);
    rows.push(flat.subarray(a, b));
  }
  return rows;
}

export async function readShdFile(path: string, opts: { channels?: number } = {}): Promise<ShdFile> {
  if (!existsSync(path)) throw new NotFoundError(`${path}: no such HDF5 file`);
  await h5wasm.ready;
  let f: H5File;
  try {
    f = new h5wasm.File(path, 'r');
  } catch (e) {
    throw new FormatError(`${path}: byte 0: not a readable HDF5 file (${(e as Error).message})`);
  }
  try {
    const offsets = f.get('spikes/offsets') instanceof h5wasm.Dataset ? toNumbers(dataset(f, 'spikes/offsets', path).value, false, `${path}: spikes/offsets`) : null;
    const times = readRagged(f, 'spikes/times', offsets, path);
    const units = readRagged(f, 'spikes/units', offsets, path);
    const labelsRaw = toNumbers(dataset(f, 'labels', path).value, false, `${path}: labels`);
    if (times.length !== units.length || times.length !== labelsRaw.length) {
      throw new FormatError(`${path}: spikes/times (${times.length}), spikes/units (${units.length}) and labels (${labelsRaw.length}) disagree on the number of samples`);
    }
    let maxUnit = -1;
    for (const u of units) for (let i = 0; i < u.length; i++) maxUnit = Math.max(maxUnit, u[i]!);
    const channels = opts.channels ?? (maxUnit < SHD_CHANNELS ? SHD_CHANNELS : maxUnit + 1);
    const samples = times.map((t, i) => {
      if (t.length !== units[i]!.length) throw new FormatError(`${path}: sample ${i} has ${t.length} times but ${units[i]!.length} units`);
      return makeChannelEvents({ t, channel: units[i]!, channels, timeUnit: 's' });
    });
    return { samples, labels: Int32Array.from(labelsRaw), channels };
  } finally {
    f.close();
  }
}

/** Write samples in the flat SHD variant (see ShdFile), atomically (temporary file, then rename). */
export async function writeShdFile(path: string, samples: readonly ChannelEvents[], labels: ArrayLike<number>): Promise<void> {
  if (samples.length !== labels.length) throw new FormatError(`${path}: ${samples.length} samples but ${labels.length} labels`);
  await h5wasm.ready;
  let total = 0;
  for (const s of samples) total += s.t.length;
  const times = new Float32Array(total), units = new Uint16Array(total);
  const offsets = new Uint32Array(samples.length + 1);
  let o = 0;
  samples.forEach((s, i) => {
    for (let k = 0; k < s.t.length; k++) {
      times[o + k] = s.t[k]!;
      units[o + k] = s.channel[k]!;
    }
    o += s.t.length;
    offsets[i + 1] = o;
  });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const f = new h5wasm.File(tmp, 'w');
    try {
      const g = f.create_group('spikes');
      g.create_dataset({ name: 'times', data: times });
      g.create_dataset({ name: 'units', data: units });
      g.create_dataset({ name: 'offsets', data: offsets });
      f.create_dataset({ name: 'labels', data: Uint16Array.from(labels) });
    } finally {
      f.close();
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
