import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-node.js';
import { writeShdFile } from '../../data/events/hdf5-node.js';
import { parseFormat, readEventFile, writeEventStream } from '../../data/events/io-node.js';
import { encodePngRgb } from '../../data/events/png-node.js';
import { renderPolarityFrame } from '../../data/events/render.js';
import type { AnyEventFormat } from '../../data/events/formats/registry.js';
import { timeSpan, type DvsEvents, type EventStream } from '../../data/events/stream.js';
import { computeSlices } from '../../data/events/transforms/slicing.js';

/** Summary of one stream, as printed by `events info`. */
export interface StreamInfo {
  kind: 'dvs' | 'channel';
  events: number;
  sensor: string;
  timeUnit: string;
  tStart: number;
  tEnd: number;
  span: number;
  on?: number;
  off?: number;
  activeChannels?: number;
}

export function streamInfo(s: EventStream): StreamInfo {
  const [a, b] = timeSpan(s);
  const base = { events: s.t.length, timeUnit: s.timeUnit, tStart: a, tEnd: b, span: b - a };
  if (s.kind === 'dvs') {
    let on = 0;
    for (let i = 0; i < s.p.length; i++) on += s.p[i]!;
    return { kind: 'dvs', sensor: `${s.width}x${s.height}`, ...base, on, off: s.t.length - on };
  }
  const seen = new Uint8Array(s.channels);
  for (let i = 0; i < s.channel.length; i++) seen[s.channel[i]!] = 1;
  return { kind: 'channel', sensor: `${s.channels} channels`, ...base, activeChannels: seen.reduce((n, v) => n + v, 0) };
}

/** `1 event`, `2 events`: a count with its noun in agreement (English plural by `s`). */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The sensor size from `--sensor WxH`, each side in [1, 65536] (the coordinate range of a stream). */
export function parseSensor(v: string | undefined): { width: number; height: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/i.exec(v.trim());
  const width = m ? Number(m[1]) : NaN, height = m ? Number(m[2]) : NaN;
  if (!(width >= 1 && width <= 65536 && height >= 1 && height <= 65536)) throw new ConfigError(`--sensor must be WxH with each side in [1, 65536] (e.g. 346x260), got '${v}'`);
  return { width, height };
}

/** `events frames` draws one frame at a time and holds no more than this for it. */
export const FRAME_BUDGET_BYTES = 256 * 2 ** 20;
/** More bins than this is a typo, not a film: each bin is a PNG file. */
export const MAX_FRAME_BINS = 10_000;

/** Bytes one frame of a width × height sensor takes: ON/OFF counts (float32), the RGB image and the PNG's raw rows. */
export function frameBytes(width: number, height: number): number {
  return width * height * (2 * 4 + 3 + 3) + height;
}

/**
 * Refuse, before anything is allocated, a frame larger than FRAME_BUDGET_BYTES.
 * A sensor read from the file is bounded already (MAX_INFERRED_SENSOR), so this
 * catches sizes given with --sensor (a ConfigError) or raised through the API.
 */
export function checkFrameBudget(s: DvsEvents, file: string, sensorGiven = false): void {
  const need = frameBytes(s.width, s.height);
  if (need <= FRAME_BUDGET_BYTES) return;
  const what = `a ${s.width}×${s.height} frame needs ${Math.ceil(need / 2 ** 20)} MiB (counts, image, PNG rows), above the ${FRAME_BUDGET_BYTES / 2 ** 20} MiB frame budget`;
  if (sensorGiven) throw new ConfigError(`--sensor ${s.width}x${s.height}: ${what}`);
  throw new FormatError(`${file}: sensor ${s.width}×${s.height} (width, height): ${what}; pass a smaller --sensor`);
}

export interface EventsInfoOptions {
  format?: string;
  json?: boolean;
  /** Sensor size WxH of DVS files (default: from the header or the coordinates, at most 4096 a side). */
  sensor?: string;
}

export async function runEventsInfo(file: string, opts: EventsInfoOptions): Promise<void> {
  const fmt = opts.format ? parseFormat(opts.format, '--format') : undefined;
  const { format, streams, labels } = await readEventFile(file, fmt, parseSensor(opts.sensor));
  const infos = streams.map(streamInfo);
  if (opts.json) {
    const out = streams.length === 1 && !labels ? { file, format, ...infos[0]! } : { file, format, samples: infos.length, labels: labels ? Array.from(labels) : undefined, streams: infos };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const lines = [`${file}: ${format}, ${countOf(streams.length, 'recording')}`];
  infos.slice(0, 20).forEach((s, i) => {
    const counts = s.kind === 'dvs' ? `ON ${s.on}, OFF ${s.off}` : countOf(s.activeChannels ?? 0, 'active channel');
    lines.push(`${streams.length > 1 ? `  [${i}]${labels ? ` label ${labels[i]}` : ''} ` : '  '}${countOf(s.events, 'event')}, ${s.sensor}, t ${s.tStart}..${s.tEnd} ${s.timeUnit} (span ${s.span}), ${counts}`);
  });
  if (infos.length > 20) lines.push(`  … ${infos.length - 20} more`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** Format implied by an output file name. */
export function formatFromName(path: string): AnyEventFormat | null {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const map: Record<string, AnyEventFormat> = { bin: 'nmnist', aedat: 'aedat2', aedat2: 'aedat2', aedat3: 'aedat3', raw: 'evt2', npy: 'npy', h5: 'hdf5', hdf5: 'hdf5' };
  return ext ? (map[ext] ?? null) : null;
}

export interface EventsConvertOptions {
  from?: string;
  to?: string;
  sensor?: string;
  /** For HDF5 inputs going to a single-recording format: which sample (default 0). */
  sample?: string;
}

export async function runEventsConvert(input: string, output: string, opts: EventsConvertOptions): Promise<void> {
  const from = opts.from ? parseFormat(opts.from, '--from') : undefined;
  const to = opts.to ? parseFormat(opts.to, '--to') : formatFromName(output);
  if (!to) throw new ConfigError(`${output}: cannot tell the output format from the name; pass --to (nmnist, aedat2, aedat3, evt2, npy, hdf5)`);
  const { streams, labels } = await readEventFile(input, from, parseSensor(opts.sensor));
  if (to === 'hdf5') {
    if (streams.some((s) => s.kind !== 'channel')) throw new FormatError(`${output}: the HDF5 (SHD) layout holds channel events; ${input} has DVS events`);
    await writeShdFile(output, streams.filter((s) => s.kind === 'channel'), labels ?? new Int32Array(streams.length));
    return;
  }
  const k = Number(opts.sample ?? 0);
  const s = streams[k];
  if (!Number.isInteger(k) || !s) throw new ConfigError(`--sample ${opts.sample}: ${input} has ${countOf(streams.length, 'recording')}`);
  writeEventStream(output, s, to);
}

export interface EventsFramesOptions {
  bins: string;
  out: string;
  format?: string;
  sample?: string;
  sensor?: string;
}

/**
 * Write `bins` PNG frames (ON red, OFF blue, on black) to `out`; returns the
 * file names. Each frame holds the ON/OFF counts of one of `bins` equal time
 * windows (ToFrame's nTimeBins windows), drawn one at a time so memory is one
 * frame's whatever the number of bins, and checked against the frame budget
 * before the first allocation.
 */
export async function runEventsFrames(file: string, opts: EventsFramesOptions): Promise<string[]> {
  const bins = Number(opts.bins);
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_FRAME_BINS) throw new ConfigError(`--bins must be an integer in [1, ${MAX_FRAME_BINS}], got '${opts.bins}'`);
  const fmt = opts.format ? parseFormat(opts.format, '--format') : undefined;
  const sensor = parseSensor(opts.sensor);
  const { streams } = await readEventFile(file, fmt, sensor);
  const k = Number(opts.sample ?? 0);
  const s = streams[k];
  if (!s) throw new ConfigError(`--sample ${opts.sample}: ${file} has ${countOf(streams.length, 'recording')}`);
  if (s.kind !== 'dvs') throw new FormatError(`${file}: frames are drawn from DVS events (x, y, polarity); this file has channel events`);
  checkFrameBudget(s, file, sensor !== undefined);
  const { starts, ends } = computeSlices(s, { nTimeBins: bins });
  const W = s.width, H = s.height, plane = W * H;
  const counts = new Float32Array(2 * plane);
  mkdirSync(opts.out, { recursive: true });
  const names: string[] = [];
  for (let b = 0; b < bins; b++) {
    counts.fill(0);
    for (let i = starts[b]!, e = ends[b]!; i < e; i++) counts[s.p[i]! * plane + s.y[i]! * W + s.x[i]!]! += 1;
    const rgb = renderPolarityFrame(counts, W, H);
    const name = `frame_${String(b).padStart(4, '0')}.png`;
    writeFileAtomic(join(opts.out, name), encodePngRgb(rgb, W, H));
    names.push(name);
  }
  return names;
}

const SENSOR_HELP = 'sensor size of DVS input, e.g. 346x260 (default: from the file header or the coordinates, refused above 4096 a side)';

/** Add `events info|convert|frames` to a commander program. */
export function registerEventsCommands(program: Command): void {
  const events = program.command('events').description('inspect, convert and render event-camera / spike recordings');
  events
    .command('info <file>')
    .description('event count, sensor size, time span, polarity or channel counts')
    .option('-f, --format <format>', 'nmnist, aedat2, aedat3, evt2, npy, hdf5 (default: detected)')
    .option('--sensor <WxH>', SENSOR_HELP)
    .option('--json', 'print as JSON')
    .action(async (file: string, opts: EventsInfoOptions) => {
      await runEventsInfo(file, opts);
    });
  events
    .command('convert <input> <output>')
    .description('convert between event formats (written atomically)')
    .option('--from <format>', 'input format (default: detected)')
    .option('--to <format>', 'output format (default: from the output extension)')
    .option('--sample <n>', 'recording of a multi-sample (HDF5) input to write (default 0)')
    .option('--sensor <WxH>', SENSOR_HELP)
    .action(async (input: string, output: string, opts: EventsConvertOptions) => {
      await runEventsConvert(input, output, opts);
    });
  events
    .command('frames <file>')
    .description('render N time-bin frames as PNG (ON red, OFF blue, on black)')
    .requiredOption('--bins <n>', `number of equal time bins (1 to ${MAX_FRAME_BINS})`)
    .requiredOption('--out <dir>', 'folder for frame_NNNN.png')
    .option('-f, --format <format>', 'input format (default: detected)')
    .option('--sample <n>', 'recording of a multi-sample input (default 0)')
    .option('--sensor <WxH>', SENSOR_HELP)
    .action(async (file: string, opts: EventsFramesOptions) => {
      const names = await runEventsFrames(file, opts);
      process.stdout.write(`wrote ${countOf(names.length, 'frame')} to ${opts.out}\n`);
    });
}
