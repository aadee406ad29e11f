import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type RunConfig } from './schema.js';
import { checkPathKeys, checkTreeKeys } from './safe-keys.js';
import { dropEmbeddedPaths } from './embedded.js';
// Dataset names are checked against the registry: register the ones that live on disk first.
import '../data/datasets-node.js';

/** The package root (holds examples/), found from this file's location in dist/ or src/. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('spikeflow package root not found');
    d = up;
  }
  return d;
}

export const DEFAULT_CONFIG = 'examples/mnist-lif.yaml';

function formatPath(path: (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

/** One line per problem: where and what. */
export function formatZodError(e: ZodError, source: string): string {
  const issue = e.issues[0]!;
  let what = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const at = formatPath(issue.path);
    return `${source}: unknown key '${keys.join("', '")}' at ${at === '(root)' ? 'top level' : at}`;
  }
  if (issue.code === 'invalid_type') what = `expected ${issue.expected}, got ${issue.received}`;
  return `${source}: ${formatPath(issue.path)}: ${what}`;
}

/**
 * Set `a.b[2].c = value` on a plain object tree, creating objects along the
 * way; `where` starts the error messages (`--set a.b`, a sweep's axis, ...).
 */
export function setConfigPath(obj: Record<string, unknown>, path: string, value: unknown, where = `--set ${path}`): void {
  const parts = path.split('.').filter((p) => p.length > 0);
  if (parts.length === 0) throw new ConfigError(`${where}: empty key in '${path}'`);
  checkPathKeys(path, where);
  checkTreeKeys(value, where);
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const container = cur as Record<string, unknown>;
    let next = Array.isArray(container) ? container[Number(key)] : container[key];
    if (next === undefined || next === null || typeof next !== 'object') {
      if (Array.isArray(container)) throw new ConfigError(`${where}: index ${key} does not exist`);
      next = {};
      container[key] = next;
    }
    cur = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) {
    const idx = Number(last);
    if (!Number.isInteger(idx) || idx < 0 || idx >= cur.length) throw new ConfigError(`${where}: index ${last} does not exist`);
    cur[idx] = value;
  } else (cur as Record<string, unknown>)[last] = value;
}

/**
 * One `key=value` override: the key (checked: no `__proto__`, `constructor`
 * or `prototype` segment) and the value read as a YAML scalar/flow value
 * (numbers, booleans, lists; text that is not YAML stays a string).
 */
export function parseSetArg(s: string): { key: string; value: unknown } {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set '${s}': expected key=value`);
  const key = s.slice(0, eq).trim();
  let value: unknown;
  try {
    value = YAML.parse(s.slice(eq + 1));
  } catch {
    value = s.slice(eq + 1);
  }
  checkPathKeys(key, `--set ${key}`);
  checkTreeKeys(value, `--set ${key}`);
  return { key, value };
}

/** Parse `key=value` overrides; the value is read as a YAML scalar/flow value (numbers, booleans, lists). */
export function applyOverrides(raw: Record<string, unknown>, sets: string[]): void {
  for (const s of sets) {
    const { key, value } = parseSetArg(s);
    setConfigPath(raw, key, value);
  }
}

export interface LoadedConfig {
  config: RunConfig;
  /** Where it came from (file path, or the default example). */
  source: string;
}

/**
 * Run configs and sweep matrices are a few kilobytes (the largest example is
 * 3 kB); anything near this is not one. It bounds the parse: an error-dense
 * line (35,000 '""' in a flow map: 35,000 errors) costs about 10 µs a character.
 */
export const MAX_CONFIG_CHARS = 64 * 1024;
/**
 * Nesting the YAML composer may see. It recurses once per level: a few
 * thousand levels overflow the stack, and an overflow at the wrong moment
 * (V8 compiling a regular expression) aborts the whole process, which no
 * try/catch can stop: 20,000 '- ' on one line, 40 kB, did. So nesting is
 * measured before parsing. Real configs nest under 10 levels.
 */
export const MAX_FLOW_DEPTH = 64;
/** Block nesting bound: indentation columns plus compact '- ' / '? ' entries opening a line. */
export const MAX_BLOCK_INDENT = 256;

/**
 * Where the text nests deeper than the bounds above, as a 0-based offset and
 * what, or null. Flow depth counts [ and { against ] and }, outside quoted
 * strings and comments (brackets inside plain scalars count too, which only
 * matters for text nobody writes); block depth is bounded by each line's
 * indentation plus the '- ' entries that open it.
 */
export function yamlNestingExceeded(text: string): { offset: number; what: string } | null {
  const block = /^( *)((?:[-?][ \t]+)*)/gm;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const entries = m[2]!.replace(/[ \t]+/g, '').length;
    if (m[1]!.length + 2 * entries > MAX_BLOCK_INDENT) return { offset: m.index, what: `block nesting (indentation plus '- ' entries) beyond ${MAX_BLOCK_INDENT} columns` };
    if (m[0].length === 0) block.lastIndex++;
  }
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_FLOW_DEPTH) return { offset: i, what: `nesting deeper than ${MAX_FLOW_DEPTH} levels of [ ] / { }` };
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x27 && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) {
      // A single quote opens a string only where a scalar can start (don't, it's, ... are plain text).
      for (i++; i < text.length && text.charCodeAt(i) !== 0x27; i++);
    }
  }
  return null;
}

/**
 * The YAML text of a config as a plain object tree (not yet validated): syntax errors name the line and column.
 * Size and nesting are checked first (see MAX_CONFIG_CHARS, yamlNestingExceeded).
 * The parser's `prettyErrors` is off: it formats every error with its line of
 * context, four times the cost of the parse on a long line full of errors,
 * and its regular expressions, compiled after a stack overflow in the
 * composer, have aborted the process; the first error's line and column come
 * from a LineCounter instead.
 */
export function readConfigYaml(text: string, source: string): Record<string, unknown> {
  if (text.length > MAX_CONFIG_CHARS) throw new ConfigError(`${source}: ${text.length} characters is too large for a config (at most ${MAX_CONFIG_CHARS})`);
  const lines = new YAML.LineCounter();
  const deep = yamlNestingExceeded(text);
  if (deep) {
    // The line counter fills while parsing; before that, count lines directly.
    const before = text.slice(0, deep.offset);
    const line = before.split('\n').length, col = deep.offset - before.lastIndexOf('\n');
    throw new ConfigError(`${source}:${line}:${col}: YAML ${deep.what}`);
  }
  let raw: unknown;
  let problem: string | null = null;
  // The parser makes an Error per problem it meets, and a line of 35,000 '""' is 35,000 of them: without
  // stack traces (never shown: only the first message is) that costs a sixth of the time.
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: false, lineCounter: lines });
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lines.linePos(err.pos[0]);
      problem = `${source}:${pos.line}:${pos.col}: YAML syntax error: ${err.message.split('\n')[0]!.slice(0, 200)}`;
    } else raw = doc.toJS();
  } catch (e) {
    problem = `${source}: cannot parse YAML: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`;
  } finally {
    Error.stackTraceLimit = traceLimit;
  }
  if (problem !== null) throw new ConfigError(problem);
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: the top level must be a mapping of keys`);
  checkTreeKeys(raw, source);
  return raw as Record<string, unknown>;
}

/** Validate a config object tree against the schema; the error names `source` and the key. */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error, source));
  return parsed.data;
}

export function parseConfigText(text: string, source: string, sets: string[] = []): RunConfig {
  const raw = readConfigYaml(text, source);
  applyOverrides(raw, sets);
  return validateConfig(raw, source + (sets.length ? ' (with --set)' : ''));
}

/**
 * Parse the config a weights file embeds: as parseConfigText, after dropping
 * the keys that name paths (data.dir, data.cache_dir, train.distill; see
 * src/config/embedded.ts), so a downloaded file never chooses where data is
 * read or written. `sets` (the user's --set, --data-dir) apply afterwards.
 */
export function parseEmbeddedConfigText(text: string, source: string, sets: string[] = []): RunConfig {
  const raw = readConfigYaml(text, source);
  dropEmbeddedPaths(raw);
  applyOverrides(raw, sets);
  return validateConfig(raw, source + (sets.length ? ' (with --set)' : ''));
}

/** Load a YAML config file (or the default example when `file` is undefined) with --set overrides applied. */
export function loadConfig(file: string | undefined, sets: string[] = []): LoadedConfig {
  const path = file ? resolve(file) : join(packageRoot(), DEFAULT_CONFIG);
  if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // A folder (EISDIR) or an unreadable file: one line naming it, not a raw errno.
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'EISDIR' ? `config file ${path} is a folder; give the path of a YAML file` : `config file ${path}: cannot read (${(e as Error).message})`);
  }
  return { config: parseConfigText(text, file ?? DEFAULT_CONFIG, sets), source: path };
}
