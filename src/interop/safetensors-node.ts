import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-node.js';
import { FormatError, NotFoundError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type DecodeSafetensorsOptions, type SafetensorsEntry, type SafetensorsFile } from './safetensors.js';

/**
 * Write a safetensors file atomically (see `writeFileAtomic`): a crash or error
 * leaves either the old file or the new one, never a half-written file.
 */
export function saveSafetensorsAtomic(
  path: string,
  tensors: Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Read and validate a safetensors file (errors name the file; non-finite floats are refused unless `allowNonFinite`). */
export function loadSafetensors(path: string, opts: DecodeSafetensorsOptions = {}): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${path}: no such safetensors file`);
    throw new FormatError(`${path}: cannot read (${(e as Error).message})`);
  }
  return decodeSafetensors(bytes, path, opts);
}
