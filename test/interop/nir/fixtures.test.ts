import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { noGrad } from '../../../src/autograd/tape.js';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { registerNirCommands } from '../../../src/cli/commands/nir-node.js';
import { ConfigError } from '../../../src/errors.js';
import { runNir } from '../../../src/interop/nir/executor.js';
import { readNirFile } from '../../../src/interop/nir/file-node.js';
import { nirToModule } from '../../../src/interop/nir/import.js';
import { NirNeuron } from '../../../src/interop/nir/neuron.js';
import { IF } from '../../../src/neurons/if/index.js';
import { tensor } from '../../../src/tensor/create.js';
import { FIXTURE_GRAPHS, loadFixture, mismatches, nirDir } from './common.js';

const skip = nirDir() ? false : 'fixtures/nir not found (../shared absent)';

for (const name of FIXTURE_GRAPHS) {
  test(`executor reproduces ${name} (outputs and hidden spikes, step by step)`, { skip }, async () => {
    const fx = loadFixture(name);
    const doc = await readNirFile(fx.path);
    const r = runNir(doc.graph, fx.input, { dt: fx.dt, recordAll: true });
    const out = r.outputs.get('output')!;
    assert.deepEqual(mismatches(out.data, fx.output), [], `${name}: output spikes differ`);
    assert.ok(fx.output.some((s) => s === 1), 'fixture has spikes');
    for (const [k, ref] of Object.entries(fx.hidden)) assert.deepEqual(mismatches(r.nodes.get(k)!.data, ref), [], `${name}: hidden layer ${k} differs`);
  });

  test(`imported module reproduces ${name} spike for spike (float32 and float64 backends)`, { skip }, async () => {
    const fx = loadFixture(name);
    const doc = await readNirFile(fx.path);
    for (const be of ['ts', 'ts64']) {
      withBackend(getBackendByName(be), () => {
        const imp = nirToModule(doc.graph, { dt: fx.dt });
        const x = tensor(fx.input.data, [fx.input.steps, fx.input.batch, ...imp.inputShape]);
        const y = noGrad(() => imp.model.forward(x));
        assert.deepEqual(mismatches(y.data, fx.output), [], `${name} on ${be}`);
      });
    }
  });
}

test('importer maps to existing neurons where exact, NirNeuron otherwise', { skip }, async () => {
  const fx = loadFixture('iii_conv_if_sumpool_flatten_affine_lif');
  const imp = nirToModule((await readNirFile(fx.path)).graph, { dt: fx.dt });
  const kinds = imp.model.layers.map((m) => m.constructor);
  assert.ok(kinds.includes(IF), 'IF with r·dt = 1 becomes spikeflow IF');
  assert.ok(kinds.includes(NirNeuron), 'LIF with gain dt/τ·r = 0.1 needs NirNeuron');
  assert.deepEqual(imp.inputShape, [2, 10, 10]);
  assert.deepEqual(imp.layers.map((l) => l.type), ['conv2d', 'if', 'sumpool2d', 'flatten', 'linear', 'nir']);
});

test('dt is required: from the argument or the graph metadata', { skip }, async () => {
  const fx = loadFixture('i_affine_lif_2layer');
  const doc = await readNirFile(fx.path);
  assert.throws(() => runNir(doc.graph, fx.input), (e: unknown) => e instanceof ConfigError && /dt/.test(e.message));
  assert.throws(() => nirToModule(doc.graph), ConfigError);
});

function program(): Command {
  const p = new Command().exitOverride();
  registerNirCommands(p);
  return p;
}

test('CLI `nir run` reproduces every fixture and `nir inspect --json` lists the graph', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-nir-'));
  try {
    for (const name of FIXTURE_GRAPHS) {
      const fx = loadFixture(name);
      const out = join(dir, `${name}.json`);
      // the fixture JSON itself is a valid input ({"input": [t][batch][...]})
      await program().parseAsync(['nir', 'run', fx.path, '--dt', String(fx.dt), '--input', join(nirDir()!, `${name}_outputs.json`), '--out', out, '--all'], { from: 'user' });
      const res = JSON.parse(readFileSync(out, 'utf8')) as { outputs: Record<string, unknown>; nodes: Record<string, unknown> };
      const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
      assert.deepEqual(mismatches(flat(res.outputs['output']), fx.output), [], `CLI run ${name}`);
      for (const [k, ref] of Object.entries(fx.hidden)) assert.deepEqual(mismatches(flat(res.nodes[k]), ref), [], `CLI run ${name} ${k}`);
    }
    const fx = loadFixture('ii_cubalif_2layer');
    const inputJson = join(dir, 'in.json');
    writeFileSync(inputJson, JSON.stringify([[[1, 2]]]));
    await assert.rejects(program().parseAsync(['nir', 'run', fx.path, '--dt', '1e-4', '--input', inputJson, '--out', join(dir, 'x.json')], { from: 'user' }), /shape/);
    await assert.rejects(program().parseAsync(['nir', 'run', fx.path, '--input', inputJson, '--out', join(dir, 'x.json')], { from: 'user' }), ConfigError);
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (chunks.push(s), true)) as typeof process.stdout.write;
    try {
      await program().parseAsync(['nir', 'inspect', fx.path, '--json'], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    const s = JSON.parse(chunks.join('')) as { nodes: { name: string; type: string; outShape: number[] }[]; edges: unknown[] };
    assert.equal(s.edges.length, 5);
    assert.deepEqual(s.nodes.find((n) => n.name === 'cuba1'), { ...s.nodes.find((n) => n.name === 'cuba1')!, type: 'CubaLIF', outShape: [5] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
