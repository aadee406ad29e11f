import { FormatError } from '../../../errors.js';
import type { DvsEvents, EventStream, TimeUnit } from '../stream.js';
import { decodeAedat2, encodeAedat2 } from './aedat2.js';
import { decodeAedat3, encodeAedat3 } from './aedat3.js';
import { decodeEvt2, encodeEvt2 } from './evt2.js';
import { decodeNmnist, encodeNmnist } from './nmnist.js';
import { decodeNpy, encodeNpy } from './npy.js';

/** Byte formats handled in memory. HDF5 (SHD/SSC) needs h5wasm and lives in hdf5-node.ts. */
export const EVENT_FORMATS = ['nmnist', 'aedat2', 'aedat3', 'evt2', 'npy'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];
/** Every format a file may be in, including the HDF5 (SHD/SSC) layout. */
export type AnyEventFormat = EventFormat | 'hdf5';

export function isEventFormat(s: string): s is EventFormat {
  return (EVENT_FORMATS as readonly string[]).includes(s);
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, s: string): boolean {
  if (bytes.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Guess the format from the leading bytes (magic strings), then from the file
 * extension for the headerless N-MNIST binary. Returns null when unsure.
 */
export function detectEventFormat(bytes: Uint8Array, fileName = ''): AnyEventFormat | null {
  if (HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'hdf5';
  if (startsWith(bytes, '\x93NUMPY')) return 'npy';
  if (startsWith(bytes, '#!AER-DAT2')) return 'aedat2';
  if (startsWith(bytes, '#!AER-DAT3')) return 'aedat3';
  if (startsWith(bytes, '%')) return 'evt2';
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (ext === 'bin') return 'nmnist';
  if (ext === 'raw') return 'evt2';
  if (ext === 'npy') return 'npy';
  if (ext === 'h5' || ext === 'hdf5') return 'hdf5';
  return null;
}

export interface DecodeEventsOptions {
  file?: string;
  /** Sensor size of DVS streams; when absent it comes from the file (header or coordinates), bounded by maxSensor. */
  width?: number;
  height?: number;
  channels?: number;
  timeUnit?: TimeUnit;
  /** Ceiling on a sensor side read from the file (default MAX_INFERRED_SENSOR, 4096). */
  maxSensor?: number;
}

export function decodeEvents(bytes: Uint8Array, format: EventFormat, opts: DecodeEventsOptions = {}): EventStream {
  switch (format) {
    case 'nmnist':
      return decodeNmnist(bytes, opts);
    case 'aedat2':
      return decodeAedat2(bytes, opts);
    case 'aedat3':
      return decodeAedat3(bytes, opts);
    case 'evt2':
      return decodeEvt2(bytes, opts);
    case 'npy':
      return decodeNpy(bytes, opts);
  }
}

export function encodeEvents(s: EventStream, format: EventFormat): Uint8Array {
  if (format === 'npy') return encodeNpy(s);
  const d = requireDvs(s, format);
  switch (format) {
    case 'nmnist':
      return encodeNmnist(d);
    case 'aedat2':
      return encodeAedat2(d);
    case 'aedat3':
      return encodeAedat3(d);
    case 'evt2':
      return encodeEvt2(d);
  }
}

function requireDvs(s: EventStream, format: string): DvsEvents {
  if (s.kind !== 'dvs') throw new FormatError(`${format} holds DVS events (x, y, t, p); channel events can be written as npy`);
  return s;
}
