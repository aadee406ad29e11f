import test from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/load-node.js';
import { runNameProblem } from '../../src/config/run-name.js';
import { ConfigError } from '../../src/errors.js';

// A run's name is one folder name (runs/<name>-<timestamp>): `name: ../../escaped-run` put the run outside runs/.

const LAYERS = 'model: { layers: [{ type: linear, out: 10 }, { type: lif }] }\n';

test('names that are paths are refused, naming the key', () => {
  for (const name of ['../../escaped-run', '..', '.', 'a/b', '/abs', 'a\\\\b', 'x\\u0000y']) {
    assert.throws(
      () => parseConfigText(`name: "${name}"\n${LAYERS}`, 'n.yaml'),
      (e: unknown) => e instanceof ConfigError && /^n\.yaml: name: run name /.test(e.message),
      `name ${JSON.stringify(name)} must be refused`,
    );
  }
  assert.match(runNameProblem('../../escaped-run')!, /contains a path separator/);
  assert.match(runNameProblem('x'.repeat(101))!, /at most 100/);
});

test('ordinary names, spaces and dots included, are kept as written', () => {
  for (const name of ['mnist-lif', 'my run', 'v1.2_final', '..hidden', 'run']) {
    assert.equal(runNameProblem(name), null, name);
    assert.equal(parseConfigText(`name: "${name}"\n${LAYERS}`, 'n.yaml').name, name);
  }
});
