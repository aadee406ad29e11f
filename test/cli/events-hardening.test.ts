import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';
import { ConfigError, FormatError, NotFoundError } from '../../src/errors.js';
import { parseSensor } from '../../src/cli/commands/events-node.js';
import { readEventFile } from '../../src/data/events/io-node.js';
import { makeDvsEvents } from '../../src/data/events/stream.js';
import { encodeEvt2 } from '../../src/data/events/formats/evt2.js';
import { encodeNpy } from '../../src/data/events/formats/npy.js';
import { ToFrame } from '../../src/data/events/transforms/frame.js';
import { renderPolarityFrame } from '../../src/data/events/render.js';
import { encodePngRgb } from '../../src/data/events/png-node.js';

/*
 * `spikeflow events` on hostile inputs: one clean line and exit 2, quickly,
 * with bounded memory and nothing written. The CLI runs in a child that
 * reports its own peak RSS, so the memory claim is measured, not assumed.
 */

const main = pathToFileURL(join(repoRoot(), 'dist', 'src', 'cli', 'main.js')).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  rssMb: number;
}

function cli(args: string[], cwd: string): Run {
  const script = `const { main } = await import(${JSON.stringify(main)}); const code = await main(${JSON.stringify(args)}); process.stderr.write('\\n@rss ' + process.resourceUsage().maxRSS + '\\n'); process.exit(code);`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t0;
  const m = /\n@rss (\d+)\n$/.exec(r.stderr);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: m ? r.stderr.slice(0, m.index) : r.stderr, ms, rssMb: m ? Number(m[1]) / 1024 : NaN };
}

function corner(c: number): Uint8Array {
  return encodeNpy(makeDvsEvents({ x: [0, c], y: [0, c], t: [1, 2], p: [1, 0], width: c + 1, height: c + 1 }));
}

test('events frames on two events at (11999, 11999) or (65534, 65534): exit 2, one line naming file and field, no frames, bounded memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-events-hard-'));
  try {
    for (const c of [11999, 65534]) {
      const file = `corner${c}.npy`;
      writeFileSync(join(dir, file), corner(c));
      const r = cli(['events', 'frames', file, '--bins', '1', '--out', 'frames'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^spikeflow: error: corner${c}\\.npy: field 'x': coordinate ${c} implies a sensor width of ${c + 1}, above the ceiling of 4096 .*--sensor WxH.*\\n$`));
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
      assert.equal(existsSync(join(dir, 'frames')), false, 'nothing written');
      assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
      assert.ok(r.rssMb < 400, `peak RSS ${r.rssMb} MB`);
    }
    // A sensor given on the command line beyond the frame budget is refused before any allocation.
    const big = cli(['events', 'frames', 'corner11999.npy', '--bins', '1', '--out', 'frames', '--sensor', '12000x12000'], dir);
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stderr, /^spikeflow: error: --sensor 12000x12000: a 12000×12000 frame needs \d+ MiB .*above the 256 MiB frame budget\n$/);
    assert.ok(big.rssMb < 400, `peak RSS ${big.rssMb} MB`);
    assert.equal(existsSync(join(dir, 'frames')), false);
    const bad = cli(['events', 'info', 'corner11999.npy', '--sensor', '70000x2'], dir);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^spikeflow: error: --sensor must be WxH with each side in \[1, 65536\] \(e\.g\. 346x260\), got '70000x2'\n$/);
    for (const v of ['12000', '0x5', 'axb', '12x']) assert.throws(() => parseSensor(v), (e: unknown) => e instanceof ConfigError && e.message.includes(`got '${v}'`));
    assert.deepEqual(parseSensor(' 346X260 '), { width: 346, height: 260 });
    // With the real size given, info reads the file.
    const info = cli(['events', 'info', 'corner11999.npy', '--sensor', '12000x12000'], dir);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /2 events, 12000x12000,/);
    const bins = cli(['events', 'frames', 'corner11999.npy', '--bins', '100000', '--out', 'frames'], dir);
    assert.equal(bins.code, 2);
    assert.match(bins.stderr, /--bins must be an integer in \[1, 10000\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events frames with --sensor draws the same frames as ToFrame, one PNG per bin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-events-hard-'));
  try {
    const n = 300;
    const s = makeDvsEvents({
      x: Array.from({ length: n }, (_, i) => (i * 7) % 30),
      y: Array.from({ length: n }, (_, i) => (i * 11) % 20),
      t: Array.from({ length: n }, (_, i) => i * 13),
      p: Array.from({ length: n }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0),
      width: 40,
      height: 24,
    });
    writeFileSync(join(dir, 'a.npy'), encodeNpy(s));
    const r = cli(['events', 'frames', 'a.npy', '--bins', '4', '--out', 'f', '--sensor', '40x24'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote 4 frames to f\n$/);
    assert.deepEqual(readdirSync(join(dir, 'f')).sort(), ['frame_0000.png', 'frame_0001.png', 'frame_0002.png', 'frame_0003.png']);
    const frames = new ToFrame({ nTimeBins: 4 }).apply(s);
    const plane = 2 * 40 * 24;
    for (let b = 0; b < 4; b++) {
      const want = encodePngRgb(renderPolarityFrame(frames.data.subarray(b * plane, (b + 1) * plane), 40, 24), 40, 24);
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'f', `frame_000${b}.png`))), want, `frame ${b}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events info on a folder, a missing file, and a headerless EVT 2.0 body: one line, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-events-hard-'));
  try {
    mkdirSync(join(dir, 'recordings'));
    const folder = cli(['events', 'info', 'recordings'], dir);
    assert.equal(folder.code, 2, folder.stderr);
    assert.equal(folder.stderr, 'spikeflow: error: recordings: is a folder; give an event file (nmnist, aedat2, aedat3, evt2, npy, hdf5)\n');
    // The same through the reader, whatever the format named; a missing path is a NotFoundError.
    await assert.rejects(readEventFile(join(dir, 'recordings'), 'hdf5'), (e: unknown) => e instanceof FormatError && /recordings: is a folder/.test(e.message));
    await assert.rejects(readEventFile(join(dir, 'nope.raw')), (e: unknown) => e instanceof NotFoundError && /nope\.raw: no such file$/.test(e.message));
    const s = makeDvsEvents({ x: [1, 2], y: [3, 4], t: [5, 6], p: [1, 0], width: 34, height: 34 });
    const whole = encodeEvt2(s);
    const end = Buffer.from(whole).indexOf('% end\n') + '% end\n'.length;
    writeFileSync(join(dir, 'body.raw'), whole.subarray(end));
    const body = cli(['events', 'info', 'body.raw'], dir);
    assert.equal(body.code, 2, body.stderr);
    assert.match(body.stderr, /^spikeflow: error: body\.raw: byte 0: no '%' header: an EVT 2\.0 file starts with header lines/);
    assert.equal(body.stderr.split('\n').length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
