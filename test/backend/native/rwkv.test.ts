import test from 'node:test';
import { checkRwkvMix, checkWkv } from '../rwkv-cases.js';
import { addon, forEachIsa, native, skipReason } from './setup.js';

// The WKV recurrence of the addon against the TypeScript reference: bit-identical (../rwkv-cases.ts).

test('native WKV forward and backward are bit-identical to the reference, every instruction set', { skip: skipReason }, () => {
  forEachIsa((isa) => checkWkv(native(), `native ${isa}`));
});

test('native WKV split over two threads (channels) gives the reference bits', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  try {
    for (const n of [1, 2]) {
      a.setThreads(n);
      checkWkv(native(), `native ${n} thread(s)`);
      checkRwkvMix(native(), `native ${n} thread(s)`);
    }
  } finally {
    a.setThreads(before);
  }
});

test('native RWKV elementwise kernels (token shift, gate, ReLU²) are bit-identical to the reference, every instruction set', { skip: skipReason }, () => {
  forEachIsa((isa) => checkRwkvMix(native(), `native ${isa}`));
});
