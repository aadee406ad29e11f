/**
 * A fuzz worker: a long-lived child process that takes cases over IPC, writes
 * each to a file in its own folder and parses it through the target's public
 * entry point. It reports ok, clean (a SpikeflowError) or internal (any other
 * exception); the parent kills it on a hang or when it grows past the cap.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpikeflowError } from '../../src/errors.js';
import type { Reply, Request } from './protocol.js';
import { findTarget } from './targets/index.js';
import type { FuzzTarget } from './target.js';

const dir = process.argv[2];
if (!dir || !process.send) {
  process.stderr.write('fuzz child: run by the fuzz pool (needs an IPC channel and a folder)\n');
  process.exit(2);
}
const send = (r: Reply): void => {
  process.send!(r);
};

const prepared = new Set<string>();

async function ready(name: string): Promise<FuzzTarget> {
  const t = findTarget(name);
  if (!prepared.has(name)) {
    await t.prepare?.(dir!);
    prepared.add(name);
  }
  return t;
}

function maxRssKb(): number {
  return process.resourceUsage().maxRSS;
}

async function handle(req: Request): Promise<void> {
  const t0 = performance.now();
  try {
    const t = await ready(req.target);
    if (req.bytes) {
      const file = join(dir!, t.fileName);
      writeFileSync(file, req.bytes);
      if (req.type === 'case') await t.run(file, dir!);
      else await t.run(file, dir!).catch(() => undefined);
    }
    send({ id: req.id, outcome: 'ok', ms: performance.now() - t0, maxRssKb: maxRssKb() });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const outcome = e instanceof SpikeflowError ? 'clean' : 'internal';
    send({ id: req.id, outcome, error: { name: err.name, message: err.message, stack: err.stack }, ms: performance.now() - t0, maxRssKb: maxRssKb() });
  }
}

// One case at a time, in arrival order (the pool never sends a second before the first is answered).
let chain: Promise<void> = Promise.resolve();
process.on('message', (m: unknown) => {
  chain = chain.then(() => handle(m as Request));
});
process.on('disconnect', () => process.exit(0));
