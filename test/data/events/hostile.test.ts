// SHD/SSC files that are not what they claim (issue 18): each ends in one
// typed error line naming the file and what is wrong, with no HDF5
// diagnostics on stderr, and nothing inside a file can make the reader open
// another file on disk.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, NumericError } from '../../../src/errors.js';
import { readShdFile } from '../../../src/data/events/hdf5-node.js';
import { buildH5Bytes, Group, type H5File } from '../../../src/io/hdf5.js';
import { repoRoot } from '../../helpers.js';
import { runCliMeasured } from '../../io/measure.js';

const VALID = join(repoRoot(), 'test', 'fixtures', 'shd-vlen-small.h5');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sf-shd-hostile-'));
}

/** Write an HDF5 file built in memory (h5wasm never touches the disk). */
async function h5(dir: string, name: string, fill: (f: H5File) => void): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await buildH5Bytes(fill));
  return path;
}

/** The flat SHD variant, with one thing changed by `tweak`. */
function flat(tweak: { times?: Float32Array | Int32Array; labels?: Uint16Array; labelShape?: number[] } = {}): (f: H5File) => void {
  return (f) => {
    const g = f.create_group('spikes') as Group;
    g.create_dataset({ name: 'times', data: tweak.times ?? Float32Array.from([0.1, 0.2]) });
    g.create_dataset({ name: 'units', data: Uint16Array.from([3, 4]) });
    g.create_dataset({ name: 'offsets', data: Uint32Array.from([0, 2]) });
    const labels = tweak.labels ?? Uint16Array.from([1]);
    f.create_dataset({ name: 'labels', data: labels, ...(tweak.labelShape ? { shape: tweak.labelShape } : {}) });
  };
}

const oneLine = (file: string, pattern: RegExp, cls: new (m: string) => Error = FormatError) => (e: unknown) =>
  e instanceof cls && e.message.startsWith(`${file}: `) && pattern.test(e.message) && !e.message.includes('\n');

test('SHD: wrong content is named: not HDF5, missing dataset, wrong dtype, wrong shape, non-finite times', async () => {
  const d = tmp();
  try {
    const junk = join(d, 'junk.h5');
    writeFileSync(junk, 'not hdf5 at all, but long enough to look like something '.repeat(20));
    await assert.rejects(readShdFile(junk), oneLine(junk, /: not an HDF5 file/));
    const noTimes = await h5(d, 'no-times.h5', (f) => {
      f.create_dataset({ name: 'labels', data: Uint16Array.from([1]) });
    });
    await assert.rejects(readShdFile(noTimes), oneLine(noTimes, /dataset 'spikes\/times' is missing/));
    const intTimes = await h5(d, 'int-times.h5', flat({ times: Int32Array.from([1, 2]) }));
    await assert.rejects(readShdFile(intTimes), oneLine(intTimes, /'spikes\/times' holds int32, expected floating-point times/));
    const flatLabels = await h5(d, 'labels-2d.h5', flat({ labels: Uint16Array.from([1]), labelShape: [1, 1] }));
    await assert.rejects(readShdFile(flatLabels), oneLine(flatLabels, /'labels' has shape \[1, 1\], expected one dimension/));
    const nan = await h5(d, 'nan.h5', flat({ times: Float32Array.from([0.1, NaN]) }));
    await assert.rejects(readShdFile(nan), oneLine(nan, /spikes\/times of sample 0 holds NaN at event 1/, NumericError));
    // The valid file still reads after all of these.
    assert.deepEqual(Array.from((await readShdFile(VALID)).labels), [7, 0, 19]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('SHD: links are refused; the file they name is never opened', async () => {
  const d = tmp();
  try {
    // Every dataset of a valid SHD file on disk, reached through external links:
    // following them would read that file (and could read any other).
    const ext = await h5(d, 'links.h5', (f) => {
      f.create_external_link(VALID, '/spikes', 'spikes');
      f.create_external_link(VALID, '/labels', 'labels');
    });
    await assert.rejects(readShdFile(ext), oneLine(ext, new RegExp(`'/spikes' is an external link to '${VALID}:/spikes'; links in HDF5 files are not followed`)));
    const soft = await h5(d, 'soft.h5', (f) => {
      flat()(f);
      f.create_group('other');
      (f.get('other') as Group).create_dataset({ name: 'labels', data: Uint16Array.from([2]) });
      f.create_soft_link('/other/labels', 'elsewhere');
      (f.get('spikes') as Group).create_soft_link('/spikes/units', 'alias');
    });
    // A soft link the reader does not need is not in its way; one it needs is refused.
    assert.equal((await readShdFile(soft)).samples.length, 1);
    const softNeeded = await h5(d, 'soft-needed.h5', (f) => {
      const g = f.create_group('spikes') as Group;
      g.create_dataset({ name: 'times', data: Float32Array.from([0.1]) });
      g.create_dataset({ name: 'u', data: Uint16Array.from([3]) });
      g.create_soft_link('/spikes/u', 'units');
      g.create_dataset({ name: 'offsets', data: Uint32Array.from([0, 1]) });
      f.create_dataset({ name: 'labels', data: Uint16Array.from([1]) });
    });
    await assert.rejects(readShdFile(softNeeded), oneLine(softNeeded, /'\/spikes\/units' is a soft link to '\/spikes\/u'/));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('CLI: events info on a non-HDF5 file and on a file of external links exits 2 with one line, no HDF5-DIAG', async () => {
  const d = tmp();
  try {
    writeFileSync(join(d, 'junk.h5'), 'not hdf5 at all');
    await h5(d, 'links.h5', (f) => {
      f.create_external_link(VALID, '/spikes', 'spikes');
      f.create_external_link(VALID, '/labels', 'labels');
    });
    for (const [file, why] of [['junk.h5', /: not an HDF5 file/], ['links.h5', /'\/spikes' is an external link/]] as const) {
      const m = runCliMeasured(d, ['events', 'info', file]);
      assert.equal(m.status, 2, `${file}: exit ${m.status}, stderr ${m.stderr}`);
      assert.equal(m.stdout, '');
      assert.doesNotMatch(m.stderr, /HDF5-DIAG/);
      const lines = m.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(lines.length, 1, `${file}: stderr has ${lines.length} lines:\n${m.stderr}`);
      assert.match(lines[0]!, new RegExp(`^spikeflow: error: ${file}: `));
      assert.match(lines[0]!, why);
      assert.ok(m.ms < 5000, `${file}: ${Math.round(m.ms)} ms`);
      assert.ok(m.maxRssMiB < 512, `${file}: peak memory ${m.maxRssMiB.toFixed(0)} MiB`);
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
