import test from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { defaultThreads } from '../../../src/backend/native/load-node.js';

test('native threads: SPIKEFLOW_THREADS decides, else two on a multi-core machine', () => {
  const saved = process.env.SPIKEFLOW_THREADS;
  try {
    process.env.SPIKEFLOW_THREADS = '1';
    assert.equal(defaultThreads(), 1);
    process.env.SPIKEFLOW_THREADS = '2';
    assert.equal(defaultThreads(), 2);
    process.env.SPIKEFLOW_THREADS = '8';
    assert.equal(defaultThreads(), 2, 'the pool has one worker: at most two threads');
    delete process.env.SPIKEFLOW_THREADS;
    assert.equal(defaultThreads(), availableParallelism() >= 2 ? 2 : 1);
  } finally {
    if (saved === undefined) delete process.env.SPIKEFLOW_THREADS;
    else process.env.SPIKEFLOW_THREADS = saved;
  }
});
