import h5wasm, { Dataset, Group, type File as H5File } from 'h5wasm';
import { FormatError } from '../../errors.js';

/*
 * h5wasm glue. h5wasm runs the HDF5 C library in WebAssembly with an in-memory
 * file system, so the same code works in Node and in browsers: bytes are
 * written to a private path, opened, and the path is always closed and
 * unlinked again, whatever happens in between.
 */

type H5Module = Awaited<typeof h5wasm.ready>;

let ready: Promise<H5Module> | null = null;
let counter = 0;

/** Load the wasm module once; HDF5 errors then throw instead of printing diagnostics to stderr. */
export function h5Module(): Promise<H5Module> {
  if (!ready) {
    ready = h5wasm.ready.then((m) => {
      m.activate_throwing_error_handler();
      return m;
    });
  }
  return ready;
}

/** First meaningful line of an HDF5 error stack (the C library prints whole stacks). */
export function h5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const minor = lines.filter((l) => l.startsWith('minor:')).map((l) => l.slice(6).trim());
  const detail = lines.find((l) => /truncated|signature|eof|not found|doesn't exist/i.test(l));
  if (detail) return detail.replace(/^#\d+:\s*\S+\s+line\s+\d+\s+in\s+/, '');
  return minor[minor.length - 1] ?? lines[0] ?? 'unknown HDF5 error';
}

function tmpPath(): string {
  counter += 1;
  return `/spikeflow-nir-${Date.now().toString(36)}-${counter}.h5`;
}

/** Open `bytes` as an HDF5 file, run `fn` on it, close and unlink. Errors name `source`. */
export async function withH5Bytes<T>(bytes: Uint8Array, source: string, fn: (f: H5File) => T): Promise<T> {
  const m = await h5Module();
  const path = tmpPath();
  m.FS.writeFile(path, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (e) {
      throw new FormatError(`${source}: not a readable HDF5 file (${h5Message(e)})`);
    }
    if (file.file_id < 0n) {
      file = null;
      throw new FormatError(`${source}: not a readable HDF5 file`);
    }
    return fn(file);
  } finally {
    if (file) {
      try {
        file.close();
      } catch {
        // the file is unlinked below anyway; a failing close must not hide the first error
      }
    }
    m.FS.unlink(path);
  }
}

/** Create an HDF5 file in memory, let `fn` fill it, and return its bytes. */
export async function buildH5Bytes(fn: (f: H5File) => void): Promise<Uint8Array> {
  const m = await h5Module();
  const path = tmpPath();
  let file: H5File | null = null;
  try {
    file = new h5wasm.File(path, 'w');
    fn(file);
    file.close();
    file = null;
    return m.FS.readFile(path);
  } finally {
    if (file) {
      try {
        file.close();
      } catch {
        // see withH5Bytes
      }
    }
    try {
      m.FS.unlink(path);
    } catch {
      // never created
    }
  }
}

export { Dataset, Group };
export type { H5File };
