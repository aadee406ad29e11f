import { ConfigError } from '../errors.js';
import type { CustomOption } from '../registry/options.js';
import { toSurrogate, type Surrogate, type SurrogateLike } from './surrogate.js';

/**
 * Reads a neuron's options object (typed in code, untyped from configs),
 * checking types and ranges, and rejects keys it never read so a misspelt
 * option fails loudly instead of silently taking the default.
 */
export class OptionReader {
  private readonly used = new Set<string>();

  constructor(
    private readonly opts: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private get(key: string): unknown {
    this.used.add(key);
    return this.opts[key];
  }

  private fail(key: string, want: string, got: unknown): never {
    throw new ConfigError(`${this.where}: option '${key}' must be ${want}, got ${JSON.stringify(got)}`);
  }

  number(key: string, def: number, check?: (v: number) => boolean, want = 'a finite number'): number {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check(v))) this.fail(key, want, v);
    return v;
  }

  /** A number (per layer) or an array of numbers (per neuron). */
  numbers(key: string, def: number, check?: (v: number) => boolean, want = 'a finite number'): number | number[] {
    const v = this.get(key);
    if (v === undefined) return def;
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && (!check || check(x));
    if (ok(v)) return v;
    if (Array.isArray(v) && v.length > 0 && v.every(ok)) return v as number[];
    this.fail(key, `${want} or a non-empty array of them`, v);
  }

  bool(key: string, def: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  choice<T extends string>(key: string, allowed: readonly T[], def: T, aliases: Record<string, T> = {}): T {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v === 'string') {
      if ((allowed as readonly string[]).includes(v)) return v as T;
      if (v in aliases) return aliases[v]!;
    }
    this.fail(key, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  }

  surrogate(def?: Surrogate): Surrogate {
    const v = this.get('surrogate');
    if (v === undefined && def) return def;
    return toSurrogate(v as SurrogateLike | undefined, `${this.where}: option 'surrogate'`);
  }

  /** Throws on every key that was given but never read. */
  done(): void {
    const unknown = Object.keys(this.opts).filter((k) => !this.used.has(k) && this.opts[k] !== undefined);
    if (unknown.length > 0) {
      const accepted = [...this.used].sort().join(', ');
      throw new ConfigError(`${this.where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (accepted: ${accepted})`);
    }
  }
}


/**
 * The `surrogate` option of every neuron spec: a Surrogate, a name, or
 * `{ name, ...params }`; absent → `def()` (fast sigmoid, slope 25, when no default is given).
 */
export function surrogateOption(def?: () => Surrogate): CustomOption<Surrogate> {
  return {
    type: 'custom',
    accepts: ['string', 'object'],
    doc: "surrogate gradient: a name or { name, ...params }",
    parse: (v, where) => (v === undefined && def ? def() : toSurrogate(v as SurrogateLike | undefined, where)),
  };
}
