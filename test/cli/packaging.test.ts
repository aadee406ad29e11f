import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';
import { backendNames } from '../../src/backend/registry.js';

/*
 * What a new user of a fresh clone, or of the published package, meets: the
 * README's quick start and CLI lines, the package's files and metadata, the
 * build-failure notice, and documents that match the code.
 */

const root = repoRoot();
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  license: string;
  keywords?: string[];
  files: string[];
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  [k: string]: unknown;
};
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The fenced code blocks of a markdown file whose info string is one of `langs`. */
function codeBlocks(md: string, langs: readonly string[]): string[] {
  const out: string[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) if (langs.includes(m[1]!)) out.push(m[2]!);
  return out;
}

test('quick start: an npm script that trains, then npm test; no `npx spikeflow` for repository users', () => {
  const readme = read('README.md');
  const quick = codeBlocks(readme.slice(readme.indexOf('## Quick start')), ['sh'])[0]!;
  const cmds = quick.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  assert.deepEqual(cmds, ['npm install && npm run train', 'npm test']);
  assert.equal(pkg.scripts['train'], 'node bin/spikeflow.js train');
  assert.equal(pkg.scripts['cli'], 'node bin/spikeflow.js');
  // Commands a reader copies from the repository's documents run the local bin, not npx.
  for (const f of [...docs, 'bench/README.md']) {
    for (const block of codeBlocks(read(f), ['sh', ''])) assert.doesNotMatch(block, /npx spikeflow/, `${f}: a code block runs npx spikeflow`);
  }
  // The script runs the CLI (npm -s: no header on stdout).
  const r = spawnSync('npm', ['run', '-s', 'cli', '--', 'info', '--json'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok((JSON.parse(r.stdout) as { backends: string[] }).backends.includes('ts'));
});

test('package: LICENSE, keywords, docs shipped, no invented URLs', () => {
  assert.equal(pkg.license, 'MIT');
  const license = read('LICENSE');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} the spikeflow authors\n/);
  assert.ok(pkg.keywords && pkg.keywords.length > 0 && pkg.keywords.includes('snn'));
  // The repository has no public address yet: the fields stay out rather than hold a placeholder.
  for (const k of ['homepage', 'bugs']) assert.ok(!(k in pkg), `${k} present`);
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of ['LICENSE', 'README.md', 'docs/config.md', 'docs/events.md', 'docs/nir.md', 'docs/design.md', 'docs/equations.md', 'bin/spikeflow.js', 'scripts/native-build-failed.js']) {
    assert.ok(files.has(f), `${f} not in the package`);
  }
  assert.ok(![...files].some((f) => f.startsWith('docs/api/')), 'the generated API reference is not shipped');
});

test('the native build-failure notice names the retry command that works for the installer', () => {
  const notice = (script: string): string => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(r.status, 0, 'the install still succeeds');
    return r.stderr;
  };
  // Installed as a dependency: the same script, from node_modules/spikeflow/scripts/.
  const consumer = mkdtempSync(join(tmpdir(), 'spikeflow-consumer-'));
  try {
    const dir = join(consumer, 'node_modules', 'spikeflow', 'scripts');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(root, 'scripts', 'native-build-failed.js'), join(dir, 'native-build-failed.js'));
    writeFileSync(join(consumer, 'node_modules', 'spikeflow', 'package.json'), JSON.stringify({ name: 'spikeflow', type: 'module' }));
    const asDependency = notice(join(dir, 'native-build-failed.js'));
    assert.match(asDependency, /`npm rebuild spikeflow`/);
    assert.doesNotMatch(asDependency, /build:native/);
  } finally {
    rmSync(consumer, { recursive: true, force: true });
  }
  // In this source checkout.
  assert.match(notice(join(root, 'scripts', 'native-build-failed.js')), /`npm run build:native`/);
});

test('docs: code imports name the package entries and their exports', async () => {
  const entries: Record<string, string> = { spikeflow: 'index', 'spikeflow/node': 'node', 'spikeflow/nir': 'nir', 'spikeflow/config': 'config' };
  let checked = 0;
  for (const f of docs) {
    for (const block of codeBlocks(read(f), ['ts', 'js'])) {
      assert.doesNotMatch(block, /from '\.{1,2}\/src\//, `${f}: imports from the source tree instead of the package`);
      for (const m of block.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
        const entry = entries[m[2]!];
        assert.ok(entry, `${f}: imports from '${m[2]}', not a package entry`);
        const mod = (await import(pathToFileURL(join(root, 'dist', 'src', `${entry}.js`)).href)) as Record<string, unknown>;
        // Type-only names (`type Foo`) leave nothing at run time to check.
        for (const name of m[1]!.split(',').map((n) => n.trim()).filter((n) => n && !/^type\s/.test(n))) {
          assert.ok(name in mod, `${f}: '${name}' is not exported by '${m[2]}'`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked >= 15, `only ${checked} imported names checked`);
});

test('docs: config.md lists every backend; the README backends paragraph reads as sentences', () => {
  const row = read('docs/config.md').split('\n').find((l) => l.startsWith('| `backend` |'))!;
  // native registers only when its addon loads; the rest always do.
  const all = new Set(['auto', 'native', ...backendNames()]);
  assert.deepEqual([...all].sort(), ['auto', 'native', 'ts', 'ts64', 'wasm']);
  for (const b of all) assert.ok(row.includes(`\`${b}\``), `docs/config.md backend row lacks ${b}`);
  const readme = read('README.md');
  const table = readme.slice(readme.indexOf('## Backends'), readme.indexOf('## Performance'));
  for (const b of all) if (b !== 'auto') assert.match(table, new RegExp(`^\\| \`${b}\` \\|`, 'm'), `README backends table lacks ${b}`);
  assert.match(table, /`SPIKEFLOW_NATIVE=0` skips the addon\.\s+Native GEMM/);
});

test('npm run docs:api generates the API reference (TypeDoc)', { skip: !existsSync(join(root, 'node_modules', 'typedoc')) && 'typedoc not installed', timeout: 120_000 }, () => {
  assert.equal(pkg.scripts['docs:api'], 'typedoc');
  assert.ok('typedoc' in pkg.devDependencies);
  assert.match(read('.gitignore'), /^docs\/api\/$/m);
  assert.match(read('README.md'), /`npm run docs:api`/);
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-api-'));
  try {
    // The same configuration as the script (typedoc.json), into a temporary folder.
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(out, 'index.html')));
    assert.ok(existsSync(join(out, 'classes', 'index.LIF.html')) || readdirSync(join(out, 'classes')).some((f) => /LIF\.html$/.test(f)), 'LIF documented');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
