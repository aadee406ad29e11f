// Issue 18 acceptance: 20 SIGKILLs at named and random points of a training run (SPIKEFLOW_SLOW=1; skipped by `npm test`).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSameRun, NAMED_KILLS, namedKillChain, randomKills, step, writeCrashConfig } from '../cli/crash-helpers.js';

const slow = process.env.SPIKEFLOW_SLOW === '1';

test('run folder: 20 SIGKILLs (7 at named points, 13 at random times in 3 folders); every folder resumes to the uninterrupted run', { skip: !slow }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-crash-slow-'));
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
    let kills = NAMED_KILLS.length;
    // 13 random kills over 3 folders (5 + 4 + 4), each folder trying up to twice as often for its share to land.
    const share = [5, 4, 4];
    for (let f = 0; f < share.length; f++) {
      const dir = join(tmp, `random-${f}`);
      const landed = await randomKills(cfg, dir, share[f]!, 100 + f, 0.2 * runMs, 0.9 * runMs, 2 * share[f]!);
      assertSameRun(dir, reference, `random kills, folder ${f}`);
      process.stderr.write(`folder ${f}: ${landed} random kills landed\n`);
      kills += landed;
    }
    process.stderr.write(`crash test: ${kills} SIGKILLs in all (an uninterrupted run takes ${runMs} ms)\n`);
    assert.ok(kills >= 20, `only ${kills} kills landed`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
