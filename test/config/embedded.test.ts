import test from 'node:test';
import assert from 'node:assert/strict';
import { parseEmbeddedConfigText } from '../../src/config/load-node.js';
import { dropEmbeddedPaths } from '../../src/config/embedded.js';

// A config embedded in a weights file never chooses paths: data.dir, data.cache_dir and train.distill are dropped.

const EMBEDDED = `
name: downloaded
data: { dataset: mnist, dir: /etc/somewhere, cache_dir: /tmp/evil-cache, batch_size: 16 }
model: { layers: [{ type: linear, out: 10 }, { type: lif }] }
train: { epochs: 2, distill: { teacher: /elsewhere/run } }
`;

test('the path keys are dropped; everything else is kept', () => {
  const c = parseEmbeddedConfigText(EMBEDDED, 'w.safetensors (embedded config)');
  assert.equal(c.data.dir, null);
  assert.equal(c.data.cache_dir, null);
  assert.equal(c.train.distill, undefined);
  assert.equal(c.data.batch_size, 16);
  assert.equal(c.train.epochs, 2);
  assert.equal(c.name, 'downloaded');
});

test("the user's --set (and --data-dir) still choose paths", () => {
  const c = parseEmbeddedConfigText(EMBEDDED, 'w', ['data.dir="/my/data"', 'data.cache_dir=/my/cache']);
  assert.equal(c.data.dir, '/my/data');
  assert.equal(c.data.cache_dir, '/my/cache');
});

test('dropEmbeddedPaths reports what it dropped', () => {
  const raw = { data: { dir: 'x', cache_dir: null }, train: {} } as Record<string, unknown>;
  assert.deepEqual(dropEmbeddedPaths(raw), ['data.dir']);
  assert.deepEqual(raw, { data: {}, train: {} });
  assert.deepEqual(dropEmbeddedPaths({ data: 'odd' }), []);
});
