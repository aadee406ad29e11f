import { createHash } from 'node:crypto';
import { ConfigError } from '../../errors.js';
import type { RunConfig } from '../../config/schema.js';
import { setConfigPath, validateConfig } from '../../config/load-node.js';
import { checkKey, checkPathKeys } from '../../config/safe-keys.js';

/*
 * A sweep matrix (docs/sweeps.md): a base config, overrides for every cell,
 * axes and include/exclude rules. Expanding it gives the cells, each an
 * ordinary resolved run config with a deterministic id. Everything here works
 * on plain objects; plan-node.ts reads the files and writes the sweep folder.
 */

/** One value of an axis: its label (what tables print) and what it does to a config. */
export interface AxisValue {
  label: string;
  /** Key axes: the value set at each key. */
  value?: unknown;
  /** Named axes: a partial config merged in. */
  partial?: Record<string, unknown>;
  /** Named axes: a value's own base config (its `base:` file), replacing the matrix's base for its cells. */
  base?: { config: Record<string, unknown>; source: string };
}

/** Reads a base config file named in the matrix (relative to it), as a plain object tree. */
export type BaseReader = (path: string, where: string) => { config: Record<string, unknown>; source: string };

export interface Axis {
  name: string;
  /** 'key': the same value set at every key (dotted paths); 'partial': each value a partial config. */
  kind: 'key' | 'partial';
  keys: string[];
  values: AxisValue[];
}

export interface Matrix {
  name: string;
  /** Where the matrix came from (messages). */
  source: string;
  /** The base config as a plain object (before `set`, the axes and validation). */
  base: Record<string, unknown>;
  /** Where the base came from (messages, the plan). */
  baseSource: string;
  /** Dotted key → value, applied to every cell before the axes. */
  set: Record<string, unknown>;
  axes: Axis[];
  include: Record<string, unknown>[];
  exclude: Record<string, unknown>[];
}

export interface Cell {
  /** 12 characters of the SHA-256 of the canonical resolved config (base32, the first always a letter). */
  id: string;
  /** `axis=value axis=value`, in axis order. */
  label: string;
  /** Axis name → value label. */
  axes: Record<string, string>;
  /** Axis name → the raw value of a key axis (null for a named axis): numbers stay numbers for plots (T, bits, lr). */
  values: Record<string, unknown>;
  config: RunConfig;
}

const TOP_KEYS = ['name', 'description', 'base', 'set', 'axes', 'include', 'exclude'] as const;

function isMapping(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A value as a label: scalars as written, anything else as compact JSON. */
export function valueLabel(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : JSON.stringify(v);
}

function parseAxis(name: string, spec: unknown, source: string, readBase: BaseReader | undefined): Axis {
  const where = `${source}: axes.${name}`;
  if (Array.isArray(spec)) {
    // `encoder.steps: [1, 2, 4]`: the axis is named by the key it sets.
    if (spec.length === 0) throw new ConfigError(`${where}: an axis needs at least one value`);
    checkPathKeys(name, where);
    return { name, kind: 'key', keys: [name], values: spec.map((v) => ({ label: valueLabel(v), value: v })) };
  }
  if (!isMapping(spec)) throw new ConfigError(`${where}: expected a list of values, a mapping with 'key' and 'values', or a mapping of labels to partial configs`);
  if ('key' in spec) {
    const extra = Object.keys(spec).filter((k) => k !== 'key' && k !== 'values');
    if (extra.length > 0) throw new ConfigError(`${where}: unknown field '${extra[0]}' in a key axis (accepted: key, values)`);
    const key = spec.key;
    const keys = typeof key === 'string' ? [key] : Array.isArray(key) && key.length > 0 && key.every((k) => typeof k === 'string') ? (key as string[]) : null;
    if (!keys) throw new ConfigError(`${where}.key: expected a dotted config key or a list of them`);
    for (const k of keys) checkPathKeys(k, `${where}.key`);
    if (!Array.isArray(spec.values) || spec.values.length === 0) throw new ConfigError(`${where}.values: expected a non-empty list of values`);
    return { name, kind: 'key', keys, values: spec.values.map((v) => ({ label: valueLabel(v), value: v })) };
  }
  const labels = Object.keys(spec);
  if (labels.length === 0) throw new ConfigError(`${where}: an axis needs at least one value`);
  return {
    name,
    kind: 'partial',
    keys: [],
    values: labels.map((label): AxisValue => {
      const p = spec[label];
      if (!isMapping(p)) throw new ConfigError(`${where}.${label}: expected a partial config (a mapping of config keys)`);
      if (!('base' in p)) return { label, partial: p };
      // `base: file` (no run config has a `base` key): this value's cells start from another config.
      const { base, ...rest } = p;
      if (typeof base !== 'string') throw new ConfigError(`${where}.${label}.base: expected a config file (relative to the matrix)`);
      if (!readBase) throw new ConfigError(`${where}.${label}.base: a base file needs a matrix read from a file`);
      return { label, partial: rest, base: readBase(base, `${where}.${label}.base`) };
    }),
  };
}

function parseRules(x: unknown, field: 'include' | 'exclude', source: string): Record<string, unknown>[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new ConfigError(`${source}: ${field}: expected a list of rules (mappings of axis to value)`);
  return x.map((r, i) => {
    if (!isMapping(r) || Object.keys(r).length === 0) throw new ConfigError(`${source}: ${field}[${i}]: expected a mapping of axis names to values`);
    return r;
  });
}

/**
 * Check a matrix document's shape; `base` is the base config already read
 * (plan-node.ts reads the file `base:` names, or takes an inline mapping).
 */
export function parseMatrix(doc: unknown, source: string, base: { config: Record<string, unknown>; source: string }, defaultName: string, readBase?: BaseReader): Matrix {
  if (!isMapping(doc)) throw new ConfigError(`${source}: a sweep matrix must be a mapping (name, base, set, axes, include, exclude)`);
  for (const k of Object.keys(doc)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) throw new ConfigError(`${source}: unknown key '${k}' at top level (accepted: ${TOP_KEYS.join(', ')})`);
  }
  const name = doc.name ?? defaultName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(`${source}: name: expected letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  const set = doc.set ?? {};
  if (!isMapping(set)) throw new ConfigError(`${source}: set: expected a mapping of dotted config keys to values`);
  for (const k of Object.keys(set)) checkPathKeys(k, `${source}: set.${k}`);
  const axesDoc = doc.axes;
  if (axesDoc === undefined || axesDoc === null || (isMapping(axesDoc) && Object.keys(axesDoc).length === 0)) {
    throw new ConfigError(`${source}: empty matrix: 'axes' names no axis (give at least one, e.g. axes: { seed: [1, 2, 3] })`);
  }
  if (!isMapping(axesDoc)) throw new ConfigError(`${source}: axes: expected a mapping of axis names to values`);
  const axes = Object.entries(axesDoc).map(([n, spec]) => parseAxis(n, spec, source, readBase));
  const basing = axes.filter((a) => a.values.some((v) => v.base));
  if (basing.length > 1) throw new ConfigError(`${source}: axes '${basing[0]!.name}' and '${basing[1]!.name}' both give values a base config; only one axis may`);
  return { name, source, base: base.config, baseSource: base.source, set, axes, include: parseRules(doc.include, 'include', source), exclude: parseRules(doc.exclude, 'exclude', source) };
}

/** Deep copy of a plain config tree (YAML gives only plain objects, arrays and scalars). */
function clone<T>(x: T): T {
  return structuredClone(x);
}

/**
 * Merge `value` into the tree at `path` (dotted; empty = the root). Mappings
 * merge key by key; anything else replaces. A mapping whose `type` (or, below
 * the root, `name`: a surrogate) differs from the one it lands on replaces it
 * whole, because options of another layer, encoder or optimizer type would
 * not be accepted by the new one (lif's beta under plif).
 */
function mergeAt(root: Record<string, unknown>, path: string, value: unknown, where: string): void {
  const existing = getPath(root, path);
  if (isMapping(existing) && isMapping(value) && !replaces(existing, value)) {
    mergeInto(existing, value, where);
    return;
  }
  setConfigPath(root, path, clone(value), where);
}

/** Below the root (a nested mapping: the root's `name` is the run's name, merged like any key). */
function replaces(existing: Record<string, unknown>, value: Record<string, unknown>): boolean {
  if ('type' in value && 'type' in existing && value.type !== existing.type) return true;
  return 'name' in value && 'name' in existing && value.name !== existing.name;
}

function mergeInto(target: Record<string, unknown>, value: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(value)) {
    // Before any merge: `target['__proto__']` is the prototype, and merging into it pollutes every object.
    checkKey(k, `${where}: partial config key '${k}'`);
    if (k.includes('.')) {
      mergeAt(target, k, v, `${where}: partial config key '${k}'`);
      continue;
    }
    const cur = target[k];
    if (isMapping(cur) && isMapping(v) && !replaces(cur, v)) mergeInto(cur, v, where);
    else target[k] = clone(v);
  }
}

function getPath(root: unknown, path: string): unknown {
  let cur = root;
  for (const p of path.split('.').filter((s) => s.length > 0)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function applyValue(raw: Record<string, unknown>, axis: Axis, v: AxisValue, where: string): void {
  if (axis.kind === 'key') for (const k of axis.keys) setConfigPath(raw, k, clone(v.value), `${where} (key ${k})`);
  else mergeInto(raw, v.partial!, where);
}

/** JSON with object keys sorted at every level: the same config always gives the same text. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (isMapping(x)) {
    const keys = Object.keys(x).filter((k) => x[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(x[k])}`).join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The cell id of a resolved config: base32 of its canonical JSON's SHA-256,
 * 12 characters (59 bits), the first one a letter so no id is all digits
 * (BullMQ refuses numeric job ids) and every id is a safe folder name.
 */
export function cellId(config: RunConfig): string {
  const h = createHash('sha256').update(canonicalJson(config)).digest();
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(h[i]!);
  let out = B32[Number(bits >> 60n)]!; // 4 bits: a–p
  for (let i = 0; i < 11; i++) out += B32[Number((bits >> BigInt(55 - 5 * i)) & 31n)]!;
  return out;
}

type Choice = Map<string, AxisValue>;

function pick(axis: Axis, given: unknown, where: string): AxisValue[] {
  const wanted = Array.isArray(given) ? given : [given];
  return wanted.map((g) => {
    const found = axis.values.find((v) => v.label === valueLabel(g) || (axis.kind === 'key' && canonicalJson(v.value) === canonicalJson(g)));
    if (found) return found;
    // A key axis may take a value it does not list (an extra cell); a named axis only its labels.
    if (axis.kind === 'key') return { label: valueLabel(g), value: g };
    throw new ConfigError(`${where}: axis '${axis.name}' has no value '${valueLabel(g)}' (values: ${axis.values.map((v) => v.label).join(', ')})`);
  });
}

function product(axes: Axis[], fixed: Map<string, AxisValue[]>): Choice[] {
  let out: Choice[] = [new Map()];
  for (const a of axes) {
    const vals = fixed.get(a.name) ?? a.values;
    const next: Choice[] = [];
    for (const c of out) for (const v of vals) next.push(new Map(c).set(a.name, v));
    out = next;
  }
  return out;
}

function ruleAxes(m: Matrix, rule: Record<string, unknown>, where: string): Map<string, AxisValue[]> {
  const fixed = new Map<string, AxisValue[]>();
  for (const [name, given] of Object.entries(rule)) {
    const axis = m.axes.find((a) => a.name === name);
    if (!axis) throw new ConfigError(`${where}: unknown axis '${name}' (axes: ${m.axes.map((a) => a.name).join(', ')})`);
    fixed.set(name, pick(axis, given, where));
  }
  return fixed;
}

function labelOf(m: Matrix, c: Choice): string {
  return m.axes.map((a) => `${a.name}=${c.get(a.name)!.label}`).join(' ');
}

/** The raw config of one choice: base, the matrix's `set`, the extra overrides, then each axis in order. */
function resolveRaw(m: Matrix, c: Choice, extraSets: Record<string, unknown>, only?: Axis): Record<string, unknown> {
  const own = m.axes.map((a) => c.get(a.name)?.base).find((b) => b !== undefined);
  const raw = clone(own?.config ?? m.base);
  for (const [k, v] of Object.entries(m.set)) setConfigPath(raw, k, clone(v), `${m.source}: set.${k}`);
  for (const [k, v] of Object.entries(extraSets)) setConfigPath(raw, k, clone(v), `--set ${k}`);
  for (const a of m.axes) {
    if (only && a !== only) continue;
    const v = c.get(a.name)!;
    applyValue(raw, a, v, `${m.source}: axis '${a.name}' value '${v.label}'`);
  }
  return raw;
}

/**
 * Every cell of the matrix, resolved and validated: the product of the axes
 * (first axis slowest), minus the excluded, plus the included, one cell per
 * distinct resolved config. Any invalid cell is an error before anything
 * runs; when one axis value alone makes the base invalid, the error names
 * that axis and value.
 */
export function expandMatrix(m: Matrix, extraSets: Record<string, unknown> = {}): { cells: Cell[]; duplicates: string[] } {
  // The base with `set` alone must be valid: otherwise every cell would fail for the same reason.
  validateConfig(resolveRaw(m, new Map(), extraSets, { name: '', kind: 'key', keys: [], values: [] }), `${m.source}: the base ${m.baseSource} with the matrix's set`);
  const excludes = m.exclude.map((r, i) => ruleAxes(m, r, `${m.source}: exclude[${i}]`));
  let choices = product(m.axes, new Map()).filter((c) => !excludes.some((ex) => [...ex].every(([n, vals]) => vals.includes(c.get(n)!) || vals.some((v) => v.label === c.get(n)!.label))));
  m.include.forEach((r, i) => {
    choices = choices.concat(product(m.axes, ruleAxes(m, r, `${m.source}: include[${i}]`)));
  });
  if (choices.length === 0) throw new ConfigError(`${m.source}: empty matrix: the exclude rules remove every cell`);
  const cells: Cell[] = [];
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const c of choices) {
    const label = labelOf(m, c);
    let config: RunConfig;
    try {
      config = validateConfig(resolveRaw(m, c, extraSets), `${m.source}: cell ${label}`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // Blame one axis when its value alone breaks the base (an unknown key on an axis, a bad value).
      for (const a of m.axes) validateConfig(resolveRaw(m, c, extraSets, a), `${m.source}: axis '${a.name}' value '${c.get(a.name)!.label}'`);
      throw e;
    }
    const id = cellId(config);
    const prev = seen.get(id);
    if (prev !== undefined) {
      if (prev !== label) duplicates.push(`${label} = ${prev}`);
      continue;
    }
    seen.set(id, label);
    const axes: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const a of m.axes) {
      const v = c.get(a.name)!;
      axes[a.name] = v.label;
      values[a.name] = a.kind === 'key' ? v.value : null;
    }
    cells.push({ id, label, axes, values, config });
  }
  return { cells, duplicates };
}

/** Axes that vary only the seed: cells that differ in nothing else form one group (mean ± std in the report). */
export function seedAxes(axes: readonly Pick<Axis, 'name' | 'kind' | 'keys'>[]): string[] {
  return axes.filter((a) => a.kind === 'key' && a.keys.length === 1 && a.keys[0] === 'seed').map((a) => a.name);
}
