import type { FuzzTarget } from '../target.js';

/*
 * Parsers that misbehave on purpose, one per outcome class, so the harness's
 * own tests can check that a hang, a memory blow-up, a crash and an
 * exception are each classified as such. Not in the table and not run by
 * default; reachable by name only.
 */

const one = async (): Promise<Uint8Array[]> => [new Uint8Array([1, 2, 3])];

function selfTest(name: string, run: () => Promise<void>): FuzzTarget {
  return { name, entry: `harness self-test (${name.slice(1)})`, fileName: 'case.bin', seeds: one, run };
}

export const SELF_TEST_TARGETS: readonly FuzzTarget[] = [
  selfTest('_ok', async () => {}),
  selfTest('_clean', async () => {
    const { FormatError } = await import('../../../src/errors.js');
    throw new FormatError('case.bin: refused on purpose');
  }),
  selfTest('_internal', async () => {
    const o = null as unknown as { x: number };
    void o.x;
  }),
  selfTest('_hang', async () => {
    for (;;);
  }),
  // Touched buffers, so the pages count in the resident set (untouched ones would not).
  selfTest('_memory', async () => {
    const keep: Buffer[] = [];
    for (;;) keep.push(Buffer.alloc(16 << 20, 1));
  }),
  selfTest('_crash', async () => {
    process.kill(process.pid, 'SIGSEGV');
    await new Promise((res) => setTimeout(res, 10_000));
  }),
];
