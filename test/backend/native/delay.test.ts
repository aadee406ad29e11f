import test from 'node:test';
import { checkEventConv, checkKernelBuild, checkSparseForward } from '../delay-cases.js';
import { addon, forEachIsa, native, skipReason } from './setup.js';

// The delay kernels of the addon against the TypeScript reference (tolerances: ../delay-cases.ts).

test('native delay kernel construction and adjoint match the reference', { skip: skipReason }, () => {
  checkKernelBuild(native(), 'native');
});

test('native integer-delay sum is bit-identical to the reference, on one thread and on two', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  try {
    for (const t of [1, 2]) {
      a.setThreads(t);
      checkSparseForward(native(), `native ${t}t`);
    }
  } finally {
    a.setThreads(before);
  }
});

test('native event-driven delay convolution matches the definition; one and two threads give the same bits', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  try {
    forEachIsa((isa) => {
      a.setThreads(2);
      checkEventConv(native(), `native ${isa}`, (fn) => {
        a.setThreads(1);
        fn();
        a.setThreads(2);
      });
    });
  } finally {
    a.setThreads(before);
  }
});
