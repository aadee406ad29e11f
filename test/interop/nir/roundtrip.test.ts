import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, Group, withH5Bytes } from '../../../src/interop/nir/h5.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { readNir } from '../../../src/interop/nir/read.js';
import { writeNir } from '../../../src/interop/nir/write.js';
import { emptyGraph, isGraph, nirArray, nirInts, nirString, type NirGraph, type NirNode, type NirValue } from '../../../src/interop/nir/types.js';
import { moduleToNir } from '../../../src/interop/nir/export.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Sequential } from '../../../src/nn/containers.js';
import { DelayedLinear } from '../../../src/nn/delay.js';
import { Rng } from '../../../src/tensor/rng.js';
import { FIXTURE_GRAPHS, nirDir } from './common.js';

const skip = nirDir() ? false : 'fixtures/nir not found (../shared absent)';

/** Deep structural equality of two graphs with bit-exact parameters. */
function assertSameGraph(a: NirNode, b: NirNode, path = 'root'): void {
  assert.equal(a.type, b.type, `${path}: type`);
  assert.deepEqual(Object.keys(a.metadata).sort(), Object.keys(b.metadata).sort(), `${path}: metadata keys`);
  for (const k of Object.keys(a.metadata)) assert.deepEqual(a.metadata[k], b.metadata[k], `${path}: metadata ${k}`);
  if (isGraph(a) && isGraph(b)) {
    assert.deepEqual(a.edges, b.edges, `${path}: edges`);
    assert.deepEqual([...a.nodes.keys()].sort(), [...b.nodes.keys()].sort(), `${path}: node names`);
    for (const [k, n] of a.nodes) assertSameGraph(n, b.nodes.get(k)!, `${path}.${k}`);
  } else if (!isGraph(a) && !isGraph(b)) {
    assert.deepEqual(Object.keys(a.fields).sort(), Object.keys(b.fields).sort(), `${path}: fields`);
    for (const [k, v] of Object.entries(a.fields)) {
      const w: NirValue = b.fields[k]!;
      assert.deepEqual(v, w, `${path}.${k}`);
      if (v.kind === 'array' && w.kind === 'array') {
        // bit-exact, including -0 and NaN payloads
        assert.deepEqual(new Uint8Array(v.data.buffer), new Uint8Array(w.data.buffer), `${path}.${k} bits`);
      }
    }
  }
}

/** The HDF5 tree as `path  kind shape=(..) dtype=..` lines, in the format of index.json's "h5" lists (values dropped). */
async function walk(bytes: Uint8Array): Promise<string[]> {
  return withH5Bytes(bytes, 'walk', (f) => {
    const lines: string[] = [];
    const visit = (g: Group, prefix: string): void => {
      for (const k of g.keys()) {
        const e = g.get(k);
        const p = prefix + k;
        if (e instanceof Group) {
          lines.push(`${p}/  group`);
          visit(e, `${p}/`);
        } else if (e instanceof Dataset) {
          const m = e.metadata;
          const shape = m.shape ?? [];
          const dtype = m.type === 3 ? 'object' : m.type === 1 ? `float${m.size * 8}` : `int${m.size * 8}`;
          lines.push(`${p}  dataset shape=(${shape.join(', ')}${shape.length === 1 ? ',' : ''}) dtype=${dtype}`);
        }
      }
    };
    visit(f, '');
    return lines.sort();
  });
}

for (const name of FIXTURE_GRAPHS) {
  test(`${name}: read → write → read is identical and the layout matches the reference`, { skip }, async () => {
    const bytes = readFileSync(join(nirDir()!, `${name}.nir`));
    const a = await readNir(bytes, { source: name });
    const written = await writeNir(a);
    const b = await readNir(written);
    assert.equal(b.version, a.version);
    assertSameGraph(a.graph, b.graph);
    const index = JSON.parse(readFileSync(join(nirDir()!, 'index.json'), 'utf8')) as { graphs: Record<string, { h5: string[] }> };
    const ref = index.graphs[name]!.h5.map((l) => l.replace(/ value=.*$/, '')).sort();
    assert.deepEqual(await walk(written), ref);
    // uncompressed (contiguous) arrays read back the same
    assertSameGraph(a.graph, (await readNir(await writeNir(a, { compression: 0 }))).graph);
  });
}

/** input → aff → G{in → lif → out} → output, with a recurrent edge G.lif → rec → aff. */
function nestedRecurrentGraph(): NirGraph {
  const inner = emptyGraph({ note: nirString('inner') });
  inner.nodes.set('in', { type: 'Input', fields: { shape: nirInts([1]) }, metadata: {} });
  inner.nodes.set('lif', { type: 'IF', fields: { r: nirArray([1e4], [1], 'float64'), v_threshold: nirArray([1.5], [1], 'float64'), v_reset: nirArray([0], [1], 'float64') }, metadata: { tag: nirString('x') } });
  inner.nodes.set('out', { type: 'Output', fields: { shape: nirInts([1]) }, metadata: {} });
  inner.edges.push(['in', 'lif'], ['lif', 'out']);
  const g = emptyGraph({ dt: { kind: 'array', dtype: 'float64', shape: [], data: Float64Array.of(1e-4) } });
  g.nodes.set('input', { type: 'Input', fields: { shape: nirInts([1]) }, metadata: {} });
  g.nodes.set('aff', { type: 'Linear', fields: { weight: nirArray([1], [1, 1]) }, metadata: {} });
  g.nodes.set('G', inner);
  g.nodes.set('rec', { type: 'Scale', fields: { scale: nirArray([5], [1]) }, metadata: {} });
  g.nodes.set('output', { type: 'Output', fields: { shape: nirInts([1]) }, metadata: {} });
  g.edges.push(['input', 'aff'], ['aff', 'G'], ['G', 'output'], ['G.lif', 'rec'], ['rec', 'aff']);
  return g;
}

test('nested graph with a cycle and float64 params: round trip and one-step-delayed recurrence', async () => {
  const g = nestedRecurrentGraph();
  const back = (await readNir(await writeNir(g))).graph;
  assertSameGraph(g, back);
  assert.equal((back.nodes.get('G') as NirGraph).nodes.get('lif')!.type, 'IF');
  const T = 5;
  const r = runNir(back, { steps: T, batch: 1, shape: [1], data: new Float64Array(T).fill(1) }, { recordAll: true });
  // v += x: step 0 v = 1; step 1 v = 2 > 1.5 spikes; from step 2 the spike comes back ×5 one step later.
  assert.deepEqual(Array.from(r.outputs.get('output')!.data), [0, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(r.nodes.get('aff')!.data), [1, 1, 6, 6, 6]);
});

test('files without v_reset (older writers) read as zeros', async () => {
  const { buildH5Bytes } = await import('../../../src/interop/nir/h5.js');
  const bytes = await buildH5Bytes((f) => {
    f.create_dataset({ name: 'version', data: '0.2' });
    const n = f.create_group('node');
    n.create_dataset({ name: 'type', data: 'NIRGraph' });
    n.create_dataset({ name: 'edges', data: ['input', 'lif', 'lif', 'output'], shape: [2, 2] });
    const nodes = n.create_group('nodes');
    for (const [k, t] of [['input', 'Input'], ['output', 'Output']] as const) {
      const g = nodes.create_group(k);
      g.create_dataset({ name: 'type', data: t });
      g.create_dataset({ name: 'shape', data: new BigInt64Array([2n]), shape: [1], dtype: '<q' });
    }
    const l = nodes.create_group('lif');
    l.create_dataset({ name: 'type', data: 'LIF' });
    for (const k of ['tau', 'r', 'v_leak', 'v_threshold']) l.create_dataset({ name: k, data: new Float64Array([k === 'v_leak' ? 0 : 1e-3, 1e-3]), shape: [2], dtype: '<d' });
  });
  const doc = await readNir(bytes);
  const lif = doc.graph.nodes.get('lif')!;
  assert.ok(!isGraph(lif));
  const vr = lif.fields['v_reset']!;
  assert.equal(vr.kind, 'array');
  if (vr.kind === 'array') {
    assert.deepEqual(Array.from(vr.data), [0, 0]);
    assert.equal(vr.dtype, 'float64');
  }
});

test('a delay network written by the exporter has the reference layout: Delay nodes hold `type` and `delay` [shape] only', { skip }, async () => {
  const rng = new Rng(2);
  const net = new Sequential([
    new DelayedLinear(3, 4, rng, { maxDelay: 4, mode: 'fixed', bias: true }),
    new LIF(4, { beta: 0.9, reset: 'zero' }),
    new DelayedLinear(4, 2, rng, { maxDelay: 2, mode: 'fixed' }),
    new LIF(2, { beta: 0.9, reset: 'zero' }),
  ]);
  const { graph } = moduleToNir(net, { dt: 1e-4, inputShape: [3] });
  const lines = await walk(await writeNir(graph));
  // What the reference package writes per node type: the fixtures' trees for the types they hold;
  // Linear and Delay from its writer (nir/write.py: {"type": "Linear", "weight"}, {"type": "Delay", "delay"}).
  const index = JSON.parse(readFileSync(join(nirDir()!, 'index.json'), 'utf8')) as { graphs: Record<string, { h5: string[] }> };
  const ref = new Map<string, Map<string, string>>([
    ['Linear', new Map([['weight', 'float32']])],
    ['Delay', new Map([['delay', 'float32']])],
  ]);
  for (const g of Object.values(index.graphs)) {
    const typeOf = new Map<string, string>();
    for (const l of g.h5) {
      const m = /^node\/nodes\/([^/]+)\/type .* value=(\w+)$/.exec(l);
      if (m) typeOf.set(m[1]!, m[2]!);
    }
    for (const l of g.h5) {
      const m = /^node\/nodes\/([^/]+)\/(\w+)  dataset shape=\([^)]*\) dtype=(\w+)/.exec(l);
      if (!m || m[2] === 'type') continue;
      const t = typeOf.get(m[1]!)!;
      if (!ref.has(t)) ref.set(t, new Map());
      ref.get(t)!.set(m[2]!, m[3]!);
    }
  }
  const expected = ['node/  group', `node/edges  dataset shape=(${graph.edges.length}, 2) dtype=object`, 'node/nodes/  group', 'node/type  dataset shape=() dtype=object', 'version  dataset shape=() dtype=object'];
  let delays = 0;
  for (const [name, n] of graph.nodes) {
    assert.ok(!isGraph(n));
    const fields = ref.get(n.type);
    assert.ok(fields, `reference layout known for ${n.type}`);
    expected.push(`node/nodes/${name}/  group`, `node/nodes/${name}/type  dataset shape=() dtype=object`);
    for (const [f, dtype] of fields) {
      const v = n.fields[f]!;
      assert.ok(v && v.kind === 'array', `${name}.${f}`);
      expected.push(`node/nodes/${name}/${f}  dataset shape=(${v.shape.join(', ')}${v.shape.length === 1 ? ',' : ''}) dtype=${dtype}`);
    }
    if (n.type === 'Delay') delays++;
  }
  assert.ok(delays >= 3, `${delays} Delay nodes`);
  // spikeflow's metadata (the graph's dt, reset, exporter; the neurons' spikeflow_layer) is the only addition
  assert.deepEqual(lines.filter((l) => !/(^|\/)metadata\//.test(l)), expected.sort());
  assert.ok(lines.includes('node/metadata/dt  dataset shape=() dtype=float64'));
});
