import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, NumericError, ShapeError } from '../../../src/errors.js';
import { readNirFile, writeNirFile } from '../../../src/interop/nir/file-node.js';
import { nirToModule } from '../../../src/interop/nir/import.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { isGraph, type NirGraph, type NirPrimitive } from '../../../src/interop/nir/types.js';
import { loadFixture, nirDir } from './common.js';
import { runMeasured, REFUSAL } from '../../cli/measured-run.js';

/*
 * NIR parameters that read and run but mean nothing: τ = 0 (the Euler step
 * divides by it), τ < 0, a NaN threshold, an infinite weight. Each is a
 * mutated copy of a reference fixture; import, the executor and the CLI
 * refuse it naming the file, the node and the field.
 */

const dir = nirDir();
const skip = dir === null ? 'shared NIR fixtures not present' : false;

async function fixture(name: string): Promise<{ path: string; graph: NirGraph }> {
  const path = join(dir!, `${name}.nir`);
  return { path, graph: (await readNirFile(path)).graph };
}

/** The first node of a type (top level), to mutate in place. */
function nodeOf(graph: NirGraph, type: string): [string, NirPrimitive] {
  for (const [name, n] of graph.nodes) if (!isGraph(n) && n.type === type) return [name, n];
  throw new Error(`no ${type} node`);
}

function setField(node: NirPrimitive, field: string, index: number, value: number): void {
  const v = node.fields[field]!;
  assert.equal(v.kind, 'array');
  if (v.kind === 'array') v.data[index] = value;
}

test('NIR import and run refuse tau = 0, tau < 0 and a NaN threshold, naming the node and the field', { skip }, async () => {
  const fx = loadFixture('i_affine_lif_2layer');
  const cases: [string, string, number, string][] = [
    ['tau', 'tau', 0, 'must be > 0'],
    ['tau', 'tau', -0.01, 'must be > 0'],
    ['v_threshold', 'v_threshold', NaN, 'must be a finite number'],
    ['v_leak', 'v_leak', Infinity, 'must be a finite number'],
  ];
  for (const [, field, value, want] of cases) {
    const { path, graph } = await fixture('i_affine_lif_2layer');
    const [name, lif] = nodeOf(graph, 'LIF');
    setField(lif, field, 1, value);
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof FormatError, String(e));
      assert.ok(e.message.includes(path) && e.message.includes(`node '${name}' (LIF)`) && e.message.includes(`field '${field}'`) && e.message.includes('index 1'), e.message);
      assert.ok(e.message.includes(want), e.message);
      return true;
    };
    assert.throws(() => nirToModule(graph, { source: path }), check);
    assert.throws(() => runNir(graph, fx.input, { source: path }), check);
  }
});

test('NIR CubaLIF: tau_syn = 0 is refused', { skip }, async () => {
  const { path, graph } = await fixture('ii_cubalif_2layer');
  const [name, n] = nodeOf(graph, 'CubaLIF');
  setField(n, 'tau_syn', 0, 0);
  assert.throws(() => nirToModule(graph, { source: path }), (e: unknown) => e instanceof FormatError && e.message.includes(`node '${name}' (CubaLIF): field 'tau_syn' holds 0 at index 0`));
});

test('NIR Affine weight = Inf: refused unless allowNonFinite, which imports and runs it', { skip }, async () => {
  const fx = loadFixture('i_affine_lif_2layer');
  const { path, graph } = await fixture('i_affine_lif_2layer');
  const [name, aff] = nodeOf(graph, 'Affine');
  const w = aff.fields['weight']!;
  assert.equal(w.kind, 'array');
  const cols = w.kind === 'array' ? w.shape[1]! : 0;
  setField(aff, 'weight', cols + 2, Infinity); // row 1, column 2
  assert.throws(
    () => nirToModule(graph, { source: path }),
    (e: unknown) => e instanceof NumericError && e.message.includes(`${path}: node '${name}' (Affine): field 'weight' holds Infinity at index ${cols + 2} ([1, 2])`) && e.message.includes('--allow-non-finite'),
  );
  assert.throws(() => runNir(graph, fx.input, { source: path }), NumericError);
  assert.ok(nirToModule(graph, { source: path, allowNonFinite: true, dt: fx.dt }).model);
  assert.ok(runNir(graph, fx.input, { allowNonFinite: true, dt: fx.dt }).outputs.size > 0);
});

test('CLI: nir import and nir run of a graph with tau = 0 exit 2 with one line and write nothing', { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-nirvalues-'));
  try {
    const { graph } = await fixture('i_affine_lif_2layer');
    const [name, lif] = nodeOf(graph, 'LIF');
    setField(lif, 'tau', 0, 0);
    const bad = join(tmp, 'bad.nir');
    await writeNirFile(bad, graph);
    const out = join(tmp, 'model.safetensors');
    const r = runMeasured(['nir', 'import', bad, '--out', out], tmp);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`bad\\.nir: node '${name}' \\(LIF\\): field 'tau' holds 0 at index 0`));
    assert.ok(r.seconds < REFUSAL.seconds, `${r.seconds} s`);
    assert.ok(r.maxRssBytes < REFUSAL.maxRssBytes, `${r.maxRssBytes} bytes`);
    assert.equal(existsSync(out), false, 'no weights file written');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('errors found deep in the graph walk (shapes, dt) name the file given as source, once, keeping their class', { skip }, async () => {
  const { path, graph } = await fixture('i_affine_lif_2layer');
  // The shared fixtures carry no dt: without one the import stops at its dt check.
  assert.throws(() => nirToModule(graph, { source: path }), (e: unknown) => e instanceof Error && e.message.startsWith(`${path}: `) && e.message.indexOf(path, 1) === -1 && /dt/.test(e.message));
  const [, out] = nodeOf(graph, 'Output');
  out.fields.shape = { kind: 'array', dtype: 'int64', shape: [1], data: new Float64Array([551406493304]) };
  assert.throws(() => nirToModule(graph, { dt: 1e-3, source: path }), (e: unknown) => e instanceof ShapeError && e.message.startsWith(`${path}: node '`) && /declares \[551406493304\]/.test(e.message));
});
