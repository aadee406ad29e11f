import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ConfigError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import type { Rng } from '../../tensor/rng.js';
import type { EventStream } from './stream.js';
import { transformKey, type DenseEvents, type Transform } from './transforms/transform.js';

/** Bumped whenever a transform's output for the same parameters changes, so old caches are ignored. */
export const EVENT_CACHE_VERSION = 2;
const MAGIC = 'SFEC';

/**
 * Disk cache of transformed samples. An entry's file name is the SHA-256 of
 * (cache version, transform name + parameters, sample identity); the full key
 * text is also stored inside and compared on read, so a changed parameter or
 * a changed source file (its identity includes size and mtime) never reuses a
 * stale entry. Only deterministic transforms can be cached.
 *
 * Frames are mostly zeros and, as event counts, small integers: an entry
 * stores them as u8 (u16) when every value is an integer that fits, else as
 * f32, deflated (version 2; a whole N-MNIST split of [25, 2, 34, 34] frames
 * would otherwise take 16 GB).
 */
export class EventTransformCache {
  private readonly transformText: string;
  hits = 0;
  misses = 0;

  constructor(readonly dir: string, readonly transform: Transform<EventStream, DenseEvents>) {
    if (transform.random) throw new ConfigError(`EventTransformCache: '${transform.name}' is random; its outputs cannot be cached`);
    this.transformText = transformKey(transform);
    mkdirSync(dir, { recursive: true });
  }

  /** Identity of a source file: path, size and modification time. */
  static fileIdentity(path: string): string {
    const st = statSync(path);
    return `${path}|${st.size}|${st.mtimeMs}`;
  }

  keyText(sampleId: string): string {
    return `v${EVENT_CACHE_VERSION}|${this.transformText}|${sampleId}`;
  }

  pathFor(sampleId: string): string {
    return join(this.dir, createHash('sha256').update(this.keyText(sampleId)).digest('hex') + '.sfec');
  }

  /** The cached output for `sampleId`, or compute it from `load()` and store it. */
  get(sampleId: string, load: () => EventStream, rng?: Rng): DenseEvents {
    const path = this.pathFor(sampleId);
    const key = this.keyText(sampleId);
    const hit = existsSync(path) ? decodeEntry(readFileSync(path), key) : null;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const out = this.transform.apply(load(), rng as Rng);
    writeFileAtomic(path, encodeEntry(out, key));
    return out;
  }
}

type EntryDtype = 'u8' | 'u16' | 'f32';

function entryDtype(v: Float32Array): EntryDtype {
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!(x >= 0 && Number.isInteger(x))) return 'f32';
    if (x > max) max = x;
  }
  return max <= 0xff ? 'u8' : max <= 0xffff ? 'u16' : 'f32';
}

function encodeEntry(d: DenseEvents, key: string): Uint8Array {
  const dtype = entryDtype(d.data);
  const raw = dtype === 'u8' ? Uint8Array.from(d.data) : dtype === 'u16' ? Uint16Array.from(d.data) : d.data;
  const body = deflateRawSync(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), { level: 1 });
  const head = new TextEncoder().encode(JSON.stringify({ key, shape: d.shape, dtype }));
  const out = new Uint8Array(8 + head.length + body.length);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

/** The entry when it is intact and stored under exactly `key`; null otherwise (recompute). */
function decodeEntry(buf: Buffer, key: string): DenseEvents | null {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const hl = buf.readUInt32LE(4);
  if (8 + hl > buf.length) return null;
  let meta: { key?: unknown; shape?: unknown; dtype?: unknown };
  try {
    meta = JSON.parse(buf.toString('utf8', 8, 8 + hl)) as typeof meta;
  } catch {
    return null;
  }
  if (meta.key !== key || !Array.isArray(meta.shape) || !meta.shape.every((d) => Number.isInteger(d) && d >= 0)) return null;
  const dtype = meta.dtype;
  if (dtype !== 'u8' && dtype !== 'u16' && dtype !== 'f32') return null;
  const shape = meta.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  let raw: Buffer;
  try {
    raw = inflateRawSync(buf.subarray(8 + hl));
  } catch {
    // A corrupt deflate stream: recompute and overwrite.
    return null;
  }
  const bytes = dtype === 'u8' ? 1 : dtype === 'u16' ? 2 : 4;
  if (raw.length !== size * bytes) return null;
  // Copy into fresh, aligned buffers: inflate's output may sit at any offset.
  const aligned = new Uint8Array(raw.length);
  aligned.set(raw);
  const data = dtype === 'f32' ? new Float32Array(aligned.buffer) : Float32Array.from(dtype === 'u8' ? aligned : new Uint16Array(aligned.buffer));
  return { data, shape };
}
