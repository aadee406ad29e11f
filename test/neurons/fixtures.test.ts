import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { LIF } from '../../src/neurons/lif/index.js';
import { RLeaky } from '../../src/neurons/rleaky/index.js';
import { Synaptic } from '../../src/neurons/synaptic/index.js';
import { Alpha } from '../../src/neurons/alpha/index.js';
import type { ScanNeuron, StateDict } from '../../src/neurons/scan-neuron.js';
import { fixturesDir, assertClose } from '../helpers.js';

interface Fixture {
  neuron: string;
  params: Record<string, number | string | boolean>;
  dtype: 'float32' | 'float64';
  input: number[][] | number[][][];
  spk: unknown[];
  mem: unknown[];
  syn?: unknown[];
  syn_exc?: unknown[];
  syn_inh?: unknown[];
}

const dir = fixturesDir('snntorch');
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

function build(fx: Fixture, F: number): ScanNeuron<StateDict> {
  const p = fx.params;
  const reset = p.reset_mechanism as 'subtract' | 'zero' | 'none';
  const common = { beta: p.beta as number, threshold: p.threshold as number, reset, resetDelay: p.reset_delay !== false };
  switch (fx.neuron) {
    case 'leaky':
      return new LIF(F, common) as unknown as ScanNeuron<StateDict>;
    case 'rleaky':
      return new RLeaky(F, { ...common, allToAll: false, V: p.V as number }, new Rng(0)) as unknown as ScanNeuron<StateDict>;
    case 'synaptic':
      return new Synaptic(F, { ...common, alpha: p.alpha as number }) as unknown as ScanNeuron<StateDict>;
    case 'alpha':
      return new Alpha(F, { alpha: p.alpha as number, beta: p.beta as number, threshold: p.threshold as number, reset: 'zero' }) as unknown as ScanNeuron<StateDict>;
    default:
      throw new Error(`no builder for ${fx.neuron}`);
  }
}

const files = dir ? readdirSync(dir).filter((f) => /^(leaky|rleaky|synaptic|alpha)_.*\.json$/.test(f)) : [];

test('snnTorch fixtures are present', { skip: dir === null ? 'fixtures not found' : false }, () => {
  assert.ok(files.length >= 36, `found ${files.length} neuron fixtures`);
});

for (const file of files) {
  test(`snnTorch fixture ${file}: spikes identical, membranes close (fused and step by step)`, () => {
    const fx = JSON.parse(readFileSync(join(dir!, file), 'utf8')) as Fixture;
    const be = getBackendByName(fx.dtype === 'float64' ? 'ts64' : 'ts');
    const atol = fx.dtype === 'float64' ? 1e-12 : 1e-5;
    withBackend(be, () => {
      const T = fx.input.length;
      const stepShape = (Array.isArray(fx.input[0]![0]) ? [fx.input[0]!.length, (fx.input[0]![0] as number[]).length] : [1, fx.input[0]!.length]) as number[];
      const F = stepShape[1]!;
      const x = tensor(flat(fx.input), [T, ...stepShape]);
      const layer = build(fx, F);
      layer.recordMembrane = true;
      const spk = layer.forward(x);
      assert.ok(spk.binary);
      assert.deepEqual(Array.from(spk.data), flat(fx.spk), `${file}: spikes`);
      assertClose(layer.lastMembrane!.data, flat(fx.mem), atol, 0, `${file}: mem`);
      if (fx.syn) assertClose((layer.getState() as unknown as { syn: { data: ArrayLike<number> } }).syn.data, flat(fx.syn).slice(-stepShape[0]! * F), atol, 0, `${file}: final syn`);
      if (fx.syn_exc) assertClose((layer.getState() as unknown as { e: { data: ArrayLike<number> } }).e.data, flat(fx.syn_exc).slice(-stepShape[0]! * F), atol, 0, `${file}: final syn_exc`);
      // Streaming: T single steps give the same numbers.
      layer.resetState();
      const N = stepShape[0]! * F;
      const xs = flat(fx.input), spks = flat(fx.spk), mems = flat(fx.mem);
      for (let t = 0; t < T; t++) {
        const s = layer.step(tensor(xs.slice(t * N, (t + 1) * N), stepShape));
        assert.deepEqual(Array.from(s.data), spks.slice(t * N, (t + 1) * N), `${file}: step ${t} spikes`);
        assertClose(layer.lastMembrane!.data, mems.slice(t * N, (t + 1) * N), atol, 0, `${file}: step ${t} mem`);
      }
    });
  });
}
