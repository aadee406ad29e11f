import { closeSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { FormatError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { decodeEvents, detectEventFormat, encodeEvents, isEventFormat, type AnyEventFormat, type DecodeEventsOptions, type EventFormat } from './formats/registry.js';
import { readShdFile } from './hdf5-node.js';
import type { EventStream } from './stream.js';

/** Files larger than this are refused rather than read whole into memory. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** An operating-system error as one line: the code and what it means, without the call that failed. */
function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}: ${err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : String((e as Error)?.message ?? e);
}

/**
 * The input file's stats, after checking it is a regular file: a missing path
 * is a NotFoundError, a folder or device a FormatError, and an unreadable one
 * (permissions, ...) a FormatError with the system's reason, each naming the path.
 */
export function statInput(path: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${path}: no such file`);
    throw new FormatError(`${path}: cannot read (${ioReason(e)})`);
  }
  if (st.isDirectory()) throw new FormatError(`${path}: is a folder; give an event file (nmnist, aedat2, aedat3, evt2, npy, hdf5)`);
  if (!st.isFile()) throw new FormatError(`${path}: not a regular file`);
  return st;
}

/** Run a read, turning an operating-system error into a FormatError naming the path. */
function reading<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code) throw new FormatError(`${path}: cannot read (${ioReason(e)})`);
    throw e;
  }
}

/** Detect the format of a file from its first bytes and its name. */
export function detectFileFormat(path: string): AnyEventFormat | null {
  statInput(path);
  const head = new Uint8Array(16);
  reading(path, () => {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
  });
  return detectEventFormat(head, path);
}

export function parseFormat(s: string, flag: string): AnyEventFormat {
  if (isEventFormat(s) || s === 'hdf5') return s;
  throw new FormatError(`${flag} '${s}' is not a known event format (nmnist, aedat2, aedat3, evt2, npy, hdf5)`);
}

/**
 * Read every recording in a file: one stream for the byte formats, one per
 * sample for HDF5 (SHD/SSC), with the labels.
 */
export async function readEventFile(path: string, format?: AnyEventFormat, opts: DecodeEventsOptions = {}): Promise<{ format: AnyEventFormat; streams: EventStream[]; labels?: Int32Array }> {
  statInput(path);
  const fmt = format ?? detectFileFormat(path);
  if (!fmt) throw new FormatError(`${path}: byte 0: cannot tell the event format; pass it explicitly (nmnist, aedat2, aedat3, evt2, npy, hdf5)`);
  if (fmt === 'hdf5') {
    const shd = await readShdFile(path, { channels: opts.channels });
    return { format: fmt, streams: shd.samples, labels: shd.labels };
  }
  return { format: fmt, streams: [readEventStream(path, fmt, opts)] };
}

/** Read one byte-format file into a stream (errors name the file and byte offset). */
export function readEventStream(path: string, format: EventFormat, opts: DecodeEventsOptions = {}): EventStream {
  if (statInput(path).size > MAX_FILE_BYTES) throw new FormatError(`${path}: file is larger than ${MAX_FILE_BYTES} bytes`);
  const bytes = new Uint8Array(reading(path, () => readFileSync(path)));
  return decodeEvents(bytes, format, { ...opts, file: path });
}

/** Write a stream atomically (temporary file in the same folder, then rename). */
export function writeEventStream(path: string, s: EventStream, format: EventFormat): void {
  writeFileAtomic(path, encodeEvents(s, format));
}
