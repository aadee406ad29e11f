import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FormatError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { buildH5Bytes, hdf5Sandbox, type Group } from '../../io/hdf5.js';
import type { ShdFlat } from './shd-job-node.js';
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

export interface ReadShdOptions {
  /** Channels of every stream (default: 700, or one more than the largest unit). */
  channels?: number | undefined;
  /** Give up reading after this many milliseconds (default 1 s plus 1 s per 4 MiB; env SPIKEFLOW_HDF5_TIMEOUT_S sets the 1). */
  timeoutMs?: number | undefined;
  /** Memory budget of the HDF5 library in MiB (default 256 plus 4 × the file size; env SPIKEFLOW_HDF5_MEMORY_MB sets the 256). */
  memoryMiB?: number | undefined;
}

/**
 * Read an SHD/SSC file. The HDF5 library runs in the sandbox worker
 * (io/hdf5-sandbox-node.ts, job in shd-job-node.ts) with a time and memory
 * budget; links inside the file are refused, never followed.
 */
export async function readShdFile(path: string, opts: ReadShdOptions = {}): Promise<ShdFile> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FormatError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${path}: no such HDF5 file`);
    throw e instanceof FormatError ? e : new FormatError(`${path}: cannot read (${(e as Error).message})`);
  }
  const box = await hdf5Sandbox();
  if (!box) throw new Error('readShdFile needs Node');
  const flat = await box.run<ShdFlat>({
    job: 'shd',
    input: { path: resolve(path), source: path },
    source: path,
    size,
    timeoutMs: opts.timeoutMs,
    memoryMiB: opts.memoryMiB,
  });
  let maxUnit = -1;
  for (let i = 0; i < flat.units.length; i++) maxUnit = Math.max(maxUnit, flat.units[i]!);
  const channels = opts.channels ?? (maxUnit < SHD_CHANNELS ? SHD_CHANNELS : maxUnit + 1);
  if (maxUnit >= channels) throw new FormatError(`${path}: spikes/units holds channel ${maxUnit}, outside the ${channels} channels asked for`);
  const samples: ChannelEvents[] = [];
  for (let i = 0; i + 1 < flat.offsets.length; i++) {
    const a = flat.offsets[i]!, b = flat.offsets[i + 1]!;
    samples.push(makeChannelEvents({ t: flat.times.subarray(a, b), channel: flat.units.subarray(a, b), channels, timeUnit: 's' }));
  }
  return { samples, labels: flat.labels, channels };
}

/** Write samples in the flat SHD variant (see ShdFile), atomically (temporary file, then rename). */
export async function writeShdFile(path: string, samples: readonly ChannelEvents[], labels: ArrayLike<number>): Promise<void> {
  if (samples.length !== labels.length) throw new FormatError(`${path}: ${samples.length} samples but ${labels.length} labels`);
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
  // Built in h5wasm's in-memory file system and written by spikeflow: the library never touches the disk.
  const bytes = await buildH5Bytes((f) => {
    const g = f.create_group('spikes') as Group;
    g.create_dataset({ name: 'times', data: times });
    g.create_dataset({ name: 'units', data: units });
    g.create_dataset({ name: 'offsets', data: offsets });
    f.create_dataset({ name: 'labels', data: Uint16Array.from(labels) });
  });
  writeFileAtomic(path, bytes);
}
