// reduceInto, the device-side form of sum / sumSquares / countNonzero, on the
// CPU backends: the same number the scalar kernel returns, scaled, written at
// the offset (a GPU backend cannot return the scalar; test/backend/webgpu/).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { createWasmBackend } from '../../src/backend/wasm/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { getBackendByName } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { ShapeError } from '../../src/errors.js';

function backends(): Backend[] {
  const out: Backend[] = [createTsBackend('float32'), createTsBackend('float64'), createWasmBackend()];
  if (registerNativeBackend().ok) out.push(getBackendByName('native'));
  return out;
}

test('reduceInto writes scale × the scalar kernel at the offset on every CPU backend', () => {
  const values = Array.from({ length: 1001 }, (_, i) => (i % 4 === 0 ? 0 : Math.sin(i) * 3));
  for (const be of backends()) {
    const x = be.fromArray(values);
    const out = be.alloc(5);
    be.reduceInto('sum', x, out, 1, 2);
    be.reduceInto('sumSquares', x, out, 2, 1);
    be.reduceInto('countNonzero', x, out, 4, 0.5);
    const want = [0, 2 * be.sum(x), be.sumSquares(x), 0, 0.5 * be.countNonzero(x)];
    const round = be.dtype === 'float32' ? Math.fround : (v: number) => v;
    assert.deepEqual([...out.data], want.map(round), be.name);
    assert.throws(() => be.reduceInto('sum', x, out, 5, 1), ShapeError, `${be.name}: offset past the end`);
  }
});
