import test from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Rng } from '../../src/tensor/rng.js';
import { noGrad } from '../../src/autograd/tape.js';
import { FormatError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, tensorFromEntry, type SafetensorsFile } from '../../src/interop/safetensors.js';
import { quantizeModel } from '../../src/quant/apply.js';
import { readConfigOptions } from '../../src/registry/options.js';
import { QUANTIZE_OPTIONS } from '../../src/quant/options.js';
import { dequantizeIntWeights, intWeightsEntries, packInt4, unpackInt4 } from '../../src/quant/int-weights.js';
import { tensor } from '../../src/tensor/create.js';
import type { WeightedLayer } from '../../src/nn/weighted.js';

/** conv(1→5, 3×3: 45 weights, odd) → LIF → flatten → linear(80→7) → LIF → linear(7→3), all three quantized. */
function net(seed: number, bits: number): Sequential {
  const r = new Rng(seed);
  const m = new Sequential([new Conv2d(1, 5, 3, r), new LIF([5, 4, 4]), new Flatten(), new Linear(80, 7, r), new LIF(7), new Linear(7, 3, r)]);
  quantizeModel(m, readConfigOptions(QUANTIZE_OPTIONS, { bits, skip_first: false, skip_last: false }, 'q'));
  // Steps away from their initial values, as after training, and one per-tensor layer.
  const l3 = m.layers[3] as Linear;
  l3.setWeightStep(Array.from({ length: 7 }, (_, c) => 0.01 + 0.003 * c));
  return m;
}

function roundTrip(m: Sequential, mutate?: (f: SafetensorsFile) => void): Sequential {
  const entries = intWeightsEntries(m, { note: 'test' });
  const bytes = encodeSafetensors(entries.tensors, entries.metadata);
  const file = decodeSafetensors(bytes, 'm.int.safetensors');
  mutate?.(file);
  const deq = dequantizeIntWeights(file, 'm.int.safetensors');
  const fresh = net(99, (m.layers[3] as Linear).weightQuantizer!.bits);
  fresh.loadStateDict(new Map([...deq].map(([n, e]) => [n, tensorFromEntry(e)])), { where: 'm.int.safetensors' });
  return fresh;
}

test('packInt4 / unpackInt4: two\'s-complement nibbles, low first, odd counts padded', () => {
  const q = [-8, -1, 0, 7, 3, -5, 1];
  const p = packInt4(q);
  assert.deepEqual([...p], [0x8 | (0xf << 4), 0x0 | (0x7 << 4), 0x3 | (0xb << 4), 0x1]);
  assert.deepEqual([...unpackInt4(p, q.length)], q);
});

for (const bits of [8, 4, 3, 2]) {
  test(`integer weights round trip (${bits} bits): dequantized == fake-quantized weights exactly, same outputs`, () => {
    const m = net(1, bits);
    const entries = intWeightsEntries(m);
    const container = bits > 4 ? 'I8' : 'U8';
    assert.equal(entries.tensors.get('3.weight')!.dtype, container);
    assert.deepEqual(entries.tensors.get('0.weight')!.shape, bits > 4 ? [5, 1, 3, 3] : [23], 'int8: the true shape; int4: ceil(45/2) bytes');
    assert.equal(entries.tensors.get('3.weight_step')!.dtype, 'F32');
    assert.equal(entries.tensors.get('3.bias')!.dtype, 'F32');
    const meta = JSON.parse(entries.metadata['quantization']!);
    assert.deepEqual(meta.tensors['0.weight'], { bits, dtype: bits > 4 ? 'int8' : 'int4', shape: [5, 1, 3, 3], step: '0.weight_step', axis: 0 });
    assert.equal(entries.metadata['format'], 'spikeflow.model.int');
    const back = roundTrip(m);
    for (const i of [0, 3, 5]) {
      const a = m.layers[i] as WeightedLayer, b = back.layers[i] as WeightedLayer;
      const fake = noGrad(() => a.effectiveWeight()).data;
      assert.deepEqual([...b.weight.data], [...fake], `layer ${i}: loaded weights are the fake-quantized ones`);
      assert.deepEqual([...noGrad(() => b.effectiveWeight()).data], [...fake], `layer ${i}: quantizing them again changes nothing`);
      assert.deepEqual([...b.weightStep!.data], [...a.weightStep!.data]);
    }
    const x = tensor(Array.from({ length: 4 * 2 * 36 }, (_, i) => Math.sin(i * 0.7)), [4, 2, 1, 6, 6]);
    const ya = noGrad(() => m.forward(x)).data;
    m.resetState();
    const yb = noGrad(() => back.forward(x)).data;
    assert.deepEqual([...yb], [...ya], 'the integer model computes what the quantized model computes');
  });
}

test('a model with mixed widths (first_last_bits) stores int8 and packed int4 side by side and reads back exactly', () => {
  const r = new Rng(4);
  const m = new Sequential([new Linear(6, 5, r), new LIF(5), new Linear(5, 4, r), new LIF(4), new Linear(4, 3, r)]);
  quantizeModel(m, readConfigOptions(QUANTIZE_OPTIONS, { bits: 4, first_last_bits: 8 }, 'q'));
  const f = intWeightsEntries(m);
  assert.deepEqual(['0.weight', '2.weight', '4.weight'].map((n) => f.tensors.get(n)!.dtype), ['I8', 'U8', 'I8']);
  const deq = dequantizeIntWeights(decodeSafetensors(encodeSafetensors(f.tensors, f.metadata), 'mixed'), 'mixed');
  for (const i of [0, 2, 4]) assert.deepEqual([...deq.get(`${i}.weight`)!.data], [...noGrad(() => (m.layers[i] as WeightedLayer).effectiveWeight()).data], `layer ${i}`);
});

test('corrupt or inconsistent integer files: errors name the file and the tensor', () => {
  const fails = (bits: number, mutate: (f: SafetensorsFile) => void, re: RegExp): void => {
    assert.throws(() => roundTrip(net(1, bits), mutate), (e: Error) => e instanceof FormatError && re.test(e.message), re.source);
  };
  fails(3, (f) => {
    (f.tensors.get('3.weight')!.data as Uint8Array)[0] = 0x07; // 7 > Qp = 3
  }, /m\.int\.safetensors: tensor '3\.weight': level 7 at index 0 lies outside the 3-bit range -4\.\.3/);
  fails(8, (f) => {
    f.tensors.set('3.weight', { ...f.tensors.get('3.weight')!, dtype: 'U8', data: new Uint8Array(560) });
  }, /tensor '3\.weight': int8 levels must be stored as I8, got U8/);
  fails(4, (f) => {
    f.tensors.set('3.weight', { dtype: 'U8', shape: [279], data: new Uint8Array(279) });
  }, /tensor '3\.weight': packed shape \[279\] does not hold 560 nibbles .*expected \[280\]/);
  fails(4, (f) => {
    (f.tensors.get('0.weight')!.data as Uint8Array)[22] = 0x10;
  }, /tensor '0\.weight': the padding nibble after the last value is not 0/);
  fails(4, (f) => f.tensors.delete('5.weight_step'), /tensor '5\.weight': its step tensor '5\.weight_step' is not in the file/);
  fails(4, (f) => {
    f.tensors.set('5.weight_step', { dtype: 'F32', shape: [2], data: new Float32Array([1, 1]) });
  }, /tensor '5\.weight': step tensor '5\.weight_step' has shape \[2\]; expected \[1\] or \[3\]/);
  fails(4, (f) => {
    (f.tensors.get('3.weight_step')!.data as Float32Array)[4] = -1;
  }, /step tensor '3\.weight_step' holds -1 at index 4/);
  fails(4, (f) => {
    f.metadata['quantization'] = '{"version": 1, "tensors": {"3.weight": {"bits": 4, "dtype": "int8", "shape": [7, 80], "step": "3.weight_step", "axis": 0}}}';
  }, /__metadata__ field 'quantization': tensor '3\.weight': dtype must be 'int4' for 4 bits/);
  fails(4, (f) => {
    f.metadata['quantization'] = '{not json';
  }, /__metadata__ field 'quantization': not JSON/);
  fails(4, (f) => {
    f.metadata['format'] = 'spikeflow.model';
  }, /not an integer weights file \(__metadata__ format is "spikeflow\.model"/);
  fails(4, (f) => f.tensors.delete('3.weight'), /tensor '3\.weight': listed in __metadata__ 'quantization' but not in the file/);
});

test('intWeightsEntries refuses a model without quantized layers', () => {
  assert.throws(() => intWeightsEntries(new Sequential([new Linear(2, 2)])), (e: Error) => e instanceof FormatError && /no quantized layer/.test(e.message));
});
