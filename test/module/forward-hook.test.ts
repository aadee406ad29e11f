import test from 'node:test';
import assert from 'node:assert/strict';
import { forwardLayerByLayer } from '../../src/analysis/walk.js';
import { Residual, Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { LIF } from '../../src/neurons/lif/model.js';
import type { Module } from '../../src/module/module.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/*
 * Module.registerForwardHook: a hook sees the output of a module wherever it
 * sits (Sequential, inside a Residual, under the analysis walk), and removing
 * the last hook leaves the module exactly as it was.
 */

const input = (): Tensor => tensor([0.5, -1, 2, 0.3, 1.5, -0.2, 0.1, 0.9], [2, 1, 4]);

function net(): Sequential {
  const r = new Rng(4);
  return new Sequential([new Linear(4, 4, r), new Residual(new Sequential([new Linear(4, 4, r), new LIF(4)])), new Linear(4, 3, r)]);
}

test('forward hooks see the outputs of nested modules, in call order, and change nothing', () => {
  const m = net();
  const plain = m.forward(input()).toArray();
  m.resetState();
  const mods = new Map<string, Module>(m.namedModules());
  const seen: [string, number[], number[]][] = [];
  const removers = ['0', '1.body.1', '1', '2'].map((p) =>
    mods.get(p)!.registerForwardHook((mod, x, y) => {
      assert.equal(mod, mods.get(p));
      seen.push([p, [...x.shape], [...y.shape]]);
    }),
  );
  const out = m.forward(input());
  assert.deepEqual(out.toArray(), plain, 'a hook does not change the result');
  assert.deepEqual(seen.map(([p]) => p), ['0', '1.body.1', '1', '2'], 'inner modules report before their parents finish');
  assert.deepEqual(seen[3], ['2', [2, 1, 4], [2, 1, 3]]);
  // The last layer's hook saw the model's output itself.
  m.resetState();
  let last: Tensor | null = null;
  const rm = mods.get('2')!.registerForwardHook((_m, _x, y) => (last = y));
  const again = m.forward(input());
  assert.equal(last, again);
  rm();
  for (const r of removers) r();
  for (const p of ['0', '1.body.1', '1', '2']) assert.equal(Object.prototype.hasOwnProperty.call(mods.get(p)!, 'forward'), false, `${p}: the wrapper is gone`);
  seen.length = 0;
  m.resetState();
  m.forward(input());
  assert.equal(seen.length, 0, 'removed hooks are not called');
});

test('two hooks on one module both run; removing one keeps the other; removing twice is harmless', () => {
  const l = new Linear(4, 2, new Rng(1));
  const calls: string[] = [];
  const a = l.registerForwardHook(() => calls.push('a'));
  const b = l.registerForwardHook(() => calls.push('b'));
  l.forward(input());
  a();
  a();
  l.forward(input());
  b();
  l.forward(input());
  assert.deepEqual(calls, ['a', 'b', 'b']);
  assert.equal(Object.prototype.hasOwnProperty.call(l, 'forward'), false);
});

test('the analysis walk calls hooked leaf modules too', () => {
  const m = net();
  const mods = new Map<string, Module>(m.namedModules());
  let n = 0;
  const rm = mods.get('1.body.0')!.registerForwardHook(() => n++);
  forwardLayerByLayer(m, input(), () => {});
  rm();
  assert.equal(n, 1);
});
