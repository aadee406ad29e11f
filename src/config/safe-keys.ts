import { ConfigError } from '../errors.js';

/*
 * Config keys that would reach an object's prototype machinery instead of a
 * plain field: assigning `obj['__proto__'] = v` replaces obj's prototype, and
 * a merge that walks into `obj.__proto__` writes into Object.prototype for
 * the whole process (`--set __proto__.polluted=1`). No config key has these
 * names, so they are refused wherever a config key is read: dotted paths
 * (--set, sweep axes and `set`), YAML documents and values, partial configs.
 */

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether `key` is one of the refused names. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN.has(key);
}

/** Refuse a single key (one segment of a dotted path); `where` starts the message (`--set a.b`). */
export function checkKey(key: string, where: string): void {
  if (FORBIDDEN.has(key)) throw new ConfigError(`${where}: key '${key}' is not allowed in a config (__proto__, constructor and prototype are refused)`);
}

/** Refuse every segment of a dotted path. */
export function checkPathKeys(path: string, where: string): void {
  for (const part of path.split('.')) checkKey(part, where);
}

/**
 * Refuse a forbidden own key anywhere in a plain object tree (a parsed YAML
 * document or value: the YAML parser stores `__proto__:` as an own key, which
 * a later merge or assignment would follow). The message gives the key's path.
 */
export function checkTreeKeys(tree: unknown, where: string, path = ''): void {
  if (Array.isArray(tree)) {
    tree.forEach((v, i) => checkTreeKeys(v, where, `${path}[${i}]`));
    return;
  }
  if (tree === null || typeof tree !== 'object') return;
  for (const key of Object.keys(tree)) {
    const at = path ? `${path}.${key}` : key;
    if (FORBIDDEN.has(key)) throw new ConfigError(`${where}: key '${at}' is not allowed in a config (__proto__, constructor and prototype are refused)`);
    checkTreeKeys((tree as Record<string, unknown>)[key], where, at);
  }
}
