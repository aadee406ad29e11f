// Sweep matrices cannot reach Object.prototype through their keys (issue 18): axis keys, `set`, partial configs, --set.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../src/errors.js';
import { expandMatrix, parseMatrix } from '../../src/cli/sweep/matrix.js';
import { loadMatrix } from '../../src/cli/sweep/plan-node.js';

const BASE = {
  name: 'm',
  data: { dataset: 'mnist', train_limit: 64, test_limit: 32 },
  model: { layers: [{ type: 'linear', out: 10 }, { type: 'lif' }] },
  train: { epochs: 1 },
};

function refused(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ConfigError && re.test(e.message), `expected a ConfigError matching ${re}`);
  assert.equal('polluted' in {}, false, 'Object.prototype was polluted');
}

/** A matrix document as the YAML parser makes it (own `__proto__` keys included). */
function expand(yaml: string) {
  return () => expandMatrix(parseMatrix(YAML.parse(yaml), 'm.yaml', { config: structuredClone(BASE), source: 'base.yaml' }, 'm'));
}

test('a partial config with __proto__ (which merged into Object.prototype) is refused, naming axis, value and key', () => {
  refused(expand('axes: { variant: { evil: { __proto__: { polluted: 1 } } } }'), /m\.yaml: axis 'variant' value 'evil': partial config key '__proto__'/);
  refused(expand('axes: { variant: { evil: { data: { __proto__: { polluted: 1 } } } } }'), /partial config key '__proto__'/);
  refused(expand("axes: { variant: { evil: { 'data.__proto__.polluted': 1 } } }"), /key '__proto__'/);
});

test('axis keys and the matrix set refuse them too', () => {
  refused(expand("axes: { '__proto__.polluted': [1, 2] }"), /axes\.__proto__\.polluted: key '__proto__'/);
  refused(expand('axes: { x: { key: constructor.prototype.polluted, values: [1] } }'), /axes\.x\.key: key 'constructor'/);
  refused(expand("set: { '__proto__.polluted': 1 }\naxes: { seed: [1] }"), /set\.__proto__\.polluted: key '__proto__'/);
});

test('sweep --set: refused like train --set', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-sweep-keys-'));
  try {
    const file = join(tmp, 'm.yaml');
    writeFileSync(file, YAML.stringify({ base: BASE, axes: { seed: [1, 2] } }));
    refused(() => loadMatrix(file, ['__proto__.polluted=1']), /--set __proto__\.polluted: key '__proto__'/);
    assert.equal(loadMatrix(file, ['train.epochs=2']).cells.length, 2);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
