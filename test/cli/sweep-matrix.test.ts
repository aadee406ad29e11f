// Sweep matrices: expansion, merge rules, include/exclude, deterministic cell
// ids and the errors for bad matrices. No training here (test/cli/sweep-run.test.ts runs cells).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../src/errors.js';
import { canonicalJson, cellId, expandMatrix, parseMatrix, valueLabel } from '../../src/cli/sweep/matrix.js';
import { loadMatrix, readPlan, writeSweepFolder } from '../../src/cli/sweep/plan-node.js';
import { loadConfig } from '../../src/config/load-node.js';
import { repoRoot } from '../helpers.js';

const BASE = {
  name: 'm',
  seed: 1,
  data: { dataset: 'mnist', train_limit: 64, test_limit: 32 },
  encoder: { type: 'direct', steps: 4 },
  model: {
    layers: [
      { type: 'linear', out: 16 },
      { type: 'lif', beta: 0.9, surrogate: { name: 'fastSigmoid', slope: 25 } },
      { type: 'linear', out: 10 },
      { type: 'lif', beta: 0.9, surrogate: { name: 'fastSigmoid', slope: 25 } },
    ],
  },
  train: { epochs: 1, loss: { type: 'ce_count' }, optimizer: { type: 'adam', lr: 0.002 } },
};

function expand(doc: Record<string, unknown>) {
  return expandMatrix(parseMatrix(doc, 'm.yaml', { config: structuredClone(BASE), source: 'base.yaml' }, 'm'));
}

function throwsConfig(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), `expected a ConfigError matching ${re}`);
}

test('key axes: the product in axis order, labels, raw values, one id per resolved config', () => {
  const { cells, duplicates } = expand({ axes: { 'encoder.steps': [1, 2, 4], seed: [1, 2] } });
  assert.equal(cells.length, 6);
  assert.deepEqual(duplicates, []);
  assert.deepEqual(cells.map((c) => c.label).slice(0, 3), ['encoder.steps=1 seed=1', 'encoder.steps=1 seed=2', 'encoder.steps=2 seed=1']);
  assert.deepEqual(cells[5]!.values, { 'encoder.steps': 4, seed: 2 });
  assert.equal(cells[5]!.config.encoder.steps, 4);
  assert.equal(cells[5]!.config.seed, 2);
  assert.equal(new Set(cells.map((c) => c.id)).size, 6);
  for (const c of cells) assert.match(c.id, /^[a-p][a-z2-7]{11}$/);
  // Deterministic: the same matrix gives the same ids; the id is the resolved config's, not the label's.
  assert.deepEqual(expand({ axes: { seed: [2, 1], 'encoder.steps': [4, 2, 1] } }).cells.map((c) => c.id).sort(), cells.map((c) => c.id).sort());
  assert.equal(cellId(cells[0]!.config), cells[0]!.id);
});

test('canonical JSON ignores key order; the cell id changes with any value', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
  const [c] = expand({ axes: { seed: [1] } }).cells;
  const other = structuredClone(c!.config);
  other.train.optimizer = { ...other.train.optimizer, lr: 0.0021 };
  assert.notEqual(cellId(other), c!.id);
  assert.equal(valueLabel({ a: 1 }), '{"a":1}');
});

test('a key axis with several keys sets each; named axes merge partial configs, a new type replaces the old', () => {
  const { cells } = expand({
    axes: {
      neuron: {
        lif: {},
        plif: { 'model.layers.1': { type: 'plif', init_tau: 2 }, 'model.layers.3': { type: 'plif' } },
        if: { model: { layers: [{ type: 'linear', out: 16 }, { type: 'if' }, { type: 'linear', out: 10 }, { type: 'if' }] } },
      },
      surrogate: { key: ['model.layers.1.surrogate', 'model.layers.3.surrogate'], values: ['arctan', { name: 'sigmoid', slope: 4 }] },
    },
  });
  assert.equal(cells.length, 6);
  const plif = cells.find((c) => c.axes.neuron === 'plif' && c.axes.surrogate === 'arctan')!;
  // beta (a lif option) did not survive the type change; the surrogate axis applied after the neuron axis.
  assert.deepEqual(plif.config.model.layers[1], { type: 'plif', init_tau: 2, surrogate: 'arctan' });
  const sig = cells.find((c) => c.axes.neuron === 'if' && c.axes.surrogate === '{"name":"sigmoid","slope":4}')!;
  assert.equal(sig.config.model.layers[3]!.type, 'if');
  assert.deepEqual(sig.config.model.layers[3]!.surrogate, { name: 'sigmoid', slope: 4 });
  assert.equal(sig.values.neuron, null);
  // A mapping of the same type merges key by key.
  const merged = expand({ axes: { opt: { fast: { train: { optimizer: { lr: 0.01 } } } } } }).cells[0]!;
  assert.equal(merged.config.train.optimizer.type, 'adam');
  assert.equal(merged.config.train.optimizer.lr, 0.01);
});

test('include and exclude; combinations that resolve to the same config run once', () => {
  const axes = { seed: [1, 2], 'encoder.steps': [2, 4] };
  const ex = expand({ axes, exclude: [{ seed: 2, 'encoder.steps': [2, 4] }] }).cells;
  assert.deepEqual(ex.map((c) => c.label), ['seed=1 encoder.steps=2', 'seed=1 encoder.steps=4']);
  // include pins some axes and spans the rest; a key axis may take a value it does not list.
  const inc = expand({ axes, exclude: [{ seed: 2 }], include: [{ seed: 3, 'encoder.steps': 8 }, { 'encoder.steps': 4 }] });
  assert.deepEqual(inc.cells.map((c) => c.label), ['seed=1 encoder.steps=2', 'seed=1 encoder.steps=4', 'seed=3 encoder.steps=8', 'seed=2 encoder.steps=4']);
  assert.deepEqual(inc.duplicates, []);
  const dup = expand({ axes: { lr: { key: 'train.optimizer.lr', values: [0.002, 0.004] }, seed: [1] }, include: [{ lr: 0.002 }] });
  assert.equal(dup.cells.length, 2);
  // A value equal to the base's resolves to the base config: one cell.
  const same = expand({ axes: { 'encoder.steps': [4], 'train.epochs': [1] } });
  assert.equal(same.cells.length, 1);
});

test('bad matrices: each one clear error naming the axis and key', () => {
  throwsConfig(() => expand({ axes: { 'encoder.stepz': [1, 2] } }), /^m\.yaml: axis 'encoder\.stepz' value '1': encoder: unknown option 'stepz' for encoder type 'direct'/);
  throwsConfig(() => expand({ axes: { 'train.epochz': [1, 2] } }), /^m\.yaml: axis 'train\.epochz' value '1': unknown key 'epochz' at train$/);
  throwsConfig(() => expand({ axes: { neuron: { plif: { 'model.layers.1': { type: 'plif', betta: 2 } } } } }), /axis 'neuron' value 'plif': model\.layers\[1\]: unknown option 'betta' for layer type 'plif'/);
  throwsConfig(() => expand({ axes: { lr: { key: 'train.optimizer.lr', values: ['fast'] } } }), /axis 'lr' value 'fast': train\.optimizer\.lr: expected number, got string/);
  throwsConfig(() => expand({ axes: { 'model.layers.9.beta': [0.5] } }), /axis 'model\.layers\.9\.beta' value '0\.5' \(key model\.layers\.9\.beta\): index 9 does not exist/);
  throwsConfig(() => expand({ axes: {} }), /^m\.yaml: empty matrix: 'axes' names no axis/);
  throwsConfig(() => expand({}), /empty matrix/);
  throwsConfig(() => expand({ axes: { seed: [] } }), /axes\.seed: an axis needs at least one value/);
  throwsConfig(() => expand({ axes: { seed: [1, 2] }, exclude: [{ seed: [1, 2] }] }), /empty matrix: the exclude rules remove every cell/);
  throwsConfig(() => expand({ axes: { seed: [1] }, exclude: [{ sead: 1 }] }), /exclude\[0\]: unknown axis 'sead' \(axes: seed\)/);
  throwsConfig(() => expand({ axes: { n: { a: {} } }, include: [{ n: 'b' }] }), /include\[0\]: axis 'n' has no value 'b' \(values: a\)/);
  throwsConfig(() => expand({ axes: { seed: [1] }, sweep: 1 }), /unknown key 'sweep' at top level/);
  throwsConfig(() => expand({ axes: { x: { key: 'seed', values: [1], extra: 2 } } }), /axes\.x: unknown field 'extra'/);
  throwsConfig(() => expand({ set: { 'train.epochz': 2 }, axes: { seed: [1] } }), /^m\.yaml: the base base\.yaml with the matrix's set: unknown key 'epochz' at train/);
});

test('the sweep folder: plan, matrix copy, resolved configs that reload to the same cell ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-sweep-plan-'));
  writeFileSync(join(dir, 'base.yaml'), YAML.stringify(BASE));
  writeFileSync(join(dir, 'm.yaml'), 'name: plan-test\nbase: base.yaml\nset: { train.epochs: 2 }\naxes:\n  seed: [1, 2]\n  T: { key: encoder.steps, values: [2, 4] }\n');
  const loaded = loadMatrix(join(dir, 'm.yaml'), ['data.train_limit=32']);
  const plan = writeSweepFolder(join(dir, 'out'), loaded);
  assert.equal(plan.name, 'plan-test');
  assert.deepEqual(plan.seed_axes, ['seed']);
  assert.deepEqual(readPlan(join(dir, 'out')), plan);
  assert.equal(readFileSync(join(dir, 'out', 'matrix.yaml'), 'utf8'), readFileSync(join(dir, 'm.yaml'), 'utf8'));
  for (const c of plan.cells) {
    const { config } = loadConfig(join(dir, 'out', c.config));
    assert.equal(cellId(config), c.id, `${c.config} reloads to its id`);
    assert.equal(config.train.epochs, 2);
    assert.equal(config.data.train_limit, 32);
  }
  // Another sweep's folder is refused.
  writeFileSync(join(dir, 'm2.yaml'), 'name: other\nbase: base.yaml\naxes: { seed: [1] }\n');
  throwsConfig(() => writeSweepFolder(join(dir, 'out'), loadMatrix(join(dir, 'm2.yaml'))), /holds sweep 'plan-test', not 'other'/);
});

test('the example matrices resolve (transformers: validated, not run)', () => {
  const ex = join(repoRoot(), 'examples', 'sweeps');
  const ns = loadMatrix(join(ex, 'neurons-surrogates.yaml'));
  assert.equal(ns.cells.length, 16);
  assert.deepEqual(new Set(ns.cells.map((c) => c.config.model.layers.find((l) => l.type !== 'conv2d' && l.type !== 'maxpool2d' && l.type !== 'linear')!.type)), new Set(['lif', 'plif', 'alif', 'if']));
  const ts = loadMatrix(join(ex, 'timesteps.yaml'));
  assert.deepEqual([...new Set(ts.cells.map((c) => c.config.encoder.steps))].sort((a, b) => a - b), [1, 2, 4, 8]);
  const tr = loadMatrix(join(ex, 'transformers.yaml'));
  assert.ok(tr.cells.length >= 8);
  assert.ok(tr.cells.some((c) => c.config.model.quantize != null));
  assert.deepEqual(new Set(tr.cells.map((c) => c.config.model.layers.some((l) => l.type === 'block' && JSON.stringify(l).includes('"sdsa"')))), new Set([true, false]));
});
