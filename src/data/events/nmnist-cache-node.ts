import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { makeDataset, type Dataset, type SplitDataset } from '../dataset.js';
import { emulatedNmnistFeatures, emulatedNmnistKey, emulateNmnistFrames, NMNIST_SENSOR, type EmulatedNmnistSpec, type EmulatedSplit } from './nmnist-emulated.js';
import { ShapeError } from '../../errors.js';

/**
 * Disk cache for the emulated N-MNIST. Samples are generated and stored in
 * blocks of `BLOCK` consecutive samples, so a `train_limit` run generates
 * only what it needs and a later full run reuses its whole blocks.
 *
 * A block's key is (generator spec with its version, split, sample range,
 * SHA-256 of the block's source digits and labels); the file name is the
 * SHA-256 of the key, and the key is stored inside and compared on read, so
 * entries made with other parameters, another generator version or other
 * source digits are never reused. Counts are stored as u8 (u16 when a count
 * exceeds 255), deflated: the frames are mostly zeros.
 */
export const NMNIST_CACHE_BLOCK = 500;
const MAGIC = 'SFNM';

export interface EmulatedNmnistLoadOptions {
  /** Cache folder; null disables the cache (generate in memory every time). */
  cacheDir: string | null;
  trainLimit?: number | null;
  testLimit?: number | null;
  /** Progress lines (e.g. to stderr). */
  log?: (line: string) => void;
}

export interface EmulatedNmnistLoadStats {
  generated: number;
  fromCache: number;
  ms: number;
}

/** `$SPIKEFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/spikeflow`, else `~/.cache/spikeflow`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SPIKEFLOW_CACHE_DIR']) return env['SPIKEFLOW_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'spikeflow');
  return join(homedir(), '.cache', 'spikeflow');
}

/**
 * Emulated N-MNIST train/test splits from 28×28 digit splits (`source`),
 * each limited to its first `trainLimit` / `testLimit` samples, read from the
 * cache where present and generated (and stored) otherwise.
 */
export function loadEmulatedNmnist(source: SplitDataset, spec: EmulatedNmnistSpec, opts: EmulatedNmnistLoadOptions): { data: SplitDataset; stats: EmulatedNmnistLoadStats } {
  const t0 = performance.now();
  const stats: EmulatedNmnistLoadStats = { generated: 0, fromCache: 0, ms: 0 };
  const dir = opts.cacheDir === null ? null : join(opts.cacheDir, 'nmnist-emulated');
  if (dir !== null) mkdirSync(dir, { recursive: true });
  const build = (src: Dataset, split: EmulatedSplit, limit: number | null | undefined): Dataset => {
    if (src.features !== 28 * 28) throw new ShapeError(`nmnist-emulated: source '${src.name}' has ${src.features} features per sample, expected 28×28 = 784`);
    const n = limit ? Math.min(limit, src.length) : src.length;
    const F = emulatedNmnistFeatures(spec);
    const images = new Float32Array(n * F);
    for (let a = 0; a < n; a += NMNIST_CACHE_BLOCK) {
      // Entries cover [a, a + BLOCK) of the split, or a shorter prefix of it when a
      // limit ends inside the block (a later longer run regenerates that one block).
      const b = Math.min(n, a + NMNIST_CACHE_BLOCK);
      const m = b - a;
      const out = images.subarray(a * F, (a + m) * F);
      if (dir === null) {
        emulateNmnistFrames(src.images, a, a + m, spec, split, out);
        stats.generated += m;
        continue;
      }
      const key = blockKey(src, spec, split, a, b);
      const path = join(dir, createHash('sha256').update(key).digest('hex') + '.sfnm');
      const hit = existsSync(path) ? readBlock(readFileSync(path), key, m * F) : null;
      if (hit) {
        for (let i = 0; i < m * F; i++) out[i] = hit[i]!;
        stats.fromCache += m;
        continue;
      }
      emulateNmnistFrames(src.images, a, b, spec, split, out);
      writeFileAtomic(path, encodeBlock(out, key));
      stats.generated += m;
      opts.log?.(`nmnist-emulated ${split}: generated samples ${a}–${b - 1} of ${src.length}`);
    }
    return makeDataset({ name: 'nmnist-emulated', images, labels: src.labels.slice(0, n), shape: [spec.bins, 2, NMNIST_SENSOR, NMNIST_SENSOR], numClasses: src.numClasses });
  };
  const data = { train: build(source.train, 'train', opts.trainLimit), test: build(source.test, 'test', opts.testLimit) };
  stats.ms = performance.now() - t0;
  opts.log?.(`nmnist-emulated: ${data.train.length} train + ${data.test.length} test samples (${stats.generated} generated, ${stats.fromCache} from ${dir ?? 'no cache'}) in ${(stats.ms / 1000).toFixed(1)} s`);
  return { data, stats };
}

/** Cache key text of samples [a, b) of a split: spec, range and a hash of the source digits and labels. */
export function blockKey(src: Dataset, spec: EmulatedNmnistSpec, split: EmulatedSplit, a: number, b: number): string {
  const F = src.features;
  const img = src.images.subarray(a * F, b * F);
  const lab = src.labels.subarray(a, b);
  const h = createHash('sha256')
    .update(new Uint8Array(img.buffer, img.byteOffset, img.byteLength))
    .update(new Uint8Array(lab.buffer, lab.byteOffset, lab.byteLength))
    .digest('hex');
  return `${emulatedNmnistKey(spec)}|${split}|${a}-${b}|${h}`;
}

function encodeBlock(counts: Float32Array, key: string): Uint8Array {
  let max = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > max) max = counts[i]!;
  const wide = max > 255;
  const raw = wide ? Uint16Array.from(counts) : Uint8Array.from(counts);
  const body = deflateRawSync(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), { level: 1 });
  const head = new TextEncoder().encode(JSON.stringify({ key, values: counts.length, dtype: wide ? 'u16' : 'u8' }));
  const out = new Uint8Array(8 + head.length + body.length);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

/** The block's counts when the entry is intact and stored under exactly `key`; null means regenerate. */
function readBlock(buf: Buffer, key: string, values: number): Uint8Array | Uint16Array | null {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const hl = buf.readUInt32LE(4);
  if (8 + hl > buf.length) return null;
  let meta: { key?: unknown; values?: unknown; dtype?: unknown };
  try {
    meta = JSON.parse(buf.toString('utf8', 8, 8 + hl)) as typeof meta;
    if (meta.key !== key || meta.values !== values || (meta.dtype !== 'u8' && meta.dtype !== 'u16')) return null;
    const raw = inflateRawSync(buf.subarray(8 + hl));
    const bytes = meta.dtype === 'u16' ? 2 : 1;
    if (raw.length !== values * bytes) return null;
    if (bytes === 1) return new Uint8Array(raw.buffer, raw.byteOffset, values);
    const wide = new Uint16Array(values);
    new Uint8Array(wide.buffer).set(raw);
    return wide;
  } catch {
    // Corrupt entry (bad JSON or deflate stream): regenerate and overwrite.
    return null;
  }
}
