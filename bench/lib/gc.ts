import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/*
 * A full garbage collection between timed repetitions, so garbage left by one
 * repetition (or by the previous case) is not collected inside the next one.
 * Collections triggered by a repetition's own allocations stay in its time:
 * they are a real cost of the code under test. Exposing gc at run time avoids
 * needing `node --expose-gc`; where that is refused, collection is skipped.
 */

type GcFn = () => void;

function resolveGc(): GcFn | null {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as GcFn;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    return null;
  }
}

const gcFn = resolveGc();

export function collectGarbage(): void {
  gcFn?.();
}
