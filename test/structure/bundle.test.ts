// The core entry (`spikeflow`, src/index.ts) is browser-clean: a small training
// script bundled for the browser stays small (wasm kernels included), carries
// no Node built-in, h5wasm or zod, and runs where neither `require` nor
// `process` exists. The bundle is made from the built dist/ through the
// package's own "exports" and "sideEffects", as a user's bundler would see it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import ts from 'typescript';
import { repoRoot } from '../helpers.js';

/** The budget of issue 9 for the minified training-script bundle. */
const MAX_BUNDLE_BYTES = 400 * 1000;

const root = repoRoot();

// Ten lines a browser user would write: a two-layer LIF network, Adam, a rate
// cross-entropy loss and one training step. `report` is the test's window out.
const TRAINING_SCRIPT = `
import { Sequential, Linear, LIF, Adam, Rng, ceRateLoss, backward, tensor, getBackend } from 'spikeflow';
const rng = new Rng(0);
const net = new Sequential([new Linear(4, 16, rng), new LIF(16, { beta: 0.9 }), new Linear(16, 2, rng), new LIF(2, { beta: 0.9 })]);
const opt = new Adam(net.parameters(), { lr: 1e-2 });
const x = tensor(Array.from({ length: 6 * 2 * 4 }, (_, i) => (i % 4 < 2 ? 1 : 0)), [6, 2, 4]); // [T, B, features]
const w0 = net.parameters()[0].toArray();
const loss = ceRateLoss(net.forward(x), Int32Array.from([0, 1]));
opt.zeroGrad(); backward(loss); opt.step();
report({ backend: getBackend().name, loss: loss.item(), moved: net.parameters()[0].toArray().some((w, i) => w !== w0[i]) });
`;

// Every name of the core, so nothing can hide behind tree shaking.
const WHOLE_CORE_SCRIPT = `
import * as spikeflow from 'spikeflow';
report(Object.keys(spikeflow).length);
`;

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface Bundle {
  bytes: number;
  text: string;
  /** Paths (relative to the repository root) of every module in the output. */
  inputs: string[];
  /** `importer -> node built-in` for each Node built-in the bundle asked for. */
  nodeImports: string[];
}

/**
 * Bundle `script` for the browser, minified, resolving `spikeflow` the way a
 * dependent package does: through node_modules/spikeflow (a link to this
 * repository), so package.json "exports" and "sideEffects" apply.
 */
async function bundle(script: string): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-bundle-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'spikeflow'), 'dir');
    writeFileSync(join(dir, 'entry.js'), script);
    const nodeImports: string[] = [];
    // Record Node built-ins instead of failing on the first, so one run names them all.
    const spotBuiltins: esbuild.Plugin = {
      name: 'spot-node-builtins',
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          if (!NODE_BUILTINS.has(args.path)) return undefined;
          nodeImports.push(`${relative(root, args.importer).split(sep).join('/')} -> ${args.path}`);
          return { path: args.path, external: true };
        });
      },
    };
    const result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: ['entry.js'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [spotBuiltins],
    });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings.map((w) => w.text), []);
    const out = result.outputFiles[0];
    const meta = Object.values(result.metafile.outputs)[0];
    // Metafile paths are relative to absWorkingDir and follow the link to the real files.
    const inputs = Object.keys(meta.inputs).map((p) => relative(root, join(dir, p)).split(sep).join('/'));
    return { bytes: out.contents.length, text: out.text, inputs, nodeImports };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run a bundle in a fresh V8 context: only the browser globals the core uses, no require, no process. */
function runInBrowserLikeContext(code: string): unknown[] {
  const reports: unknown[] = [];
  const context = vm.createContext({ report: (v: unknown) => reports.push(v), atob, TextEncoder, TextDecoder });
  vm.runInContext(code, context);
  assert.equal(vm.runInContext('typeof require + typeof process', context), 'undefinedundefined');
  return reports;
}

const fromPackage = (inputs: readonly string[], pkg: string): string[] => inputs.filter((p) => p.includes(`node_modules/${pkg}/`));

test('bundle: a 10-line training script for the browser is small, browser-clean and trains', async () => {
  const b = await bundle(TRAINING_SCRIPT);
  console.log(`browser bundle of the training script: ${b.bytes} bytes minified (${b.inputs.length} modules; budget ${MAX_BUNDLE_BYTES})`);
  assert.deepEqual(b.nodeImports, [], 'Node built-ins reached from the core entry');
  assert.deepEqual(fromPackage(b.inputs, 'h5wasm'), []);
  assert.deepEqual(fromPackage(b.inputs, 'zod'), []);
  assert.ok(!b.text.includes('h5wasm'), 'the bundle names h5wasm');
  assert.ok(b.bytes <= MAX_BUNDLE_BYTES, `bundle is ${b.bytes} bytes, budget ${MAX_BUNDLE_BYTES}`);
  // The wasm kernels are inside (base64 in kernels.generated.js), so the budget covers them.
  assert.ok(b.inputs.includes('dist/src/backend/wasm/kernels.generated.js'), 'wasm kernels missing from the bundle');

  const [r] = runInBrowserLikeContext(b.text) as [{ backend: string; loss: number; moved: boolean }];
  assert.equal(r.backend, 'wasm', 'auto should pick the wasm backend where WebAssembly exists');
  assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
  assert.equal(r.moved, true, 'the optimizer step changed no weight');
});

test('bundle: the whole core entry imports no Node built-in, h5wasm or zod', async () => {
  const b = await bundle(WHOLE_CORE_SCRIPT);
  console.log(`browser bundle of the whole core entry: ${b.bytes} bytes minified (${b.inputs.length} modules)`);
  assert.deepEqual(b.nodeImports, [], 'Node built-ins reached from the core entry');
  assert.deepEqual(fromPackage(b.inputs, 'h5wasm'), []);
  assert.deepEqual(fromPackage(b.inputs, 'zod'), []);
  const [count] = runInBrowserLikeContext(b.text) as [number];
  assert.ok(count > 100, `the core exports only ${count} names`);
});

test('bundle: a bare import of spikeflow/nir still registers the NIR neuron (sideEffects keeps it)', async () => {
  const b = await bundle(`import 'spikeflow/nir';\nimport { neuronTypes } from 'spikeflow';\nreport(neuronTypes());\n`);
  const [types] = runInBrowserLikeContext(b.text) as [string[]];
  assert.ok(types.includes('nir'), `neuron types after importing spikeflow/nir: ${types.join(', ')}`);
});

/**
 * package.json "sideEffects" lists exactly the modules whose evaluation does
 * something beyond defining names: a statement at module scope (a registration
 * call) or a bare `import './x.js'`. A bundler drops any other module whose
 * names go unused, so a registration missing from the list silently vanishes
 * from users' bundles. (A `const x = register(...)` initialiser is not seen
 * here: keep registrations as plain statements.)
 */
test('bundle: package.json sideEffects lists exactly the modules with module-scope effects', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { sideEffects?: unknown };
  assert.ok(Array.isArray(pkg.sideEffects), 'package.json needs a "sideEffects" list');
  const listed = [...(pkg.sideEffects as string[])].sort();
  const effectful = sourcesWithModuleScopeEffects().map((p) => `./dist/src/${p.replace(/\.ts$/, '.js')}`).sort();
  assert.deepEqual(listed, effectful);
});

function sourcesWithModuleScopeEffects(): string[] {
  const srcDir = join(root, 'src');
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && hasModuleScopeEffect(p)) found.push(relative(srcDir, p).split(sep).join('/'));
    }
  };
  walk(srcDir);
  return found;
}

function hasModuleScopeEffect(file: string): boolean {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return sf.statements.some((s) => {
    if (ts.isImportDeclaration(s)) return s.importClause === undefined; // import './x.js'
    return !(
      ts.isImportEqualsDeclaration(s) ||
      ts.isExportDeclaration(s) ||
      ts.isExportAssignment(s) ||
      ts.isVariableStatement(s) ||
      ts.isFunctionDeclaration(s) ||
      ts.isClassDeclaration(s) ||
      ts.isInterfaceDeclaration(s) ||
      ts.isTypeAliasDeclaration(s) ||
      ts.isEnumDeclaration(s) ||
      ts.isModuleDeclaration(s) ||
      ts.isEmptyStatement(s)
    );
  });
}
