import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { FormatError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { decodeEvents, detectEventFormat, encodeEvents, isEventFormat, type AnyEventFormat, type DecodeEventsOptions, type EventFormat } from './formats/registry.js';
import { readShdFile } from './hdf5-node.js';
import type { EventStream } from './stream.js';

/** Files larger than this are refused rather than read whole into memory. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Detect the format of a file from its first bytes and its name. */
export function detectFileFormat(path: string): AnyEventFormat | null {
  if (!existsSync(path)) throw new NotFoundError(`${path}: no such file`);
  const head = new Uint8Array(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
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
  if (!existsSync(path)) throw new NotFoundError(`${path}: no such file`);
  if (statSync(path).size > MAX_FILE_BYTES) throw new FormatError(`${path}: file is larger than ${MAX_FILE_BYTES} bytes`);
  const bytes = new Uint8Array(readFileSync(path));
  return decodeEvents(bytes, format, { ...opts, file: path });
}

/** Write a stream atomically (temporary file in the same folder, then rename). */
export function writeEventStream(path: string, s: EventStream, format: EventFormat): void {
  writeFileAtomic(path, encodeEvents(s, format));
}
