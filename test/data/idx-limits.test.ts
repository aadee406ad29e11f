import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError, NumericError } from '../../src/errors.js';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';
import { readIdxFile } from '../../src/data/idx-node.js';
import { runMeasured, REFUSAL } from '../cli/measured-run.js';

/*
 * IDX headers are not trusted: a small gzip file that declares millions of
 * images is refused from its header, before it is inflated; a stream that
 * inflates past what its header declares stops there; float data must be
 * finite. The CLI case measures time and peak memory in the child process.
 */

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-idxlim-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** An IDX ubyte header for `dims` followed by `payload` (which need not match). */
function idx(dims: number[], payload: Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function write(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** 3,000,000 images of 28×28 declared, 2 MB of incompressible data behind the header, gzipped. */
function bomb(): Uint8Array {
  return gzipSync(idx([3_000_000, 28, 28], randomBytes(2 << 20)));
}

test('IDX: a gzip file declaring 3,000,000 images is refused from its header, naming the file, the dims and the limit', () => {
  const p = write(tmp, 'train-images-idx3-ubyte.gz', bomb());
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () => readIdxFile(p),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.startsWith(`${p}: header (dimensions at offset 4) declares [3000000, 28, 28] uint8 (2.35 GB) of data, over the 1 GiB limit for one data file (limits.data_bytes)`),
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'not inflated');
  // Under a raised limit the header still cannot be true: 2 MB of gzip cannot inflate to 2.35 GB.
  assert.throws(() => readIdxFile(p, { maxBytes: 4e9 }), (e: unknown) => e instanceof FormatError && e.message.includes('more than a gzip file of 2.10 MB can inflate to'));
  // And a lower limit applies to honest files too.
  const small = write(tmp, 'small.gz', gzipSync(idx([10, 28, 28], new Uint8Array(7840))));
  assert.equal(readIdxFile(small).dims[0], 10);
  assert.throws(() => readIdxFile(small, { maxBytes: 4096 }), /small\.gz: header .* declares \[10, 28, 28\] uint8 \(7\.84 kB\) of data, over the 4 KiB limit/);
});

test('IDX: a gzip stream that inflates past its declared size stops one byte past it', () => {
  // 10 images declared, 64 MB of zeros behind them (64 kB compressed): inflating it all would take 64 MB.
  const p = write(tmp, 'long.gz', gzipSync(idx([10, 28, 28], new Uint8Array(64 << 20))));
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => readIdxFile(p), (e: unknown) => e instanceof FormatError && e.message.startsWith(`${p}: the gzip stream inflates past the 7856 bytes its header declares ([10, 28, 28] uint8 (7.84 kB)): unexpected trailing data at offset 7856`));
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'stopped at the declared size');
});

test('IDX: an uncompressed file is checked against its size before it is read', () => {
  const p = write(tmp, 'short-idx3-ubyte', idx([3_000_000, 28, 28], new Uint8Array(100)));
  assert.throws(() => readIdxFile(p), /declares \[3000000, 28, 28\] uint8 \(2\.35 GB\) of data, over the 1 GiB limit/);
  assert.throws(() => readIdxFile(p, { maxBytes: 4e9 }), (e: unknown) => e instanceof FormatError && e.message.includes('truncated IDX data at offset 116') && e.message.includes('file has 100'));
  assert.throws(() => readIdxFile(tmp), (e: unknown) => e instanceof FormatError && e.message === `${tmp}: not a regular file (a directory)`);
  // The pure parser takes the same budget.
  assert.throws(() => parseIdx(idx([1000, 1000], new Uint8Array(0)), 'mem.idx', undefined, { maxBytes: 1000 }), /mem\.idx: header .* \[1000, 1000\] uint8 \(1\.00 MB\) of data, over the 1\.00 kB limit/);
});

test('IDX float data holding NaN or Infinity is a NumericError naming the file, the element and its offset', () => {
  const data = Float32Array.from([0, 0.5, 1, 0.25, NaN, 0, Infinity, 1]);
  const bytes = encodeIdx({ dtype: 'float32', dims: [2, 2, 2], data });
  assert.throws(
    () => parseIdx(bytes, 'float-images.idx'),
    (e: unknown) => e instanceof NumericError && e.message.startsWith('float-images.idx: float32 element 4, sample 1 (byte offset 32) is NaN (2 of 8 elements are not finite)'),
  );
  const f64 = encodeIdx({ dtype: 'float64', dims: [2], data: Float64Array.from([1, -Infinity]) });
  assert.throws(() => parseIdx(f64, 'v.idx'), /v\.idx: float64 element 1 \(byte offset 16\) is -Infinity/);
});

test('CLI: train on an IDX folder whose images declare 3,000,000 images exits 2 within 5 s under 512 MB and leaves no run folder', () => {
  const dir = join(tmp, 'idx-bomb');
  write(dir, 'train-images-idx3-ubyte.gz', bomb());
  write(dir, 'train-labels-idx1-ubyte', idx([4], Uint8Array.from([0, 1, 2, 3])));
  write(dir, 't10k-images-idx3-ubyte', idx([2, 28, 28], new Uint8Array(2 * 784)));
  write(dir, 't10k-labels-idx1-ubyte', idx([2], Uint8Array.from([0, 1])));
  const cwd = join(tmp, 'cwd');
  mkdirSync(cwd);
  const r = runMeasured(['train', '--set', 'data.dataset=idx', '--data-dir', dir, '--out', 'run', '--quiet'], cwd);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^spikeflow: error: .*train-images-idx3-ubyte\.gz: header \(dimensions at offset 4\) declares \[3000000, 28, 28\] uint8 \(2\.35 GB\) of data, over the 1 GiB limit for one data file \(limits\.data_bytes\)/);
  assert.ok(r.seconds < REFUSAL.seconds, `took ${r.seconds.toFixed(2)} s`);
  assert.ok(r.maxRssBytes < REFUSAL.maxRssBytes, `peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  assert.deepEqual(readdirSync(cwd), [], 'nothing written');
  // The budget is the config's limits.data_bytes: honest files over a small one are refused the same way.
  const honest = join(tmp, 'idx-honest');
  write(honest, 'train-images-idx3-ubyte', idx([4, 28, 28], new Uint8Array(4 * 784)));
  write(honest, 'train-labels-idx1-ubyte', idx([4], Uint8Array.from([0, 1, 2, 3])));
  write(honest, 't10k-images-idx3-ubyte', idx([2, 28, 28], new Uint8Array(2 * 784)));
  write(honest, 't10k-labels-idx1-ubyte', idx([2], Uint8Array.from([0, 1])));
  const small = runMeasured(['train', '--set', 'data.dataset=idx', '--set', 'limits.data_bytes=3000', '--data-dir', honest, '--out', 'run', '--quiet'], cwd);
  assert.equal(small.code, 2, small.stderr);
  assert.match(small.stderr, /train-images-idx3-ubyte: header \(dimensions at offset 4\) declares \[4, 28, 28\] uint8 \(3\.14 kB\) of data, over the 3\.00 kB limit for one data file \(limits\.data_bytes\)$/);
  assert.deepEqual(readdirSync(cwd), [], 'nothing written');
});
