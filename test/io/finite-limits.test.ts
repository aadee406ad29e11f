import test from 'node:test';
import assert from 'node:assert/strict';
import { NumericError } from '../../src/errors.js';
import { assertFinite, firstNonFinite } from '../../src/io/finite.js';
import { DEFAULT_LIMITS, fmtBytes, withLimits } from '../../src/io/limits.js';

test('firstNonFinite / assertFinite: NaN and both infinities, the first index, the count, the position in a shape', () => {
  assert.equal(firstNonFinite(Float32Array.from([0, -0, 3.4e38, -1e-45])), null);
  assert.deepEqual(firstNonFinite([1, Infinity, NaN, -Infinity]), { index: 1, value: Infinity, count: 3 });
  assert.throws(() => assertFinite(Float64Array.from([1, 2, 3, 4, 5, NaN]), "f.safetensors: tensor 'w'", [2, 3]), (e: unknown) => e instanceof NumericError && e.message.startsWith("f.safetensors: tensor 'w' holds NaN at index 5 ([1, 2]);"));
  assert.throws(() => assertFinite([-Infinity], 'x'), /NumericError: x holds -Infinity at index 0; pass --allow-non-finite/);
});

test('fmtBytes: limits in binary units as set, declared sizes in decimal ones', () => {
  assert.equal(fmtBytes(DEFAULT_LIMITS.dataBytes), '1 GiB');
  assert.equal(fmtBytes(DEFAULT_LIMITS.activationBytes), '256 MiB');
  assert.equal(fmtBytes(2_352_000_000), '2.35 GB');
  assert.equal(fmtBytes(512), '512 bytes');
  assert.deepEqual(withLimits({ dataBytes: 10, parameterBytes: undefined }), { ...DEFAULT_LIMITS, dataBytes: 10 });
});
