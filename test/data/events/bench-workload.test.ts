import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import type { BenchReport } from '../../../bench/lib/types.js';

/* `npm run bench -- --quick --workload g`: the event-transform workload runs once (not per backend) and reports ms per 1M events against 50 ms. */

test('bench --quick --workload g reports ToFrame and ToVoxelGrid on 1M events against the 50 ms target', () => {
  const out = mkdtempSync(join(tmpdir(), 'sf-bench-g-'));
  try {
    // No --no-torch: workload g has no PyTorch reference, so the suite must not start Python for it.
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'bench', 'run.js'), '--quick', '--workload', 'g', '--json', '--out', out], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as BenchReport;
    assert.deepEqual(rep.workloads, ['g']);
    assert.deepEqual(rep.failures, []);
    assert.match(rep.torch.message, /no selected workload has a PyTorch reference/);
    assert.deepEqual(rep.results.map((c) => c.case), ['toframe-ntimebins-10', 'toframe-timewindow-50000us', 'tovoxelgrid-10']);
    for (const c of rep.results) {
      assert.equal(c.workload, 'g');
      assert.equal(c.backend, 'none', 'run once, labelled backend-independent');
      assert.ok(c.minMs > 0 && c.minMs <= c.medianMs && c.medianMs <= c.maxMs);
      assert.equal(c.extra['events'], 1_000_000);
      assert.equal(c.extra['targetMs'], 50);
      assert.ok(Math.abs((c.extra['msPer1MEvents'] as number) - c.medianMs) < 0.01);
      assert.equal(c.extra['meetsTarget'], c.medianMs < 50);
    }
    assert.match(readFileSync(join(out, 'latest.md'), 'utf8'), /## \(g\) event representations/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
