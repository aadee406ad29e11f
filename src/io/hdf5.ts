import h5wasm, { Dataset, Group, type File as H5File } from 'h5wasm';
import { FormatError, SpikeflowError } from '../errors.js';

/*
 * h5wasm glue shared by the NIR and SHD readers, browser-safe. h5wasm runs the
 * HDF5 C library in WebAssembly over an in-memory file system (this is the
 * package's ESM build, not `h5wasm/node`, whose file system is the whole
 * disk): bytes are written to a private path, opened, and the path is always
 * closed and unlinked again. Reading untrusted files adds three rules here:
 * links are refused before HDF5 can follow them (hardChild), a dataset whose
 * declared size is over the memory budget is refused before it is read
 * (checkDatasetSize), and an instance that trapped is never used again
 * (markTrapped; in Node every read runs in a worker that is replaced instead,
 * io/hdf5-sandbox-node.ts).
 */

type H5Module = Awaited<typeof h5wasm.ready>;

let ready: Promise<H5Module> | null = null;
let counter = 0;
let trapped: string | null = null;

/** Load the wasm module once; HDF5 errors then throw instead of printing diagnostics to stderr. */
export function h5Module(): Promise<H5Module> {
  if (trapped !== null) {
    // The C library's heap and stack may be corrupt after a trap; h5wasm keeps one
    // instance per JavaScript realm, so only a fresh realm (a new worker) can read again.
    return Promise.reject(new FormatError(`the HDF5 library crashed earlier in this thread (on ${trapped}) and cannot be used again here; restart to read HDF5 files`));
  }
  if (!ready) {
    ready = h5wasm.ready.then((m) => {
      m.activate_throwing_error_handler();
      return m;
    });
  }
  return ready;
}

/**
 * A WebAssembly trap (out-of-bounds access, `unreachable`, Emscripten abort) or
 * a stack overflow, which may have unwound the C stack too: the instance is
 * unusable afterwards.
 */
export function isTrap(e: unknown): boolean {
  // WebAssembly.RuntimeError, by name: the root tsconfig has no DOM lib, which declares the class.
  if (e instanceof Error && e.name === 'RuntimeError') return true;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return true;
  return e instanceof Error && /^(RuntimeError|Aborted\()/.test(e.message);
}

/** Note that this realm's instance trapped while reading `source` (later calls refuse; see h5Module). */
export function markTrapped(source: string): void {
  trapped = source;
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

/**
 * Wrap a failure of the HDF5 library as a one-line FormatError naming `source`.
 * Typed errors pass unchanged, and so do traps: the caller must see those to
 * throw the instance away.
 */
export function asFormatError(e: unknown, source: string, what: string): unknown {
  if (e instanceof SpikeflowError || isTrap(e)) return e;
  return new FormatError(`${source}: ${what} (${h5Message(e)})`);
}

/** The HDF5 superblock signature sits at byte 0 or at 512, 1024, 2048, ... (after a user block). */
export function hdf5SignatureAt(bytes: Uint8Array): number | null {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (sig.every((b, i) => bytes[at + i] === b)) return at;
  }
  return null;
}

function tmpPath(): string {
  counter += 1;
  return `/spikeflow-h5-${Date.now().toString(36)}-${counter}.h5`;
}

export interface OpenOptions {
  /** Let the in-memory file system keep `bytes` instead of copying (the caller gives them up). */
  canOwn?: boolean;
}

/** Open `bytes` as an HDF5 file, run `fn` on it, close and unlink. Errors name `source`. */
export async function withH5Bytes<T>(bytes: Uint8Array, source: string, fn: (f: H5File) => T, opts: OpenOptions = {}): Promise<T> {
  if (hdf5SignatureAt(bytes) === null) throw new FormatError(`${source}: not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, ...)`);
  const m = await h5Module();
  const path = tmpPath();
  // canOwn is an Emscripten MEMFS option that h5wasm's types leave out.
  (m.FS.writeFile as (p: string, d: Uint8Array, o: { canOwn?: boolean }) => void)(path, bytes, { canOwn: opts.canOwn === true });
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (e) {
      throw asFormatError(e, source, 'not a readable HDF5 file');
    }
    if (file.file_id < 0n) {
      file = null;
      throw new FormatError(`${source}: not a readable HDF5 file`);
    }
    return fn(file);
  } catch (e) {
    if (isTrap(e)) {
      markTrapped(source);
      file = null; // closing would run more code on a corrupt instance
    }
    throw e;
  } finally {
    releaseFile(m, file, path);
  }
}

/**
 * Close (if still open) and unlink an in-memory file, ignoring failures: a
 * failing close or unlink must not hide the error that got here, and an
 * instance that trapped is never used again anyway.
 */
function releaseFile(m: H5Module, file: H5File | null, path: string): void {
  if (file) {
    try {
      file.close();
    } catch {
      // unlinked below anyway
    }
  }
  try {
    m.FS.unlink(path);
  } catch {
    // never created, or a trapped instance
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
    releaseFile(m, file, path);
  }
}

/**
 * The object linked as `key` in group `g`, or null if there is none, refusing
 * anything but a hard link: HDF5 follows external links into other files (on
 * a real file system, any path on disk) and soft links to wherever they point,
 * so a link is reported, naming the file and the link, before anything can
 * follow it. Names with '/' are refused too: they would walk through other
 * links on the way.
 */
export function hardChild(g: Group, key: string, source: string): Dataset | Group | null {
  const base = g.path === '/' ? '' : g.path;
  if (key.length === 0 || key.includes('/') || key === '.') throw new FormatError(`${source}: '${base}/' holds a link named '${key}', which is not a plain name`);
  // The link functions below throw (through HDF5's error stack) on a name that is not there.
  if (!g.keys().includes(key)) return null;
  const path = `${base}/${key}`;
  const soft = g.get_link(path) as string | null;
  if (soft !== null) throw new FormatError(`${source}: '${path}' is a soft link to '${soft}'; links in HDF5 files are not followed`);
  const ext = g.get_external_link(path) as { filename?: string; obj_path?: string };
  if (ext.filename !== undefined) throw new FormatError(`${source}: '${path}' is an external link to '${ext.filename}:${ext.obj_path ?? ''}'; links in HDF5 files are not followed`);
  const e = g.get(path);
  if (e instanceof Dataset) {
    const sources = e.metadata.virtual_sources;
    if (sources && sources.length > 0) throw new FormatError(`${source}: dataset '${path}' is a virtual dataset over '${sources[0]!.file_name}'; data in other files is not read`);
    return e;
  }
  if (e instanceof Group) return e;
  return null;
}

/** Refuse to read a dataset whose declared size (shape × element size) is over `maxBytes`. */
export function checkDatasetSize(d: Dataset, maxBytes: number, source: string): void {
  const meta = d.metadata;
  const shape = (meta.shape ?? []).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * Math.max(1, meta.size);
  if (!Number.isFinite(bytes) || bytes > maxBytes) {
    throw new FormatError(`${source}: dataset '${d.path}' declares shape [${shape.join(', ')}] of ${meta.size}-byte values (${mib(bytes)}), more than the ${mib(maxBytes)} one dataset may take (half the memory budget; SPIKEFLOW_HDF5_MEMORY_MB raises it)`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
}

export { Dataset, Group };
export type { H5File };

/** The readers the sandbox can run (io/hdf5-sandbox-node.ts maps each to its module and function). */
export type Hdf5JobName = 'nir' | 'shd';

/**
 * One read of an untrusted HDF5 file in the Node sandbox (io/hdf5-sandbox-node.ts):
 * the job's function runs in a worker on `input` (structured-cloned) with
 * `{ maxBytes }`, the dataset-size budget, and resolves to `{ value, transfer? }`.
 */
export interface Hdf5JobRequest {
  job: Hdf5JobName;
  input: unknown;
  transfer?: ArrayBuffer[];
  /** The file named in errors (a path, or a name given by the caller). */
  source: string;
  /** The file's size in bytes (the default budgets grow with it). */
  size: number;
  /** Wall-time budget; default 1 s (SPIKEFLOW_HDF5_TIMEOUT_S) plus 1 s per 4 MiB of file. */
  timeoutMs?: number | undefined;
  /** Memory budget of the WebAssembly heap; default 256 MiB (SPIKEFLOW_HDF5_MEMORY_MB) plus 4 × the file size. */
  memoryMiB?: number | undefined;
}

export interface Hdf5Sandbox {
  run<T>(job: Hdf5JobRequest): Promise<T>;
}

/*
 * The Node-only sandbox is reached through package.json "imports" by a
 * specifier held in a variable: bundlers leave a computed import() alone, so a
 * browser bundle neither includes it nor needs `import.meta` (which an IIFE
 * bundle cannot provide).
 */
const SANDBOX_SPECIFIER = '#spikeflow/hdf5-sandbox';

/** The worker sandbox where this is Node (null in a browser, where the caller reads in its own thread). */
export async function hdf5Sandbox(): Promise<Hdf5Sandbox | null> {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  if (typeof proc?.versions?.node !== 'string') return null;
  const m = (await import(/* @vite-ignore */ SANDBOX_SPECIFIER)) as { sandbox: Hdf5Sandbox };
  return m.sandbox;
}
