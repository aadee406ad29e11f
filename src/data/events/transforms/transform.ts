import { ConfigError } from '../../../errors.js';
import type { Rng } from '../../../tensor/rng.js';
import type { DvsEvents, EventStream } from '../stream.js';

/** JSON-serialisable parameter values, so a transform's parameters can be hashed into a cache key. */
export type TransformParam = number | string | boolean | null | readonly TransformParam[] | { readonly [k: string]: TransformParam };

/**
 * One step of an event pipeline. Random transforms draw only from the `rng`
 * passed to `apply` (the loader hands each sample its own generator), so a
 * seed fixes the whole pipeline; deterministic ones ignore it.
 */
export interface Transform<I, O> {
  readonly name: string;
  readonly params: Readonly<Record<string, TransformParam>>;
  /** True when the output depends on the Rng (such outputs are not disk-cached). */
  readonly random: boolean;
  apply(input: I, rng: Rng): O;
}

/** A dense array with its shape (row-major), e.g. frames [T, 2, H, W]. */
export interface DenseEvents {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export type StreamTransform = Transform<EventStream, EventStream>;

/** Chain transforms left to right. */
export function compose<A, B>(t1: Transform<A, B>): Transform<A, B>;
export function compose<A, B, C>(t1: Transform<A, B>, t2: Transform<B, C>): Transform<A, C>;
export function compose<A, B, C, D>(t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>): Transform<A, D>;
export function compose<A, B, C, D, E>(t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>, t4: Transform<D, E>): Transform<A, E>;
export function compose(...steps: Transform<unknown, unknown>[]): Transform<unknown, unknown>;
export function compose(...steps: Transform<unknown, unknown>[]): Transform<unknown, unknown> {
  return {
    name: 'Compose',
    params: { steps: steps.map((s) => ({ name: s.name, params: s.params as { readonly [k: string]: TransformParam } })) },
    random: steps.some((s) => s.random),
    apply(input: unknown, rng: Rng): unknown {
      let v = input;
      for (const s of steps) v = s.apply(v, rng);
      return v;
    },
  };
}

/** A stable text key for a transform (name + parameters, keys sorted). */
export function transformKey(t: Transform<unknown, unknown>): string {
  return stableJson({ name: t.name, params: t.params as TransformParam });
}

function stableJson(v: TransformParam): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as { readonly [k: string]: TransformParam };
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k]!)}`)
    .join(',')}}`;
}

export function requireDvs(s: EventStream, who: string): DvsEvents {
  if (s.kind !== 'dvs') throw new ConfigError(`${who}: needs DVS events (x, y, t, p), got channel events`);
  return s;
}

export function checkProb(who: string, name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new ConfigError(`${who}: ${name} must be in [0, 1], got ${v}`);
}

export function checkPositive(who: string, name: string, v: number, integer = false): void {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`${who}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
}
