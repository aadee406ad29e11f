import { NumericError } from '../errors.js';

/*
 * Non-finite numbers in loaded files. A NaN or an infinity in a weight file
 * does not fail anything downstream: the model evaluates to chance accuracy
 * and exits 0. So loading refuses them, naming the file, the tensor and the
 * first bad index, unless the caller opts in (`allowNonFinite`, the CLI's
 * --allow-non-finite) to inspect such a file on purpose. Browser-safe.
 */

/** How a non-finite value is named in a message: NaN, Infinity, -Infinity. */
function fmtValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

/** The first non-finite value of `data` and how many there are, or null when all are finite. */
export function firstNonFinite(data: ArrayLike<number>): { index: number; value: number; count: number } | null {
  let index = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for every finite number and NaN for NaN and ±Infinity: one test, no call.
    if (v - v !== 0) {
      if (index < 0) index = i;
      count++;
    }
  }
  return index < 0 ? null : { index, value: data[index]!, count };
}

/** The hint that ends every message: how to load such a file anyway. */
export const ALLOW_NON_FINITE_HINT = 'pass --allow-non-finite (library: allowNonFinite) to load it anyway';

/**
 * Throw a NumericError when `data` holds a NaN or an infinity: `what` names
 * the file and the tensor ("model.safetensors: tensor '3.weight'"), `shape`
 * (when given) turns the first bad flat index into a position.
 */
export function assertFinite(data: ArrayLike<number>, what: string, shape?: readonly number[]): void {
  const bad = firstNonFinite(data);
  if (!bad) return;
  const at = shape && shape.length > 1 ? ` at index ${bad.index} (${unravel(bad.index, shape)})` : ` at index ${bad.index}`;
  const more = bad.count > 1 ? ` (${bad.count} of ${data.length} values are not finite)` : '';
  throw new NumericError(`${what} holds ${fmtValue(bad.value)}${at}${more}; ${ALLOW_NON_FINITE_HINT}`);
}

/** A flat row-major index as a position [i, j, ...] in `shape`. */
function unravel(index: number, shape: readonly number[]): string {
  const pos: number[] = [];
  let r = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    pos.unshift(n > 0 ? r % n : 0);
    r = n > 0 ? Math.floor(r / n) : 0;
  }
  return `[${pos.join(', ')}]`;
}
