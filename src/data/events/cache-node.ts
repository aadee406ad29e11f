import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import type { Rng } from '../../tensor/rng.js';
import type { EventStream } from './stream.js';
import { transformKey, type DenseEvents, type Transform } from './transforms/transform.js';

/** Bumped whenever a transform's output for the same parameters changes, so old caches are ignored. */
export const EVENT_CACHE_VERSION = 1;
const MAGIC = 'SFEC';

/**
 * Disk cache of transformed samples. An entry's file name is the SHA-256 of
 * (cache version, transform name + parameters, sample identity); the full key
 * text is also stored inside and compared on read, so a changed parameter or
 * a changed source file (its identity includes size and mtime) never reuses a
 * stale entry. Only deterministic transforms can be cached.
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

function encodeEntry(d: DenseEvents, key: string): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify({ key, shape: d.shape }));
  // Pad so the float data starts on a 4-byte boundary and can be viewed in place.
  const pad = (4 - ((8 + head.length) % 4)) % 4;
  const out = new Uint8Array(8 + head.length + pad + d.data.byteLength);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, head.length + pad, true);
  out.set(head, 8);
  out.fill(0x20, 8 + head.length, 8 + head.length + pad);
  out.set(new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength), 8 + head.length + pad);
  return out;
}

/** The entry when it is intact and stored under exactly `key`; null otherwise (recompute). */
function decodeEntry(buf: Buffer, key: string): DenseEvents | null {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const hl = buf.readUInt32LE(4);
  if (8 + hl > buf.length) return null;
  let meta: { key?: unknown; shape?: unknown };
  try {
    meta = JSON.parse(buf.toString('utf8', 8, 8 + hl)) as { key?: unknown; shape?: unknown };
  } catch {
    return null;
  }
  if (meta.key !== key || !Array.isArray(meta.shape) || !meta.shape.every((d) => Number.isInteger(d) && d >= 0)) return null;
  const shape = meta.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length - 8 - hl !== size * 4) return null;
  const data = new Float32Array(size);
  new Uint8Array(data.buffer).set(buf.subarray(8 + hl));
  return { data, shape };
}
