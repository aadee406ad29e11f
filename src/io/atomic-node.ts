import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { killPoint } from './kill-point-node.js';

/**
 * Node-only file utilities shared by every floor that writes files (data
 * caches, checkpoints, NIR and safetensors files, the CLI). They live on their
 * own low floor, importing nothing of spikeflow, so a writer never has to
 * import a file format's module just to get an atomic write.
 */

/**
 * Write bytes to `path` through a flushed temporary file in the same directory
 * (same filesystem, so the rename is atomic) and a rename. A crash or error
 * leaves either the old file or the new one, never a half-written file; the
 * temporary file is removed on error.
 */
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
    killPoint(`write:${basename(path)}`);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
