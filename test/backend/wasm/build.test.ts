import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import { KERNELS_WASM_BASE64 } from '../../../src/backend/wasm/kernels.generated.js';

/*
 * The compiled kernels are committed as src/backend/wasm/kernels.generated.ts
 * (so the package builds and runs without the AssemblyScript toolchain, and
 * browsers get them with a plain import). Its header records the compiler
 * version, the flags and a sha256 of kernels/wasm/*.ts; the fast test
 * recomputes that fingerprint, the slow one (SPIKEFLOW_SLOW=1, ~5 s) recompiles
 * and compares the bytes.
 */

const root = repoRoot();
const generated = join(root, 'src', 'backend', 'wasm', 'kernels.generated.ts');

function header(name: string): string {
  const m = new RegExp(`^// ${name}(.*)$`, 'm').exec(readFileSync(generated, 'utf8'));
  assert.ok(m, `kernels.generated.ts has no '${name}' header line`);
  return m[1]!.trim();
}

test('kernels.generated.ts was generated from the current kernels/wasm sources (fingerprint)', () => {
  const [version, flags] = header('asc ').split(' flags: ') as [string, string];
  const dir = join(root, 'kernels', 'wasm');
  const h = createHash('sha256');
  h.update(`asc ${version}\n${flags}\n`);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) h.update(`${f}\n`).update(readFileSync(join(dir, f)));
  assert.equal(header('sources sha256:'), h.digest('hex'), 'kernels/wasm changed since the last `npm run build:wasm`');
  const pkg = join(root, 'node_modules', 'assemblyscript', 'package.json');
  if (existsSync(pkg)) assert.equal((JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version, version, 'installed asc differs from the one that built the kernels');
});

test('rebuilding the kernels gives the committed bytes', { skip: (!process.env.SPIKEFLOW_SLOW || !existsSync(join(root, 'node_modules', 'assemblyscript'))) && 'set SPIKEFLOW_SLOW=1 (needs assemblyscript)' }, () => {
  const out = execFileSync(process.execPath, [join(root, 'kernels', 'wasm', 'build.mjs'), '--check'], { encoding: 'utf8' });
  assert.match(out, /up to date/);
});

test('the generated module is a WebAssembly binary', () => {
  const head = atob(KERNELS_WASM_BASE64.slice(0, 12));
  assert.deepEqual([...head.slice(0, 4)].map((c) => c.charCodeAt(0)), [0, 0x61, 0x73, 0x6d]);
});
