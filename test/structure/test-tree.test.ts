import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers.js';

/*
 * The test tree mirrors the source tree: tests of src/<path>/ live in
 * test/<path>/, so a reader finds a module's tests by its path. Folders that
 * test something other than one source folder are listed here with why.
 */
const NOT_SOURCE: Record<string, string> = {
  bench: 'the benchmark harness (bench/)',
  docs: 'the README and docs examples',
  fixtures: 'test data',
  slow: 'long accuracy runs (npm run test:slow)',
  structure: 'the structure of the tree itself (imports, bundle, this file)',
  web: 'the browser playground (web/) in a real Chromium',
};

function dirs(base: string, under = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(base, under)).sort()) {
    const rel = under ? `${under}/${name}` : name;
    if (statSync(join(base, rel)).isDirectory()) out.push(rel, ...dirs(base, rel));
  }
  return out;
}

test('structure: every test folder mirrors a source folder (or says what else it tests)', () => {
  const root = repoRoot();
  const testDir = join(root, 'test');
  const stray = dirs(testDir).filter((d) => {
    const top = d.split('/')[0]!;
    if (top in NOT_SOURCE) return false;
    return !existsSync(join(root, 'src', d));
  });
  assert.deepEqual(stray, [], `test folders without a src/ counterpart: ${stray.map((d) => relative(root, join(testDir, d))).join(', ')}`);
});
