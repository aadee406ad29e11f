// `spikeflow serve`'s static server: loopback only, files under its folder
// only, the right content types, a clear error without a built playground.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRequestPath, startServer, SERVE_HOST } from '../../src/cli/commands/serve-node.js';
import { NotFoundError } from '../../src/errors.js';

/** A raw GET (fetch would normalise '..' away before it reaches the server). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: SERVE_HOST, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('serve: files under the folder with their types; nothing outside it; loopback only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-serve-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'a.js'), 'export {};');
  writeFileSync(join(dir, 'digits.bin'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(tmpdir(), 'spikeflow-serve-secret.txt'), 'secret');
  const s = await startServer({ dir, port: 0 });
  try {
    assert.equal(s.url, `http://127.0.0.1:${s.port}/`);
    const addr = s.server.address();
    assert.ok(typeof addr === 'object' && addr !== null && addr.address === '127.0.0.1', 'bound to the loopback address');
    const index = await get(s.port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.type, 'text/html; charset=utf-8');
    assert.ok(index.body.includes('<title>x</title>'));
    assert.equal((await get(s.port, '/assets/a.js')).type, 'text/javascript; charset=utf-8');
    assert.equal((await get(s.port, '/digits.bin')).type, 'application/octet-stream');
    assert.equal((await get(s.port, '/digits.bin', 'HEAD')).status, 200);
    assert.equal((await get(s.port, '/missing.js')).status, 404);
    assert.equal((await get(s.port, '/../spikeflow-serve-secret.txt')).status, 404);
    assert.equal((await get(s.port, '/%2e%2e/spikeflow-serve-secret.txt')).status, 404);
    assert.equal((await get(s.port, '/', 'POST')).status, 405);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'spikeflow-serve-secret.txt'), { force: true });
  }
});

test('serve: request paths resolve inside the root or not at all', () => {
  assert.equal(resolveRequestPath('/srv/web', '/'), '/srv/web/index.html');
  assert.equal(resolveRequestPath('/srv/web', '/assets/x.js?v=1'), '/srv/web/assets/x.js');
  assert.equal(resolveRequestPath('/srv/web', '/a%20b.txt'), '/srv/web/a b.txt');
  // The URL parser resolves an encoded '..' segment itself: it stays at the root.
  assert.equal(resolveRequestPath('/srv/web', '/%2e%2e/etc/passwd'), '/srv/web/etc/passwd');
  assert.equal(resolveRequestPath('/srv/web', '/..%2f..%2fetc/passwd'), null);
  assert.equal(resolveRequestPath('/srv/web', '/%E0%A4%A'), null);
});

test('serve: a folder without index.html says to build the playground; a bad port is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-serve-empty-'));
  try {
    await assert.rejects(startServer({ dir, port: 0 }), (e: unknown) => e instanceof NotFoundError && /npm run build:web/.test(e.message));
    writeFileSync(join(dir, 'index.html'), '');
    await assert.rejects(startServer({ dir, port: 70000 }), /--port/);
    const a = await startServer({ dir, port: 0 });
    try {
      await assert.rejects(startServer({ dir, port: a.port }), /already in use/);
    } finally {
      await a.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
