import { Rng } from '../../tensor/rng.js';
import { makeDvsEvents, type DvsEvents } from './stream.js';
import { ToFrame } from './transforms/frame.js';
import { ToVoxelGrid } from './transforms/voxel.js';

/** A random sorted DVS stream (uniform pixels, Poisson-like increasing stamps in µs). */
export function randomDvsStream(n: number, width: number, height: number, rng: Rng): DvsEvents {
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let now = 0;
  for (let i = 0; i < n; i++) {
    now += rng.int(3);
    x[i] = rng.int(width);
    y[i] = rng.int(height);
    t[i] = now;
    p[i] = rng.int(2);
  }
  return makeDvsEvents({ x, y, t, p, width, height, timeUnit: 'us' });
}

export interface EventBenchResult {
  name: string;
  events: number;
  /** Median wall time of the measured runs, milliseconds. */
  ms: number;
  /** Fastest and slowest measured run, milliseconds. */
  minMs: number;
  maxMs: number;
  /** Every measured run, milliseconds, in run order. */
  samplesMs: number[];
  runs: number;
}

function median(a: number[]): number {
  const s = [...a].sort((u, v) => u - v);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Time ToFrame (10 time bins) and ToVoxelGrid (10 bins) on `events` random
 * events from a 346×260 sensor (DAVIS346 size): one warm-up, then the median
 * of `runs` timed runs. Uses performance.now() so it runs in browsers too.
 */
export function benchEventTransforms(events = 1_000_000, runs = 5): EventBenchResult[] {
  const s = randomDvsStream(events, 346, 260, new Rng(1));
  const cases: [string, () => unknown][] = [
    ['ToFrame(nTimeBins=10)', () => new ToFrame({ nTimeBins: 10 }).apply(s)],
    ['ToFrame(timeWindow=50000us)', () => new ToFrame({ timeWindow: 50_000, includeIncomplete: true }).apply(s)],
    ['ToVoxelGrid(10)', () => new ToVoxelGrid(10).apply(s)],
  ];
  return cases.map(([name, fn]) => {
    fn();
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    return { name, events, ms: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), samplesMs: times, runs };
  });
}
