import { ConfigError } from '../errors.js';

/*
 * Declarative option specs: one object says which options a registered thing
 * (neuron, layer, encoder, loss, optimizer, scheduler, dataset) accepts, with
 * their kinds, defaults and checks. `readOptions` validates a plain options
 * object against it (unknown keys are errors naming them), and the config
 * schema (src/config/) derives its option shapes from the same object, so the
 * accepted names live in exactly one place. Keys are camelCase; configs write
 * them snake_case and the builders convert.
 */

interface Base {
  /** One line for docs and `spikeflow` help. */
  doc?: string;
  /** The option has no default: a config must give it (a linear layer's `out`). */
  required?: boolean;
}

export interface NumberOption extends Base {
  type: 'number';
  default?: number;
  /** Integer-valued. */
  integer?: boolean;
  check?: (v: number) => boolean;
  /** What `check` wants, for the error message ('a number in [0, 1]'). */
  want?: string;
}

/** A number (per layer) or a non-empty array of numbers (one per neuron / per spatial axis). */
export interface NumbersOption extends Base {
  type: 'numbers';
  default?: number;
  integer?: boolean;
  check?: (v: number) => boolean;
  want?: string;
}

export interface BooleanOption extends Base {
  type: 'boolean';
  default?: boolean;
}

export interface ChoiceOption<T extends string = string> extends Base {
  type: 'choice';
  values: readonly T[];
  default?: T;
  /** Other accepted spellings → canonical value ('hard' → 'zero'). */
  aliases?: Readonly<Record<string, T>>;
}

export interface StringOption extends Base {
  type: 'string';
  default?: string;
}

/** Anything else (a surrogate spec, a union such as `padding: 2 | 'same'`): parsed by the owner. */
export interface CustomOption<T = unknown> extends Base {
  type: 'custom';
  /**
   * JSON shapes a config may give, for the config schema: 'number', 'string',
   * 'boolean', 'numbers' (array), 'strings' (array), 'object' (string-keyed
   * numbers/strings), 'layer' (a `{ type, ...options }` layer config) and
   * 'layers' (a non-empty list of them); the config schema checks layer
   * configs against the layer and neuron registries, recursively.
   */
  accepts: readonly ('number' | 'string' | 'boolean' | 'numbers' | 'strings' | 'object' | 'layer' | 'layers')[];
  /** Called with the given value, or `undefined` when the option is absent. */
  parse: (value: unknown, where: string) => T;
  /**
   * What `parse(undefined)` stands for, when that is a config value (Adam's
   * `betas: [0.9, 0.999]`): the config schema fills it in, so a saved config
   * shows it. Leave unset when absence means "the owner decides".
   */
  default?: unknown;
}

export type OptionDef = NumberOption | NumbersOption | BooleanOption | ChoiceOption | StringOption | CustomOption;
export type OptionSpec = Readonly<Record<string, OptionDef>>;

type HasDefault<O> = O extends { default: unknown } ? true : O extends { required: true } ? true : false;
type Raw<O> = O extends NumberOption
  ? number
  : O extends NumbersOption
    ? number | number[]
    : O extends BooleanOption
      ? boolean
      : O extends ChoiceOption<infer T>
        ? T
        : O extends StringOption
          ? string
          : O extends CustomOption<infer T>
            ? T
            : never;

/** The values `readOptions` returns for a spec: options with a default (and custom ones) are always present. */
export type OptionValues<S extends OptionSpec> = {
  -readonly [K in keyof S]: S[K] extends CustomOption ? Raw<S[K]> : HasDefault<S[K]> extends true ? Raw<S[K]> : Raw<S[K]> | undefined;
};

/** The options a caller may pass for a spec (all optional). */
export type OptionInput<S extends OptionSpec> = { [K in keyof S]?: S[K] extends CustomOption ? unknown : Raw<S[K]> };

function fail(where: string, key: string, want: string, got: unknown): never {
  throw new ConfigError(`${where}: option '${key}' must be ${want}, got ${JSON.stringify(got)}`);
}

function numberOk(d: NumberOption | NumbersOption, v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!d.integer || Number.isInteger(v)) && (!d.check || d.check(v));
}

function want(d: NumberOption | NumbersOption): string {
  return d.want ?? (d.integer ? 'an integer' : 'a finite number');
}

/** Validate one value against its definition (`undefined` → the default). */
export function readOption(d: OptionDef, key: string, v: unknown, where: string): unknown {
  if (v === undefined && d.required) throw new ConfigError(`${where}: option '${key}' is required${d.doc ? ` (${d.doc})` : ''}`);
  if (d.type === 'custom') return d.parse(v, `${where}: option '${key}'`);
  if (v === undefined) return d.default;
  switch (d.type) {
    case 'number':
      if (!numberOk(d, v)) fail(where, key, want(d), v);
      return v;
    case 'numbers':
      if (numberOk(d, v)) return v;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => numberOk(d, x))) return [...(v as number[])];
      return fail(where, key, `${want(d)} or a non-empty array of them`, v);
    case 'boolean':
      if (typeof v !== 'boolean') fail(where, key, 'a boolean (true or false)', v);
      return v;
    case 'choice':
      if (typeof v === 'string') {
        if (d.values.includes(v)) return v;
        if (d.aliases && v in d.aliases) return d.aliases[v];
      }
      return fail(where, key, `one of ${d.values.map((a) => `'${a}'`).join(', ')}`, v);
    case 'string':
      if (typeof v !== 'string') fail(where, key, 'a string', v);
      return v;
  }
}

/**
 * Validate `given` against `spec`: every key must be declared (an unknown key
 * throws ConfigError listing the accepted ones), every value of the declared
 * kind; absent options take their default. `where` prefixes messages
 * ('model.layers[2] (lif)').
 */
export function readOptions<S extends OptionSpec>(spec: S, given: Readonly<Record<string, unknown>> | undefined, where: string): OptionValues<S> {
  const g = given ?? {};
  const unknown = Object.keys(g).filter((k) => !(k in spec) && g[k] !== undefined);
  if (unknown.length > 0) {
    const accepted = Object.keys(spec).sort().join(', ') || 'none';
    throw new ConfigError(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (accepted: ${accepted})`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(spec)) out[k] = readOption(d, k, g[k], where);
  return out as OptionValues<S>;
}

/** A spec with some defaults replaced (a model that shares options but not defaults). */
export function withDefaults<S extends OptionSpec>(spec: S, defaults: { [K in keyof S]?: unknown }): S {
  const out: Record<string, OptionDef> = { ...spec };
  for (const [k, v] of Object.entries(defaults)) out[k] = { ...spec[k]!, default: v } as OptionDef;
  return out as unknown as S;
}

export const isUnit = (v: number): boolean => v >= 0 && v <= 1;
export const isPositive = (v: number): boolean => v > 0;

/** `out_channels` → `outChannels`. */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * `outChannels` → `out_channels` (how configs spell a spec key). A leading
 * capital stays (RLeaky's `V` is `V` in configs too), so the two functions
 * invert each other on every spec key.
 */
export function camelToSnake(key: string): string {
  return key.replace(/(?<=[a-z0-9])[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A spec with its keys as configs spell them (snake_case). */
export function snakeSpec(spec: OptionSpec): OptionSpec {
  const out: Record<string, OptionDef> = {};
  for (const [k, d] of Object.entries(spec)) out[camelToSnake(k)] = d;
  return out;
}

/**
 * `readOptions` for options as a config writes them: keys are checked (and
 * named in messages) in snake_case, so `maxRate` in a config is an unknown
 * key rather than a silent synonym of `max_rate`; the values come back under
 * the spec's camelCase keys, ready for a factory.
 */
export function readConfigOptions<S extends OptionSpec>(spec: S, given: Readonly<Record<string, unknown>> | undefined, where: string): OptionValues<S> {
  const snake = readOptions(snakeSpec(spec), given, where) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(spec)) out[k] = snake[camelToSnake(k)];
  return out as OptionValues<S>;
}
