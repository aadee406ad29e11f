import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { defaultNativeAddonPath, loadNativeAddon, registerNativeBackend } from '../../../src/backend/native/load-node.js';
import { backendNames, setBackend } from '../../../src/backend/registry.js';

/*
 * Without the addon (SPIKEFLOW_NATIVE=0 or a missing file) nothing named
 * `native` is registered and `auto` selects the next backend. Runs in its own
 * test process (node --test isolates files), so no other test registered it.
 */
test('SPIKEFLOW_NATIVE=0 skips the addon and auto selects the next backend', () => {
  const saved = process.env.SPIKEFLOW_NATIVE;
  process.env.SPIKEFLOW_NATIVE = '0';
  try {
    const r = registerNativeBackend();
    assert.equal(r.ok, false);
    assert.match(r.reason, /disabled by SPIKEFLOW_NATIVE=0/);
    assert.ok(!backendNames().includes('native'));
    const chosen = setBackend('auto');
    assert.notEqual(chosen.name, 'native');
    assert.equal(chosen.name, backendNames()[0], 'auto takes the highest-priority registered backend');
  } finally {
    if (saved === undefined) delete process.env.SPIKEFLOW_NATIVE;
    else process.env.SPIKEFLOW_NATIVE = saved;
  }
});

test('a missing addon file gives a one-line "not built" reason', () => {
  const r = registerNativeBackend({ path: '/nonexistent/spikeflow_native.node' });
  assert.equal(r.ok, false);
  assert.match(r.reason, /^native addon not built: \/nonexistent\/spikeflow_native\.node is missing/);
  assert.ok(!r.reason.includes('\n'));
  assert.ok(!backendNames().includes('native'));
  assert.notEqual(setBackend('auto').name, 'native');
});

test('the default addon path is under the package root, independent of the working directory', () => {
  const p = defaultNativeAddonPath();
  assert.match(p, /build[\\/]Release[\\/]spikeflow_native\.node$/);
  const cwd = process.cwd();
  try {
    process.chdir('/');
    assert.equal(defaultNativeAddonPath(), p);
    // When built, it loads from any cwd.
    if (existsSync(p) && process.env.SPIKEFLOW_NATIVE !== '0') assert.ok(loadNativeAddon().addon, 'addon should load from /');
  } finally {
    process.chdir(cwd);
  }
});
