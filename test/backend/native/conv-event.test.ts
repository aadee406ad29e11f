import test from 'node:test';
import { Rng } from '../../../src/tensor/rng.js';
import { checkConvEvent, convCases } from '../conv-event-cases.js';
import { addon, forEachIsa, native, skipReason } from './setup.js';

// The addon's event-driven convolution kernels against the TypeScript reference, bit for bit (cases: ../conv-event-cases.ts).

test('native event-driven convolution kernels are bit-identical to the reference on every ISA, one thread and two', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  const cases = convCases(new Rng(5), 40);
  try {
    forEachIsa((isa) => {
      checkConvEvent(native(), `native ${isa}`, cases, (run) => {
        for (const t of [1, 2]) {
          a.setThreads(t);
          run();
        }
      });
    });
  } finally {
    a.setThreads(before);
  }
});
