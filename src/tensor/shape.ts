import { ShapeError } from '../errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function assertShape(where: string, got: Shape, want: Shape): void {
  if (!shapeEq(got, want)) throw new ShapeError(`${where}: expected shape ${fmtShape(want)}, got ${fmtShape(got)}`);
}

export function checkShape(shape: Shape, where = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${where}: invalid dimension ${d} in ${fmtShape(shape)}`);
  }
}
