import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/errors.js';
import { loadCifar10 } from '../../src/data/cifar-node.js';
import { writeCifar10 } from './cifar-files.js';

/*
 * A CIFAR batch file is sized before it is decoded (into 4 bytes per pixel):
 * one larger than the data budget is refused naming the file, its records
 * and the key, even when a limit would keep only a few records.
 */

test('CIFAR: a batch file over limits.data_bytes is refused from its size, before any record is decoded', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-cifarlim-'));
  try {
    const dir = writeCifar10(tmp, 4);
    assert.equal(loadCifar10(dir, { maxBytes: 4 * 3073 }).train.length, 20);
    // A 'batch' file grown to 3 GB (sparse): its size alone is over the 1 GiB default.
    const big = join(dir, 'data_batch_2.bin');
    truncateSync(big, 3073 * 1_000_000);
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(
      () => loadCifar10(dir, { trainLimit: 5 }),
      (e: unknown) => e instanceof FormatError && e.message === `${big}: file of 3.07 GB (1000000 records) is over the 1 GiB limit for one data file (limits.data_bytes)`,
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'nothing decoded');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
