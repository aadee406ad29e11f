import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { full } from '../../../src/tensor/create.js';
import { Izhikevich } from '../../../src/neurons/izhikevich/index.js';

function spikeTimes(I: number, T: number): number[] {
  return withBackend(getBackendByName('ts64'), () => {
    const n = new Izhikevich(1);
    const s = n.forward(full([T, 1, 1], I)).data;
    const times: number[] = [];
    s.forEach((v, t) => v === 1 && times.push(t));
    return times;
  });
}

test('Izhikevich regular spiking: tonic firing with spike-frequency adaptation under constant current', () => {
  const times = spikeTimes(10, 1000);
  const isi = times.slice(1).map((t, i) => t - times[i]!);
  // Regular-spiking cortical cell: fires throughout a 1 s step of I = 10 (tonic, not phasic) ...
  assert.ok(times.length >= 10 && times.length <= 60, `${times.length} spikes in 1 s`);
  assert.ok(times[0]! < 20, `first spike at ${times[0]} ms`);
  assert.ok(times[times.length - 1]! > 900, 'still firing at the end of the step');
  // ... with adaptation (the first interval is the shortest) settling to a regular rhythm.
  assert.ok(isi[0]! < isi[isi.length - 1]!, `ISIs ${isi.slice(0, 4)} ... ${isi.slice(-3)}`);
  const tail = isi.slice(-5);
  assert.ok(Math.max(...tail) - Math.min(...tail) <= 1, `steady ISIs ${tail}`);
  // Stronger drive fires faster; no drive stays at rest.
  assert.ok(spikeTimes(20, 1000).length > times.length);
  assert.equal(spikeTimes(0, 500).length, 0);
});

test('Izhikevich rest state and reset values', () => {
  withBackend(getBackendByName('ts64'), () => {
    const n = new Izhikevich(2);
    n.recordMembrane = true;
    const s = n.forward(full([40, 1, 2], 10));
    const v = n.lastMembrane!.data;
    s.data.forEach((spk, i) => {
      if (spk === 1) assert.equal(v[i], -65, 'v is reset to c after a spike');
    });
    assert.ok(s.data.some((x) => x === 1));
  });
});
