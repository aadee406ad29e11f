import { FormatError } from '../errors.js';
import type { OptimizerState } from './optim/optimizer.js';
import type { SchedulerState } from './schedulers.js';

/*
 * The `state` metadata of a checkpoint (JSON: epoch, step, optimizer
 * hyper-parameters and step counts, scheduler counter, generator states),
 * checked field by field before anything is restored. A checkpoint is a file
 * that may have been edited or damaged: without these checks `epoch: -5`
 * resumed into epochs −4…1, a zero generator state restored a generator that
 * draws zeros forever, and an optimizer state without `steps` crashed with a
 * TypeError. Each problem is a FormatError naming the file and the field.
 */

export interface SavedState {
  epoch: number;
  step: number;
  optimizer: Omit<OptimizerState, 'tensors'> | null;
  scheduler: SchedulerState | null;
  /** Rng.getState() with NaN (no cached normal) written as null, since JSON has no NaN. */
  rngs: Record<string, (number | null)[]>;
}

/** Throws the FormatError for `field`: what was expected, what was found. */
export type Fail = (field: string, want: string, got: unknown) => never;

/** The Fail of checkpoint file `source`. */
export function failIn(source: string): Fail {
  return (field, want, got) => {
    throw new FormatError(`${source}: checkpoint field ${field}: expected ${want}, got ${shown(got)}`);
  };
}

function shown(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function count(v: unknown, field: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(field, 'a non-negative integer', v);
  return v as number;
}

function finiteNonNegative(v: unknown, field: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(field, 'a finite number ≥ 0', v);
  return v as number;
}

function optimizerState(x: unknown, fail: Fail): SavedState['optimizer'] {
  if (x === null || x === undefined) return null;
  if (!isRecord(x)) fail('state.optimizer', 'an object (type, hyper, steps) or null', x);
  const o = x as Record<string, unknown>;
  if (typeof o.type !== 'string') fail('state.optimizer.type', 'the optimizer name', o.type);
  if (!isRecord(o.hyper)) fail('state.optimizer.hyper', 'an object of hyper-parameters', o.hyper);
  const hyper = o.hyper as Record<string, unknown>;
  for (const [k, v] of Object.entries(hyper)) {
    // JSON has no NaN, but 1e999 parses to Infinity.
    if (!(typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) fail(`state.optimizer.hyper.${k}`, 'a finite number or a boolean', v);
  }
  if (!Array.isArray(o.steps)) fail('state.optimizer.steps', 'a list of step counts', o.steps);
  (o.steps as unknown[]).forEach((v, i) => count(v, `state.optimizer.steps[${i}]`, fail));
  return { type: o.type as string, hyper: hyper as Record<string, number | boolean>, steps: o.steps as number[] };
}

function schedulerState(x: unknown, fail: Fail): SchedulerState | null {
  if (x === null || x === undefined) return null;
  if (!isRecord(x)) fail('state.scheduler', 'an object (kind, interval, t, baseLr) or null', x);
  const s = x as Record<string, unknown>;
  if (typeof s.kind !== 'string') fail('state.scheduler.kind', 'the schedule name', s.kind);
  if (s.interval !== 'epoch' && s.interval !== 'iteration') fail('state.scheduler.interval', "'epoch' or 'iteration'", s.interval);
  count(s.t, 'state.scheduler.t', fail);
  finiteNonNegative(s.baseLr, 'state.scheduler.baseLr', fail);
  return s as unknown as SchedulerState;
}

/** A generator state: four 32-bit words (signed or unsigned), not all zero (xoshiro128 never leaves the zero state), and the cached normal (null or finite). */
export function rngState(v: unknown, field: string, fail: Fail): (number | null)[] {
  if (!Array.isArray(v) || v.length !== 5) fail(field, 'a generator state of 5 numbers', v);
  const a = v as unknown[];
  for (let i = 0; i < 4; i++) {
    const w = a[i];
    // Words are saved as the generator holds them, signed or unsigned 32-bit (setState reads them modulo 2^32).
    if (typeof w !== 'number' || !Number.isInteger(w) || w < -0x80000000 || w > 0xffffffff) fail(`${field}[${i}]`, 'a 32-bit integer', w);
  }
  if (a.slice(0, 4).every((w) => w === 0)) fail(field, 'a state with a non-zero word (the zero state draws zeros forever)', v);
  if (!(a[4] === null || (typeof a[4] === 'number' && Number.isFinite(a[4])))) fail(`${field}[4]`, 'null or a finite number', a[4]);
  return a as (number | null)[];
}

/** Check the parsed `state` metadata of checkpoint `source`; returns it typed. */
export function readSavedState(x: unknown, source: string): SavedState {
  const fail = failIn(source);
  if (!isRecord(x)) fail('state', 'an object', x);
  const s = x as Record<string, unknown>;
  const epoch = count(s.epoch, 'state.epoch', fail);
  const step = count(s.step, 'state.step', fail);
  const rngs: SavedState['rngs'] = {};
  if (s.rngs !== undefined) {
    if (!isRecord(s.rngs)) fail('state.rngs', 'an object of generator states', s.rngs);
    for (const [name, v] of Object.entries(s.rngs as Record<string, unknown>)) rngs[name] = rngState(v, `state.rngs.${name}`, fail);
  }
  return { epoch, step, optimizer: optimizerState(s.optimizer, fail), scheduler: schedulerState(s.scheduler, fail), rngs };
}
