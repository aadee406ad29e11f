import { SurrogateId, type SurrogateCode } from '../backend/kernels/neuron.js';
import { SURROGATE_PARAMS, SURROGATE_POSITIVE } from '../backend/kernels/surrogates.generated.js';
import { sgGrad, sgPrimitive } from '../backend/reference.js';
import { ConfigError } from '../errors.js';

/**
 * A surrogate gradient as data: the forward is always H(v − θ), the backward
 * uses g(x), x = v − θ. Kernels receive `id` and up to two numbers (`code()`),
 * so every backend evaluates the same definition (the surrogate table, kernels/surrogates.mjs).
 */
export interface Surrogate {
  readonly name: SurrogateName;
  readonly id: number;
  readonly params: Readonly<Record<string, number>>;
}

export type SurrogateName = keyof typeof SurrogateId;

interface Spec {
  /** Parameter names in kernel order (p0, p1) with their defaults. */
  params: [string, number][];
  /** Extra validity check on the parameter values; returns a problem or null. */
  check?: (p: number[]) => string | null;
}

const positive = (p: number[]): string | null => (p.every((v) => v > 0) ? null : 'parameters must be > 0');

/** Parameter names, defaults (snnTorch's where it has the surrogate) and which must be > 0: the surrogate table, kernels/surrogates.mjs. */
const SPECS = Object.fromEntries(
  (Object.keys(SURROGATE_PARAMS) as SurrogateName[]).map((n): [SurrogateName, Spec] => [
    n,
    { params: SURROGATE_PARAMS[n].map(([k, d]): [string, number] => [k, d]), check: SURROGATE_POSITIVE[n] ? positive : undefined },
  ]),
) as Record<SurrogateName, Spec>;

/** Accepted spellings in configs (snake_case and the usual short names). */
const ALIASES: Record<string, SurrogateName> = {
  fast_sigmoid: 'fastSigmoid',
  superspike: 'fastSigmoid',
  atan: 'arctan',
  piecewise_quadratic: 'piecewiseQuadratic',
  piecewise_exponential: 'piecewiseExponential',
  soft_sign: 'softSign',
  gaussian: 'erf',
  rect: 'rectangle',
  straight_through: 'straightThrough',
  ste: 'straightThrough',
  snntorch_triangle: 'snntorchTriangle',
  snntorch_triangular: 'snntorchTriangle',
};

export function surrogateNames(): SurrogateName[] {
  return Object.keys(SPECS) as SurrogateName[];
}

function make(name: SurrogateName, given: Record<string, number> = {}, where = 'surrogate'): Surrogate {
  const spec = SPECS[name];
  const known = new Set(spec.params.map(([k]) => k));
  for (const k of Object.keys(given)) {
    if (!known.has(k)) {
      const allowed = spec.params.length ? spec.params.map(([p]) => p).join(', ') : 'none';
      throw new ConfigError(`${where} '${name}': unknown parameter '${k}' (accepted: ${allowed})`);
    }
  }
  const values = spec.params.map(([k, d]) => {
    const v = given[k] ?? d;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${where} '${name}': parameter '${k}' must be a finite number, got ${String(v)}`);
    return v;
  });
  const problem = spec.check?.(values);
  if (problem) throw new ConfigError(`${where} '${name}': ${problem} (got ${values.join(', ')})`);
  const params: Record<string, number> = {};
  spec.params.forEach(([k], i) => (params[k] = values[i]!));
  return Object.freeze({ name, id: SurrogateId[name], params: Object.freeze(params) });
}

export const fastSigmoid = (p: { slope?: number } = {}): Surrogate => make('fastSigmoid', p);
export const arctan = (p: { alpha?: number } = {}): Surrogate => make('arctan', p);
export const sigmoid = (p: { slope?: number } = {}): Surrogate => make('sigmoid', p);
export const piecewiseQuadratic = (p: { alpha?: number } = {}): Surrogate => make('piecewiseQuadratic', p);
export const piecewiseExponential = (p: { alpha?: number } = {}): Surrogate => make('piecewiseExponential', p);
export const softSign = (p: { alpha?: number } = {}): Surrogate => make('softSign', p);
export const erf = (p: { alpha?: number } = {}): Surrogate => make('erf', p);
export const rectangle = (p: { width?: number } = {}): Surrogate => make('rectangle', p);
export const triangle = (p: { height?: number; width?: number } = {}): Surrogate => make('triangle', p);
export const straightThrough = (): Surrogate => make('straightThrough');
/** snnTorch's `triangular()` as it is implemented (+threshold below 0, −threshold from 0 up); not the textbook triangle. */
export const snntorchTriangle = (p: { threshold?: number } = {}): Surrogate => make('snntorchTriangle', p);

/** A surrogate by (config) name; unknown names or parameters throw ConfigError naming them. */
export function surrogateFromConfig(name: string, params?: Record<string, number>, where = 'surrogate'): Surrogate {
  const canonical = (name in SPECS ? name : ALIASES[name] ?? ALIASES[name.toLowerCase()]) as SurrogateName | undefined;
  if (!canonical) throw new ConfigError(`${where}: unknown surrogate '${name}' (accepted: ${surrogateNames().join(', ')})`);
  return make(canonical, params ?? {}, where);
}

/** The numbers a kernel receives. */
export function surrogateCode(s: Surrogate, smooth = false): SurrogateCode {
  const values = SPECS[s.name].params.map(([k, d]) => s.params[k] ?? d);
  return { id: s.id, p0: values[0] ?? 0, p1: values[1] ?? 0, smooth };
}

/** Scalar g(x) (reference; the kernels call the same function). */
export function surrogateGrad(s: Surrogate, x: number): number {
  const c = surrogateCode(s);
  return sgGrad(c.id, c.p0, c.p1, x);
}

/** Scalar primitive P(x) with P' = g (the test-only smooth forward). */
export function surrogatePrimitive(s: Surrogate, x: number): number {
  const c = surrogateCode(s);
  return sgPrimitive(c.id, c.p0, c.p1, x);
}

/** A surrogate option as configs and constructors give it: a Surrogate, a name, or `{ name, ...params }`. */
export type SurrogateLike = Surrogate | string | ({ name: string } & Record<string, number | string>);

export function toSurrogate(x: SurrogateLike | undefined, where = 'surrogate'): Surrogate {
  if (x === undefined) return fastSigmoid();
  if (typeof x === 'string') return surrogateFromConfig(x, {}, where);
  if ('id' in x && typeof x.id === 'number' && 'params' in x) return x as Surrogate;
  const { name, ...rest } = x as { name: string } & Record<string, number>;
  if (typeof name !== 'string') throw new ConfigError(`${where}: surrogate object needs a 'name'`);
  return surrogateFromConfig(name, rest, where);
}
