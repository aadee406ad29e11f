import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { MAX_BLOCK_INDENT, MAX_CONFIG_CHARS, MAX_FLOW_DEPTH, readConfigYaml } from '../../src/config/load-node.js';
import { repoRoot } from '../helpers.js';

/*
 * YAML configs from untrusted sources: nesting deep enough to overflow the
 * YAML composer's recursion (which can abort the process outright) and
 * oversized texts are refused before parsing, with the line and column.
 */

const refused = (text: string, pattern: RegExp): void => {
  const t0 = performance.now();
  assert.throws(() => readConfigYaml(text, 'c.yaml'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('\n'));
  assert.ok(performance.now() - t0 < 2000, `refusal took ${performance.now() - t0} ms`);
};

test('deep block and flow nesting, and oversized texts, are refused before parsing', () => {
  // 20,000 compact '- ' entries (40 kB): the YAML composer overflowed its stack and took the process down.
  refused('a:\n' + '- '.repeat(20_000) + '1', /^c\.yaml:2:1: YAML block nesting \(indentation plus '- ' entries\) beyond 256 columns$/);
  refused('model:\n  layers:\n' + ' '.repeat(MAX_BLOCK_INDENT + 1) + 'x: 1\n', /^c\.yaml:3:1: YAML block nesting/);
  refused('a: ' + '['.repeat(5000) + ']'.repeat(5000), new RegExp(`^c\\.yaml:1:${4 + MAX_FLOW_DEPTH}: YAML nesting deeper than ${MAX_FLOW_DEPTH} levels`));
  refused('a: 1\nb: ' + '{x: '.repeat(100), /^c\.yaml:2:\d+: YAML nesting deeper than/);
  refused('a: "' + 'x'.repeat(MAX_CONFIG_CHARS) + '"', /^c\.yaml: \d+ characters is too large for a config \(at most 65536\)$/);
  // Just under the size limit, a line of errors (one per '""') is still refused quickly.
  refused('a: { t: ' + '""'.repeat((MAX_CONFIG_CHARS - 20) / 2) + '}', /^c\.yaml:1:\d+: YAML syntax error: /);
});

test('nesting within the bounds still parses; brackets in strings and comments do not count', () => {
  const deep = 'a: ' + '['.repeat(MAX_FLOW_DEPTH) + '1' + ']'.repeat(MAX_FLOW_DEPTH);
  let v: unknown = readConfigYaml(deep, 'c.yaml')['a'];
  for (let i = 0; i < MAX_FLOW_DEPTH; i++) v = (v as unknown[])[0];
  assert.equal(v, 1);
  const quoted = `a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\n# ${'['.repeat(500)}\nc: don't [1]\n`;
  assert.deepEqual(readConfigYaml(quoted, 'c.yaml'), { a: '['.repeat(500), b: '{'.repeat(500), c: "don't [1]" });
  assert.deepEqual(readConfigYaml('a:\n' + '- '.repeat(50) + '1', 'c.yaml')['a'] !== undefined, true);
  // Every shipped config and sweep matrix is well inside the bounds.
  for (const dir of [join(repoRoot(), 'examples'), join(repoRoot(), 'examples', 'sweeps')]) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) readConfigYaml(readFileSync(join(dir, f), 'utf8'), f);
  }
});

test('syntax errors still name the line and column, on one line', () => {
  assert.throws(() => readConfigYaml('a: 1\nb: [1, 2\nc: 3\n', 'c.yaml'), (e: unknown) => e instanceof ConfigError && /^c\.yaml:\d+:\d+: YAML syntax error: /.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => readConfigYaml('a: 1\na: 2\n', 'c.yaml'), /^ConfigError: c\.yaml:2:1: YAML syntax error: Map keys must be unique/);
});

test('spikeflow train on a deeply nested config: one line, exit 2, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-yaml-'));
  try {
    writeFileSync(join(dir, 'deep.yaml'), 'name: deep\nmodel:\n  layers:\n' + '    - '.repeat(1) + '- '.repeat(20_000) + '1\n');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'spikeflow.js'), 'train', '--config', 'deep.yaml', '--out', 'run'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^spikeflow: error: deep\.yaml:4:1: YAML block nesting .* beyond 256 columns\n$/);
    assert.ok(performance.now() - t0 < 30_000);
    assert.equal(existsSync(join(dir, 'run')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
