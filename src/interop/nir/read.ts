import { hdf5Sandbox } from '../../io/hdf5.js';
import { readNirBytes, type NirReadOutput } from './read-job.js';
import type { NirDocument } from './types.js';

export interface ReadNirOptions {
  /** Name used in error messages (a file path). Default '<nir bytes>'. */
  source?: string;
  /** Skip unknown node types and fields with a warning instead of failing. Default false. */
  lenient?: boolean;
  /** Receives the lenient mode's warnings (default: collected in the result only). In Node they arrive once the file is read. */
  onWarning?: (message: string) => void;
  /** Node: give up reading after this many milliseconds (default 1 s plus 1 s per 4 MiB; env SPIKEFLOW_HDF5_TIMEOUT_S sets the 1). */
  timeoutMs?: number;
  /** Memory budget of the HDF5 library in MiB (default 256 plus 4 × the file size; env SPIKEFLOW_HDF5_MEMORY_MB sets the 256). */
  memoryMiB?: number;
}

export interface ReadNirResult extends NirDocument {
  warnings: string[];
}

/** In a browser, where the file is read in the calling thread: the dataset-size budget. */
const IN_THREAD_MIB = 256;

/**
 * Parse the bytes of a .nir (HDF5) file. Throws FormatError naming the node and
 * field on any problem. In Node the HDF5 library runs in a worker thread with
 * a time and memory budget (io/hdf5-sandbox-node.ts), so a damaged file ends
 * in a FormatError instead of a hang or a crashed library; in a browser it
 * runs in the calling thread (the playground calls it from a worker of its own).
 */
export async function readNir(bytes: Uint8Array, opts: ReadNirOptions = {}): Promise<ReadNirResult> {
  const source = opts.source ?? '<nir bytes>';
  const lenient = opts.lenient ?? false;
  const sandbox = await hdf5Sandbox();
  let out: NirReadOutput;
  if (sandbox) {
    out = await sandbox.run<NirReadOutput>({
      job: 'nir',
      input: { bytes, source, lenient },
      source,
      size: bytes.length,
      timeoutMs: opts.timeoutMs,
      memoryMiB: opts.memoryMiB,
    });
    for (const w of out.warnings) opts.onWarning?.(w);
  } else {
    out = await readNirBytes({ bytes, source, lenient, maxBytes: (opts.memoryMiB ?? IN_THREAD_MIB) * 2 ** 20 }, opts.onWarning);
  }
  return { ...out.doc, warnings: out.warnings };
}
