import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSameRun, namedKillChain, randomKills, step, writeCrashConfig } from './crash-helpers.js';

/*
 * Crash consistency of the run folder (issue 18): a training run SIGKILLed
 * anywhere — during the first checkpoint write, right after a metrics line,
 * while the final weights are written, at a random time — goes on by
 * --resume (or by running the same command again when no checkpoint exists
 * yet) and ends with the uninterrupted run's weights, bit for bit, one
 * metrics line per epoch and no temporary file. The 20-kill version is
 * test/slow/crash-resume.test.ts.
 */

test('run folder: SIGKILLs at every named point and at random times; each folder finishes as the uninterrupted run', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-crash-'));
  try {
    const cfg = writeCrashConfig(tmp);
    const reference = join(tmp, 'reference');
    const t0 = Date.now();
    const r = step(cfg, reference);
    assert.equal(r.code, 0, r.stderr);
    const runMs = Date.now() - t0;

    const chained = join(tmp, 'chained');
    namedKillChain(cfg, chained);
    assertSameRun(chained, reference, 'named kills');

    // Kill times spread over a whole run's wall time (start-up included), seeded.
    const random = join(tmp, 'random');
    const killed = await randomKills(cfg, random, 3, 18, 0.3 * runMs, 0.9 * runMs, 5);
    assert.ok(killed >= 1, 'at least one random kill landed');
    assertSameRun(random, reference, 'random kills');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
