import test from 'node:test';
import assert from 'node:assert/strict';
import { makeChannelEvents, makeDvsEvents } from '../../src/data/events/stream.js';
import { binPolarity, channelRaster, polarityFrames } from '../../src/viz/events.js';
import { marks, n } from './svg-test-utils.js';

test('binPolarity: equal time bins over the recording, OFF then ON planes', () => {
  const s = makeDvsEvents({ x: [0, 1, 1, 0], y: [0, 0, 1, 1], t: [0, 10, 20, 30], p: [1, 0, 1, 1], width: 2, height: 2 });
  const { counts, edges } = binPolarity(s, 2);
  assert.deepEqual(edges, [0, 15, 30]);
  // bin 0: (0,0) ON, (1,0) OFF; bin 1: (1,1) ON, (0,1) ON (the last event falls in the last bin).
  assert.deepEqual(Array.from(counts), [0, 1, 0, 0, 1, 0, 0, 0, /* bin 1 */ 0, 0, 0, 0, 0, 0, 1, 1]);
});

test('polarityFrames: equal neighbours merge into one rect; ON and OFF colours differ', () => {
  // One bin; row 0: two ON pixels side by side, row 1: one OFF pixel.
  const s = makeDvsEvents({ x: [0, 1, 0], y: [0, 0, 1], t: [0, 1, 2], p: [1, 1, 0], width: 3, height: 2, timeUnit: 'us' });
  const svg = polarityFrames(s, { bins: 1 });
  const px = marks(svg, 'pixel');
  assert.equal(px.length, 2);
  assert.ok(Math.abs(n(px[0]!, 'width') - 2 * n(px[1]!, 'width')) < 0.02, 'the two ON pixels are one rect');
  assert.notEqual(px[0]!.attrs.fill, px[1]!.attrs.fill);
  assert.match(svg, /3 events \(ON 2, OFF 1\) on a 3×2 sensor/);
});

test('channelRaster: a dot per event at its time and channel; long recordings are thinned and say so', () => {
  const s = makeChannelEvents({ t: [0, 0.5, 1], channel: [0, 3, 1], channels: 4, timeUnit: 's' });
  const svg = channelRaster(s, { width: 860, height: 480 });
  const ev = marks(svg, 'event');
  assert.equal(ev.length, 3);
  // x: 76..840 over 0..1000 ms; y: channel 0 at the bottom (64..424 over [-0.5, 3.5]).
  const cx = (m: (typeof ev)[0]): number => n(m, 'x') + n(m, 'width') / 2;
  const cy = (m: (typeof ev)[0]): number => n(m, 'y') + n(m, 'height') / 2;
  assert.ok(Math.abs(cx(ev[1]!) - (76 + 764 * 0.5)) < 0.02);
  assert.ok(Math.abs(cy(ev[0]!) - (64 + 360 * (3.5 / 4))) < 0.02);
  assert.ok(cy(ev[1]!) < cy(ev[2]!), 'channel 3 is above channel 1');
  const thin = channelRaster(s, { maxEvents: 2 });
  assert.equal(marks(thin, 'event').length, 2);
  assert.match(thin, /every 2th event drawn/);
});
