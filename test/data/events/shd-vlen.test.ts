// The released SHD/SSC layout stores each sample as a variable-length row
// (float16 times, uint16 units). h5wasm cannot write that, so the file was made
// with h5py by test/fixtures/make_shd_vlen.py; the values below are the ones it wrote.
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import { readShdFile } from '../../../src/data/events/hdf5-node.js';

test('readShdFile reads the released variable-length layout (float16 times, uint16 units)', async () => {
  const f = await readShdFile(join(repoRoot(), 'test', 'fixtures', 'shd-vlen-small.h5'));
  assert.deepEqual(Array.from(f.labels), [7, 0, 19]);
  assert.equal(f.samples.length, 3);
  // float16 represents these times exactly (0.001 rounds to 0.0010004043579101562)
  const times = [[0, 0.0010004043579101562, 0.5], [0.25], [0.125, 0.75, 0.875, 1]];
  const units = [[3, 699, 0], [42], [1, 2, 3, 4]];
  f.samples.forEach((s, i) => {
    // events are sorted by time; compare as (time, unit) pairs
    const got = Array.from(s.t, (t, k) => [t, s.channel[k]!]);
    const want = times[i]!.map((t, k) => [t, units[i]![k]!]).sort((a, b) => a[0]! - b[0]!);
    assert.equal(s.t.length, want.length);
    got.forEach(([t, c], k) => {
      assert.ok(Math.abs(t! - want[k]![0]! * (s.timeUnit === 'us' ? 1e6 : 1)) < 1e-9 * Math.max(1, t!), `sample ${i} event ${k}: time ${t} vs ${want[k]![0]}`);
      assert.equal(c, want[k]![1]);
    });
  });
});
