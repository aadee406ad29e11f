import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChannelEvents, makeDvsEvents } from '../../src/data/events/stream.js';
import { channelRaster, polarityFrames } from '../../src/viz/events.js';
import { delayHistogram } from '../../src/viz/delays.js';
import { runPlots } from '../../src/viz/run.js';
import { repoRoot } from '../helpers.js';
import { tinyRun } from './tiny-run.js';

/*
 * Golden files: one picture of each kind, drawn from small fixed inputs and
 * compared byte for byte with test/fixtures/viz/. A change to the look of the
 * plots shows up here as a diff to review; after checking the new pictures,
 * regenerate with `SPIKEFLOW_UPDATE_GOLDEN=1 node --test dist/test/viz/golden.test.js`.
 */

const dir = join(repoRoot(), 'test', 'fixtures', 'viz');
const update = process.env.SPIKEFLOW_UPDATE_GOLDEN === '1';

function goldens(): [string, string][] {
  const out: [string, string][] = runPlots(tinyRun()).map((p) => [p.name, p.svg]);
  // A little DVS recording (a diagonal edge moving right) and a channel burst.
  const x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
  for (let k = 0; k < 8; k++) for (let r = 0; r < 8; r++) {
    x.push((r + k) % 8);
    y.push(r);
    t.push(k * 1000 + r);
    p.push(k % 2);
  }
  out.push(['events-frames.svg', polarityFrames(makeDvsEvents({ x, y, t, p, width: 8, height: 8 }), { bins: 2, title: 'Event frames: golden' })]);
  out.push(['events-raster.svg', channelRaster(makeChannelEvents({ t: [0, 0.01, 0.02, 0.05], channel: [0, 5, 9, 5], channels: 10, timeUnit: 's' }), { title: 'Channel events: golden' })]);
  out.push(['delays.svg', delayHistogram([{ layer: 'fc1', delays: [0, 1, 1, 2, 2, 2, 5], maxDelay: 5 }, { layer: 'fc2', delays: [3, 3, 4], maxDelay: 5 }])]);
  return out;
}

test('viz golden files: every plot kind matches test/fixtures/viz (SPIKEFLOW_UPDATE_GOLDEN=1 rewrites them)', () => {
  if (update) mkdirSync(dir, { recursive: true });
  const stale: string[] = [];
  for (const [name, svg] of goldens()) {
    const path = join(dir, name);
    if (update) writeFileSync(path, svg);
    else if (!existsSync(path) || readFileSync(path, 'utf8') !== svg) stale.push(name);
  }
  assert.deepEqual(stale, [], `plots differ from their golden files in ${dir}; look at the new ones, then regenerate with SPIKEFLOW_UPDATE_GOLDEN=1`);
});
