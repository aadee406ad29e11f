import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/rng.js';
import { makeChannelEvents, makeDvsEvents, type ChannelEvents, type DvsEvents, type EventStream } from '../../../src/data/events/stream.js';

/** Random sorted DVS stream with integer µs stamps (repeats allowed) up to maxT. */
export function randomDvs(rng: Rng, n: number, width: number, height: number, maxT: number): DvsEvents {
  const t = Array.from({ length: n }, () => rng.int(maxT + 1)).sort((a, b) => a - b);
  return makeDvsEvents({
    x: Array.from({ length: n }, () => rng.int(width)),
    y: Array.from({ length: n }, () => rng.int(height)),
    t,
    p: Array.from({ length: n }, () => rng.int(2)),
    width,
    height,
    timeUnit: 'us',
  });
}

export function randomChannel(rng: Rng, n: number, channels: number): ChannelEvents {
  const t = Array.from({ length: n }, () => Math.fround(rng.random())).sort((a, b) => a - b);
  return makeChannelEvents({ t, channel: Array.from({ length: n }, () => rng.int(channels)), channels, timeUnit: 's' });
}

export function assertSameStream(a: EventStream, b: EventStream, what = 'stream'): void {
  assert.equal(a.kind, b.kind, `${what}: kind`);
  assert.deepEqual(Array.from(a.t), Array.from(b.t), `${what}: t`);
  if (a.kind === 'dvs' && b.kind === 'dvs') {
    assert.deepEqual(Array.from(a.x), Array.from(b.x), `${what}: x`);
    assert.deepEqual(Array.from(a.y), Array.from(b.y), `${what}: y`);
    assert.deepEqual(Array.from(a.p), Array.from(b.p), `${what}: p`);
    assert.equal(a.width, b.width, `${what}: width`);
    assert.equal(a.height, b.height, `${what}: height`);
  } else if (a.kind === 'channel' && b.kind === 'channel') {
    assert.deepEqual(Array.from(a.channel), Array.from(b.channel), `${what}: channel`);
  }
}

export function dvs(events: [number, number, number, number][], width = 4, height = 4): DvsEvents {
  return makeDvsEvents({
    x: events.map((e) => e[0]),
    y: events.map((e) => e[1]),
    t: events.map((e) => e[2]),
    p: events.map((e) => e[3]),
    width,
    height,
    timeUnit: 'us',
  });
}
