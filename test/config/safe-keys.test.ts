import test from 'node:test';
import assert from 'node:assert/strict';
import { applyOverrides, parseConfigText, readConfigYaml, setConfigPath } from '../../src/config/load-node.js';
import { checkTreeKeys, isForbiddenKey } from '../../src/config/safe-keys.js';
import { ConfigError } from '../../src/errors.js';

/*
 * Prototype pollution through config keys (issue 18): `--set
 * __proto__.polluted=1` used to write into Object.prototype. Every way a
 * key enters a config refuses __proto__, constructor and prototype, and
 * nothing is polluted afterwards.
 */

const YAML_CONFIG = `
name: safe
model:
  layers:
    - { type: linear, out: 10 }
    - { type: lif }
`;

function assertClean(): void {
  for (const k of ['polluted', 'x']) assert.equal(k in {}, false, `Object.prototype.${k} was set`);
}

function refused(f: () => unknown, key: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ConfigError && key.test(e.message) && /not allowed in a config/.test(e.message), `expected a ConfigError naming ${key}`);
  assertClean();
}

test('--set keys: __proto__, constructor and prototype refused in any segment', () => {
  refused(() => applyOverrides({}, ['__proto__.polluted=1']), /--set __proto__\.polluted: key '__proto__'/);
  refused(() => applyOverrides({}, ['constructor.prototype.polluted=1']), /key 'constructor'/);
  refused(() => applyOverrides({ data: {} }, ['data.__proto__.polluted=1']), /key '__proto__'/);
  refused(() => parseConfigText(YAML_CONFIG, 'safe.yaml', ['train.prototype=1']), /key 'prototype'/);
  refused(() => setConfigPath({}, 'a.__proto__', 1, 'axis x'), /^axis x: key '__proto__'/);
});

test('--set values: a mapping with such a key is refused too', () => {
  refused(() => applyOverrides({}, ['data={__proto__: {polluted: 1}}']), /--set data: key '__proto__'/);
  refused(() => applyOverrides({}, ['model.layers=[{type: linear, constructor: {x: 1}}]']), /key '\[0\]\.constructor'/);
});

test('YAML documents: such a key anywhere is refused, with its path', () => {
  refused(() => parseConfigText(`${YAML_CONFIG}__proto__: { polluted: 1 }\n`, 'a.yaml'), /^a\.yaml: key '__proto__'/);
  refused(() => parseConfigText(`${YAML_CONFIG}data: { __proto__: { polluted: 1 } }\n`, 'b.yaml'), /^b\.yaml: key 'data\.__proto__'/);
  // YAML merge keys copy a mapping in: the copied keys are checked like any other.
  refused(() => readConfigYaml(`anchor: &a { __proto__: { polluted: 1 } }\ndata: { <<: *a }\n`, 'c.yaml'), /key 'anchor\.__proto__'/);
});

test('ordinary keys pass, including ones that merely contain the words', () => {
  assert.equal(isForbiddenKey('proto'), false);
  assert.doesNotThrow(() => checkTreeKeys({ data: { prototype_dir: 1, constructors: [1] } }, 'x'));
  const c = parseConfigText(YAML_CONFIG, 'ok.yaml', ['train.epochs=2']);
  assert.equal(c.train.epochs, 2);
  assertClean();
});
