import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, ShapeError } from '../../../src/errors.js';
import { buildH5Bytes } from '../../../src/interop/nir/h5.js';
import { readNir } from '../../../src/interop/nir/read.js';
import { writeNir } from '../../../src/interop/nir/write.js';
import { nirArray, type NirGraph } from '../../../src/interop/nir/types.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { nirDir } from './common.js';

const skip = nirDir() ? false : 'fixtures/nir not found (../shared absent)';
const fixture = (): Uint8Array => readFileSync(join(nirDir()!, 'i_affine_lif_2layer.nir'));

/** A minimal valid file whose LIF node is shaped by `lif` (tests damage one thing at a time). */
async function file(opts: { dropType?: boolean; tau?: number[]; edgeTo?: string; nodeType?: string; extraField?: boolean }): Promise<Uint8Array> {
  return buildH5Bytes((f) => {
    f.create_dataset({ name: 'version', data: 't' });
    const n = f.create_group('node');
    n.create_dataset({ name: 'type', data: 'NIRGraph' });
    n.create_dataset({ name: 'edges', data: ['input', 'lif', 'lif', opts.edgeTo ?? 'output'], shape: [2, 2] });
    const nodes = n.create_group('nodes');
    for (const [k, t] of [['input', 'Input'], ['output', 'Output']] as const) {
      const g = nodes.create_group(k);
      g.create_dataset({ name: 'type', data: t });
      g.create_dataset({ name: 'shape', data: new BigInt64Array([2n]), shape: [1], dtype: '<q' });
    }
    const l = nodes.create_group('lif');
    if (!opts.dropType) l.create_dataset({ name: 'type', data: opts.nodeType ?? 'LIF' });
    const vals: Record<string, number[]> = { tau: opts.tau ?? [1e-3, 1e-3], r: [1, 1], v_leak: [0, 0], v_threshold: [1, 1], v_reset: [0, 0] };
    if (opts.extraField) vals['gain'] = [1, 1];
    for (const [k, v] of Object.entries(vals)) l.create_dataset({ name: k, data: new Float32Array(v), shape: [v.length], dtype: '<f' });
  });
}

test('a valid hand-built file reads', async () => {
  const doc = await readNir(await file({}));
  assert.equal(doc.graph.nodes.size, 3);
});

test('truncated and junk files give FormatError naming the source, never a crash', { skip }, async () => {
  const bytes = fixture();
  for (const cut of [0, 7, 100, 2000, Math.floor(bytes.length / 2), bytes.length - 1]) {
    await assert.rejects(readNir(bytes.subarray(0, cut), { source: 'cut.nir' }), (e: unknown) => e instanceof FormatError && e.message.startsWith('cut.nir'), `cut at ${cut}`);
  }
  await assert.rejects(readNir(new TextEncoder().encode('not hdf5 at all'), { source: 'junk.nir' }), FormatError);
});

test('node without type', async () => {
  await assert.rejects(readNir(await file({ dropType: true }), { source: 'x.nir' }), /x\.nir: node 'lif' has no 'type'/);
});

test('wrong parameter shape', async () => {
  await assert.rejects(readNir(await file({ tau: [1e-3, 1e-3, 1e-3] })), (e: unknown) => e instanceof FormatError && /node 'lif' \(LIF\).*'r' has shape \[2\] but 'tau' has \[3\]/.test(e.message));
});

test('edge to an unknown node', async () => {
  await assert.rejects(readNir(await file({ edgeTo: 'outptu' })), /unknown node 'outptu'/);
});

test('unknown type and unknown field: errors, or warnings in lenient mode', async () => {
  await assert.rejects(readNir(await file({ nodeType: 'Izhikevich' })), /node 'lif' has unknown type 'Izhikevich'/);
  await assert.rejects(readNir(await file({ extraField: true })), /node 'lif' \(LIF\): unknown field 'gain'/);
  const warnings: string[] = [];
  const doc = await readNir(await file({ extraField: true }), { lenient: true, onWarning: (w) => warnings.push(w) });
  assert.equal(warnings.length, 1);
  assert.ok(!('gain' in (doc.graph.nodes.get('lif') as { fields: object }).fields));
  const skipped = await readNir(await file({ nodeType: 'Izhikevich' }), { lenient: true });
  assert.ok(!skipped.graph.nodes.has('lif'));
  assert.ok(skipped.warnings.some((w) => /dropped 2 edge/.test(w)));
});

test('shape mismatches between nodes are found before running', async () => {
  const doc = await readNir(await file({}));
  const g: NirGraph = doc.graph;
  g.nodes.set('output', { type: 'Output', fields: { shape: { kind: 'array', dtype: 'int64', shape: [1], data: Float64Array.of(3) } }, metadata: {} });
  assert.throws(() => runNir(g, { steps: 1, batch: 1, shape: [2], data: new Float64Array(2) }, { dt: 1e-4 }), (e: unknown) => e instanceof ShapeError && /output/.test(e.message));
  // the writer refuses what the reader would refuse
  const lif = g.nodes.get('lif') as { fields: Record<string, unknown> };
  lif.fields['tau'] = nirArray([1], [1]);
  await assert.rejects(writeNir(g), FormatError);
});
