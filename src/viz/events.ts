import { ShapeError } from '../errors.js';
import { SECONDS_PER_UNIT, type ChannelEvents, type DvsEvents, type TimeUnit } from '../data/events/stream.js';
import { drawPanel, figure, grid, legend, panel } from './frame.js';
import { el, text } from './svg.js';
import { AXIS, FONT_SIZE, OKABE_ITO } from './style.js';

/** Milliseconds per unit of a stream's timestamps. */
function msPer(unit: TimeUnit): number {
  return SECONDS_PER_UNIT[unit] * 1000;
}

const ON = OKABE_ITO.vermillion;
const OFF = OKABE_ITO.blue;
/** Opacity levels a pixel's count is rounded to, so equal neighbours merge into one rect. */
const LEVELS = 4;

/**
 * Per-bin ON and OFF counts of a DVS stream cut into `bins` equal time bins
 * over its first to last event: `[bins, 2, H, W]` with channel 0 OFF, 1 ON
 * (the order of the library's ToFrame), and the bins' edges in stream units.
 */
export function binPolarity(s: DvsEvents, bins: number): { counts: Float32Array; edges: number[] } {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new ShapeError(`binPolarity: bins must be a positive integer, got ${bins}`);
  const n = s.t.length;
  const t0 = n ? s.t[0]! : 0, t1 = n ? s.t[n - 1]! : 0;
  const span = t1 - t0;
  const plane = s.width * s.height;
  const counts = new Float32Array(bins * 2 * plane);
  for (let i = 0; i < n; i++) {
    const b = span > 0 ? Math.min(bins - 1, Math.floor(((s.t[i]! - t0) / span) * bins)) : 0;
    counts[b * 2 * plane + s.p[i]! * plane + s.y[i]! * s.width + s.x[i]!]! += 1;
  }
  return { counts, edges: Array.from({ length: bins + 1 }, (_, k) => t0 + (span * k) / bins) };
}

/**
 * Polarity frames of a DVS recording: `bins` equal time bins side by side
 * (wrapping after 4), each pixel coloured by its dominant polarity (ON
 * vermillion, OFF blue) with opacity growing with its event count (4 levels,
 * relative to the busiest pixel of the recording), on white.
 */
export function polarityFrames(s: DvsEvents, opts: { bins?: number; title?: string; width?: number } = {}): string {
  const bins = opts.bins ?? 4;
  const { counts, edges } = binPolarity(s, bins);
  const W = s.width, H = s.height, plane = W * H;
  let max = 0;
  for (let b = 0; b < bins; b++) for (let i = 0; i < plane; i++) max = Math.max(max, counts[b * 2 * plane + i]! + counts[b * 2 * plane + plane + i]!);
  const cols = Math.min(4, bins);
  const rows = Math.ceil(bins / cols);
  const width = opts.width ?? 860;
  const tileW = (width - 40 - (cols - 1) * 22) / cols;
  const tileH = (tileW * H) / W;
  const height = 64 + rows * (tileH + 46) + 36;
  const boxes = grid(bins, cols, { x: 20, y: 80, w: width - 40, h: rows * (tileH + 46) - 46 }, 22, 46);
  const ms = msPer(s.timeUnit);
  const body: string[] = [];
  for (let b = 0; b < bins; b++) {
    const box = boxes[b]!;
    const c = Math.min(box.w / W, box.h / H);
    const base = b * 2 * plane;
    body.push(el('rect', { x: box.x, y: box.y, width: W * c, height: H * c, fill: '#ffffff', stroke: AXIS, class: 'frame' }));
    for (let y = 0; y < H; y++) {
      let x = 0;
      while (x < W) {
        const key = pixelKey(counts, base, plane, y * W + x, max);
        let run = 1;
        while (x + run < W && pixelKey(counts, base, plane, y * W + x + run, max) === key) run++;
        if (key !== 0) {
          const level = Math.abs(key);
          body.push(el('rect', { x: box.x + x * c, y: box.y + y * c, width: run * c, height: c, fill: key > 0 ? ON : OFF, 'fill-opacity': level / LEVELS, class: 'pixel' }));
        }
        x += run;
      }
    }
    const label = `${((edges[b]! - edges[0]!) * ms).toFixed(1)}–${((edges[b + 1]! - edges[0]!) * ms).toFixed(1)} ms`;
    body.push(text(box.x + (W * c) / 2, box.y - 6, label, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.note, fill: '#222222', class: 'frame-label' }));
  }
  body.push(...legend(20, height - 30, [{ label: 'ON (brighter)', color: ON, mark: 'box' }]), ...legend(160, height - 30, [{ label: 'OFF (darker)', color: OFF, mark: 'box' }]));
  let on = 0;
  for (let i = 0; i < s.p.length; i++) on += s.p[i]!;
  return figure(width, height, opts.title ?? 'Event polarity frames', body, `${s.t.length} events (ON ${on}, OFF ${s.t.length - on}) on a ${W}×${H} sensor, ${bins} equal time bins; opacity ∝ events per pixel`);
}

/** Signed opacity level of a pixel: + for ON-dominant, − for OFF, 0 for none. */
function pixelKey(counts: Float32Array, base: number, plane: number, i: number, max: number): number {
  const off = counts[base + i]!, on = counts[base + plane + i]!;
  const total = on + off;
  if (total === 0 || max === 0) return 0;
  const level = Math.max(1, Math.ceil((total / max) * LEVELS));
  return on >= off ? level : -level;
}

/**
 * Raster of channel events (cochlea / audio spikes such as SHD and SSC): time
 * in ms on x, channel on y (0 at the bottom), one dot per event. Recordings of
 * more than `maxEvents` events draw every k-th event and say so.
 */
export function channelRaster(s: ChannelEvents, opts: { title?: string; width?: number; height?: number; maxEvents?: number } = {}): string {
  const n = s.t.length;
  if (s.channels < 1) throw new ShapeError('channelRaster: a stream needs at least one channel');
  const width = opts.width ?? 860;
  const height = opts.height ?? 480;
  const ms = msPer(s.timeUnit);
  const t0 = n ? s.t[0]! : 0;
  const span = n ? (s.t[n - 1]! - t0) * ms : 1;
  const p = panel(
    { x: 76, y: 64, w: width - 96, h: height - 64 - 56 },
    { lo: 0, hi: span > 0 ? span : 1, label: 'time from first event (ms)', exact: true, grid: true },
    { lo: -0.5, hi: s.channels - 0.5, label: 'channel', exact: true, integer: true },
  );
  const maxEvents = opts.maxEvents ?? 50000;
  const stride = Math.max(1, Math.ceil(n / maxEvents));
  const r = Math.max(0.6, Math.min(2, p.box.h / s.channels / 2));
  const dots: string[] = [];
  for (let i = 0; i < n; i += stride) {
    dots.push(el('rect', { x: p.x((s.t[i]! - t0) * ms) - r, y: p.y(s.channel[i]!) - r, width: 2 * r, height: 2 * r, fill: OKABE_ITO.black, class: 'event' }));
  }
  const sub = `${n} events on ${s.channels} channels over ${span.toFixed(1)} ms${stride > 1 ? `; every ${stride}th event drawn` : ''}`;
  return figure(width, height, opts.title ?? 'Channel events', drawPanel(p, dots), sub);
}
