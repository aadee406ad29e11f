import { readFileSync } from 'node:fs';
import { FormatError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { readNir, type ReadNirOptions, type ReadNirResult } from './read.js';
import type { NirDocument, NirGraph } from './types.js';
import { writeNir, type WriteNirOptions } from './write.js';

/** Read a .nir file from disk (errors name the path). */
export async function readNirFile(path: string, opts: Omit<ReadNirOptions, 'source'> = {}): Promise<ReadNirResult> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${path}: no such NIR file`);
    throw new FormatError(`${path}: cannot read (${(e as Error).message})`);
  }
  return readNir(bytes, { ...opts, source: path });
}

/** Write a graph to a .nir file atomically (a temporary file renamed into place). */
export async function writeNirFile(path: string, graph: NirGraph | NirDocument, opts: WriteNirOptions = {}): Promise<void> {
  writeFileAtomic(path, await writeNir(graph, opts));
}
