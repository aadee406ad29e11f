import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { makeDvsEvents } from '../../src/data/events/stream.js';
import { writeEventStream } from '../../src/data/events/io-node.js';
import { countOf } from '../../src/cli/commands/events-node.js';

/* `spikeflow events info|frames` print counts with their noun in agreement ("1 event", not "1 events"). */

const bin = join(repoRoot(), 'bin', 'spikeflow.js');
const cli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('countOf agrees in number', () => {
  assert.deepEqual([0, 1, 2].map((n) => countOf(n, 'event')), ['0 events', '1 event', '2 events']);
});

test('events info and frames: "1 event", "1 recording", "1 frame"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-count-'));
  try {
    const one = join(dir, 'one.bin');
    writeEventStream(one, makeDvsEvents({ x: [3], y: [4], t: [10], p: [1], width: 34, height: 34 }), 'nmnist');
    const info = cli(['events', 'info', one]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /nmnist, 1 recording\n {2}1 event, \d+x\d+,/);
    assert.doesNotMatch(info.stdout, /\b1 (events|recordings)\b/);
    const two = join(dir, 'two.bin');
    writeEventStream(two, makeDvsEvents({ x: [3, 5], y: [4, 6], t: [10, 20], p: [1, 0], width: 34, height: 34 }), 'nmnist');
    assert.match(cli(['events', 'info', two]).stdout, /\n {2}2 events, /);
    const frames = cli(['events', 'frames', one, '--bins', '1', '--out', join(dir, 'f')]);
    assert.equal(frames.code, 0, frames.stderr);
    assert.match(frames.stdout, /^wrote 1 frame to /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
