// The messages of the most common mistakes name the fix (issue 10 §3).
import test from 'node:test';
import assert from 'node:assert/strict';
import { LIF } from '../../src/neurons/lif/model.js';
import { Synaptic } from '../../src/neurons/synaptic/model.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv1d, Conv2d } from '../../src/nn/conv.js';
import { rateEncode } from '../../src/encoding/rate.js';
import { zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const throwsWith = (f: () => unknown, type: new (...a: never[]) => Error, re: RegExp): void => {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
};

test('a neuron given [B, F] says sequences are time-major [T, B, F] and step() takes one step', () => {
  const lif = new LIF(10);
  throwsWith(() => lif.forward(zeros([4, 10])), ShapeError, /LIF: forward\(\) got \[4, 10\], one step of 10 neurons without a time axis: sequences are time-major \[T, B, \.\.\.features\] .*x\.view\(\[1, 4, 10\]\).*step\(x\) takes a single step/);
  throwsWith(() => new LIF([2, 3]).forward(zeros([5, 2, 3])), ShapeError, /time-major/);
  assert.deepEqual(lif.step(zeros([4, 10])).shape, [4, 10], 'step() takes the 2-D input');
  assert.deepEqual(lif.forward(zeros([1, 4, 10])).shape, [1, 4, 10]);
});

test('rateEncode given a typed array or a plain array says it wants a Tensor and how to make one', () => {
  const pixels = new Float32Array(784);
  throwsWith(() => rateEncode(pixels as never, 10, new Rng(0)), ShapeError, /rate encoder: the input must be a Tensor \[B, \.\.\.features\], got a Float32Array: wrap the values first, e\.g\. tensor\(values, \[batch, features\]\)/);
  throwsWith(() => rateEncode([0.1, 0.5] as never, 10, new Rng(0)), ShapeError, /got an array/);
});

test('a module built without its size says which argument is missing', () => {
  const L = Linear as unknown as new (...a: unknown[]) => Linear;
  throwsWith(() => new L(), ConfigError, /Linear: inFeatures \(argument 1\) must be a positive integer, missing: new Linear\(inFeatures, outFeatures\)/);
  throwsWith(() => new L(784), ConfigError, /Linear: outFeatures \(argument 2\) must be a positive integer, missing/);
  throwsWith(() => new L(784, 1.5), ConfigError, /outFeatures \(argument 2\).*got 1\.5/);
  const C2 = Conv2d as unknown as new (...a: unknown[]) => Conv2d;
  throwsWith(() => new C2(1), ConfigError, /Conv2d: outChannels \(argument 2\) must be a positive integer, missing: new Conv2d\(inChannels, outChannels, kernelSize\)/);
  throwsWith(() => new C2(1, 8), ConfigError, /Conv2d: kernelSize \(argument 3\).*missing/);
  const C1 = Conv1d as unknown as new (...a: unknown[]) => Conv1d;
  throwsWith(() => new C1(), ConfigError, /Conv1d: inChannels \(argument 1\)/);
  const N = LIF as unknown as new (...a: unknown[]) => LIF;
  throwsWith(() => new N(), ConfigError, /LIF: the number of neurons \(1st argument, features\) is missing, got nothing: write new LIF\(features, options\)/);
  throwsWith(() => new N({ beta: 0.9 }), ConfigError, /LIF: the number of neurons .* got object/);
  const S = Synaptic as unknown as new (...a: unknown[]) => Synaptic;
  throwsWith(() => new S(), ConfigError, /Synaptic: the number of neurons/);
});

test('every model of the zoo: [B, F] to forward() names the time-major layout and step()', async () => {
  const { ZOO, F } = await import('./zoo.js');
  const { neuronRegistry } = await import('../../src/neurons/registry.js');
  for (const z of ZOO) {
    const n = neuronRegistry.get(z.type).make([F], z.options, new Rng(0));
    throwsWith(() => n.forward(zeros([2, F])), ShapeError, /sequences are time-major \[T, B, \.\.\.features\].*step\(x\)/);
  }
});
