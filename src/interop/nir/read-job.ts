import { asFormatError, withH5Bytes } from '../../io/hdf5.js';
import { readDocument, type Ctx } from './read-doc.js';
import type { NirDocument } from './types.js';

/*
 * One .nir file from bytes to NirDocument inside the HDF5 library's thread:
 * the body of readNir, called in the calling thread in a browser and as the
 * sandbox worker's job in Node (nirJob).
 */

export interface NirReadInput {
  bytes: Uint8Array;
  source: string;
  lenient: boolean;
  /** Largest dataset read, in bytes (declared shape × element size). */
  maxBytes: number;
}

export interface NirReadOutput {
  doc: NirDocument;
  warnings: string[];
}

export async function readNirBytes(input: NirReadInput, onWarning?: (m: string) => void, canOwn = false): Promise<NirReadOutput> {
  const warnings: string[] = [];
  const ctx: Ctx = {
    source: input.source,
    lenient: input.lenient,
    maxBytes: input.maxBytes,
    visited: 0,
    depth: 0,
    warn: (m) => {
      warnings.push(m);
      onWarning?.(m);
    },
  };
  const doc = await withH5Bytes(
    input.bytes,
    input.source,
    (f) => {
      try {
        return readDocument(f, ctx);
      } catch (e) {
        // HDF5 failures deep inside a damaged file (truncated data blocks) surface here.
        throw asFormatError(e, input.source, 'damaged HDF5 file');
      }
    },
    { canOwn },
  );
  return { doc, warnings };
}

/** The sandbox worker's entry for readNir (the bytes are the worker's own copy, so the in-memory file system may keep them). */
export async function nirJob(input: Omit<NirReadInput, 'maxBytes'>, limits: { maxBytes: number }): Promise<{ value: NirReadOutput }> {
  return { value: await readNirBytes({ ...input, maxBytes: limits.maxBytes }, undefined, true) };
}
