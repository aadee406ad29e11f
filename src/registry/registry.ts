import { ConfigError } from '../errors.js';
import type { OptionSpec } from './options.js';

/**
 * What every registry entry has: a canonical name, other accepted spellings,
 * and the option spec a config may give it. The factory's signature differs
 * per kind of thing (a neuron needs its feature shape, an optimizer its
 * parameters), so each registry declares its own entry type extending this.
 */
export interface RegistryEntry {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly options: OptionSpec;
  /** One line for docs and error listings. */
  readonly doc?: string;
}

/**
 * One registry per kind of thing a config names (layers, neurons, surrogates,
 * encoders, losses, optimizers, schedulers, datasets). Lookup is
 * case-insensitive and accepts aliases; an unknown name throws ConfigError
 * listing the canonical names. Registering a name twice is an error, so a
 * module cannot silently replace another's entry.
 */
export class Registry<E extends RegistryEntry> {
  private readonly byKey = new Map<string, E>();
  private readonly entries: E[] = [];
  private readonly keyList: string[] = [];

  /** `kind` names the registry in messages ('neuron type', 'loss'). */
  constructor(readonly kind: string) {}

  register(entry: E): E {
    const keys = [entry.name, ...(entry.aliases ?? [])].map((k) => k.toLowerCase());
    for (const k of keys) if (this.byKey.has(k)) throw new ConfigError(`${this.kind} '${k}' is already registered (by '${this.byKey.get(k)!.name}')`);
    for (const k of keys) {
      this.byKey.set(k, entry);
      this.keyList.push(k);
    }
    this.entries.push(entry);
    return entry;
  }

  has(name: string): boolean {
    return this.byKey.has(name.toLowerCase());
  }

  /** The entry for a name or alias; `where` prefixes the error ('config.yaml: model.layers[1]'). */
  get(name: string, where?: string): E {
    const e = this.byKey.get(name.toLowerCase());
    if (!e) throw new ConfigError(`${where ? `${where}: ` : ''}unknown ${this.kind} '${name}' (accepted: ${this.names().join(', ')})`);
    return e;
  }

  /** Canonical names in registration order. */
  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Canonical names and aliases (lower case), in registration order. */
  allNames(): string[] {
    return [...this.keyList];
  }

  /** The same list as a live read-only view: later registrations appear in it. */
  get keys(): readonly string[] {
    return this.keyList;
  }

  list(): readonly E[] {
    return this.entries;
  }
}
