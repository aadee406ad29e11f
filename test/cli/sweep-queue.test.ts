// Sweeps on BullMQ + a real redis-server: two workers, one killed (SIGKILL)
// mid-cell; the sweep still completes with every cell exactly once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConnectionError } from '../../src/errors.js';
import { connectRedis } from '../../src/cli/sweep/queue-node.js';
import { cellIds, cli, cliBackground, completions, doneRecord, midCell, waitFor, writeTinyMatrix } from './sweep-helpers.js';

test('connectRedis: a URL that is not redis:// and an unreachable server are clear errors, quickly', async () => {
  await assert.rejects(connectRedis({ url: 'localhost:6379', queueName: 'q', connectTimeoutMs: 1000 }), (e: unknown) => e instanceof ConfigError && /expected a redis:\/\/ or rediss:\/\/ URL/.test((e as Error).message));
  const t0 = performance.now();
  await assert.rejects(connectRedis({ url: 'redis://127.0.0.1:1', queueName: 'q', connectTimeoutMs: 1000 }), (e: unknown) => e instanceof ConnectionError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/.test((e as Error).message));
  // A filtered address never answers: the timeout, not a hang (10.255.255.1 is unroutable on ordinary networks).
  await assert.rejects(connectRedis({ url: 'redis://10.255.255.1:6379', queueName: 'q', connectTimeoutMs: 800 }), ConnectionError);
  assert.ok(performance.now() - t0 < 5000, 'both gave up within their timeouts');
});

function hasRedis(): boolean {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

test('BullMQ sweep: two workers, one SIGKILLed mid-cell; every cell completes exactly once', async (t) => {
  if (!hasRedis()) {
    // CI installs redis-server (.ci/run), so there the test must run.
    if (process.env.CI) assert.fail('redis-server is not installed, and CI must run this test (.ci/run installs it)');
    t.skip('redis-server is not installed here (apt-get install redis-server); CI runs this test');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-sweep-queue-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: ['ignore', 'pipe', 'pipe'] });
  let redisOut = '';
  redis.stdout!.on('data', (d) => (redisOut += String(d)));
  const url = `redis://127.0.0.1:${port}`;
  const workers: ReturnType<typeof cliBackground>[] = [];
  try {
    await waitFor(() => /Ready to accept connections/.test(redisOut), 20000, 'redis-server to start');
    const m = writeTinyMatrix(tmp, 'queued', [1, 2, 3], 4);
    const out = join(tmp, 'queued-out');
    const sub = cli(['sweep', 'submit', m, '-o', out, '--queue', url], tmp);
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stderr, /3 cells queued, 0 already queued, 0 already done/);
    // Short locks so the killed worker's cell comes back within seconds (the default is 30 s).
    const fast = ['--lock-duration', '2000', '--stalled-interval', '500'];
    const a = cliBackground(['worker', '--queue', url, '--name', 'A', ...fast], tmp);
    const b = cliBackground(['worker', '--queue', url, '--name', 'B', ...fast], tmp);
    workers.push(a, b);
    // The cell A is running, once it has a checkpoint (an epoch done) and is not finished: kill A there.
    let killed: string | null = null;
    await waitFor(
      () => {
        const started = [...a.stderr().matchAll(/worker A: cell ([a-z2-7]{12}) .*: started/g)].map((x) => x[1]!);
        const current = started[started.length - 1];
        if (current && midCell(out).includes(current)) killed = current;
        return killed !== null;
      },
      120000,
      'worker A mid-cell',
    );
    a.child.kill('SIGKILL');
    await a.exited;
    const col = cli(['sweep', 'collect', out, '--queue', url, '--timeout', '150'], tmp);
    assert.equal(col.code, 0, `${col.stderr}\nworker B:\n${b.stderr()}`);
    const ids = cellIds(out);
    const done = completions(out);
    assert.deepEqual(done.map((c) => c.id).sort(), [...ids].sort(), 'every cell completed exactly once');
    const rec = doneRecord(out, killed!);
    assert.equal(rec.worker, 'B', 'the killed worker\'s cell was finished by the other worker');
    assert.equal(rec.resumed, true, 'from the checkpoint the killed worker left');
    // (B's log arrives through a pipe this process reads between its own synchronous CLI calls.)
    await waitFor(() => new RegExp(`worker B: cell ${killed} .*: started`).test(b.stderr()), 10000, "B's log of the cell it took over");
    // The queue agrees, and submitting again queues nothing.
    const st = cli(['sweep', 'status', out, '--queue', url, '--json'], tmp);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { cells: { id: string; state: string; job: { state: string } | null }[] };
    assert.deepEqual(new Set(status.cells.map((c) => `${c.state}/${c.job?.state}`)), new Set(['done/completed']));
    const again = cli(['sweep', 'submit', m, '-o', out, '--queue', url], tmp);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /0 cells queued, 0 already queued, 3 already done/);
    assert.match(cli(['sweep', 'report', out], tmp).stderr, /report of 3 finished cells/);
    // SIGTERM stops a worker cleanly.
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    redis.kill('SIGTERM');
  }
});
