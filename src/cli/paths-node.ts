import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/*
 * Checks of the paths a command is told to write, made before any work: a
 * file given where a folder is meant (or a folder where a file is) would
 * otherwise surface at the end of a run as a raw errno (EISDIR, ENOTDIR,
 * EEXIST) and exit 1. Each check names the flag and the path.
 */

/** The path's file type, or null when nothing is there (or it cannot be looked at). */
function kind(path: string): 'dir' | 'file' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** The nearest ancestor of `path` that exists (the path itself when it does). */
function existingAncestor(path: string): string {
  let p = path;
  while (kind(p) === null) {
    const up = dirname(p);
    if (up === p) return p;
    p = up;
  }
  return p;
}

/** `path` must be a folder or creatable as one: not a file, and not under a file. */
export function checkOutFolder(path: string, flag: string): void {
  const abs = resolve(path);
  const at = existingAncestor(abs);
  if (kind(at) === 'file') {
    throw new ConfigError(at === abs ? `${flag}: ${abs} is a file, not a folder (choose another ${flag})` : `${flag}: ${at} is a file, so ${abs} cannot be a folder under it (choose another ${flag})`);
  }
}

/** `path` must be a file to write: not a folder, and its parent a folder (or creatable as one). */
export function checkOutFile(path: string, flag: string): void {
  const abs = resolve(path);
  if (kind(abs) === 'dir') throw new ConfigError(`${flag}: ${abs} is a folder; give the path of a file to write`);
  const parent = dirname(abs);
  if (kind(parent) !== 'dir') {
    const at = existingAncestor(parent);
    throw new ConfigError(kind(at) === 'file' ? `${flag}: ${at} is a file, so ${abs} cannot be written under it` : `${flag}: folder ${parent} does not exist`);
  }
}
