import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError, NotFoundError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors.js';

/**
 * Write a safetensors file atomically: the bytes go to a temporary file in the
 * same directory (same filesystem, so the rename is atomic), are flushed to
 * disk, then renamed over `path`. A crash or error leaves either the old file
 * or the new one, never a half-written file; the temporary file is removed on error.
 */
export function saveSafetensorsAtomic(
  path: string,
  tensors: Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Write bytes to `path` through a flushed temporary file in the same directory and a rename. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Read and validate a safetensors file (errors name the file). */
export function loadSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${path}: no such safetensors file`);
    throw new FormatError(`${path}: cannot read (${(e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}
