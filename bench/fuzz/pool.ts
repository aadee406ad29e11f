import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, Reply, Request } from './protocol.js';

/*
 * A pool of long-lived fuzz children (one process per case would cost a Node
 * start and module load per case). Each child parses one case at a time; the
 * parent enforces the per-case budgets:
 *  - time: a case not answered within timeoutMs is a hang; the child is killed;
 *  - memory: the child's VmRSS is polled from /proc while a case runs and the
 *    child is killed past memMb; its own peak RSS (getrusage maxRSS, reported
 *    with every answer) past memMb also counts, so a spike between two polls
 *    is not missed. V8's heap is capped at memMb too, so a runaway JS heap ends
 *    in an out-of-memory abort, read from stderr as over budget;
 *  - a child that dies on its own is a crash.
 * A child that failed a case in any of these ways is replaced, so no case
 * runs in a process another case damaged.
 */

export interface PoolOptions {
  /** Children running cases at once. */
  readonly jobs: number;
  readonly timeoutMs: number;
  /** Resident-set cap per child, MB (the child's whole RSS, its baseline included). */
  readonly memMb: number;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
/** Loading a target's modules (h5wasm, zod ...) is not a case and gets its own, generous limit. */
const WARM_TIMEOUT_MS = 60_000;
const POLL_MS = 15;
const STDERR_KEEP = 4096;

interface Pending {
  readonly id: number;
  readonly started: number;
  readonly finish: (r: CaseResult) => void;
  peakKb: number;
}

class Child {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly warm = new Set<string>();
  stderr = '';
  pending: Pending | null = null;
  dead = false;
  /** Killed (or being killed): never given another case. */
  retired = false;

  constructor(memMb: number, onExit: (c: Child) => void) {
    this.dir = mkdtempSync(join(tmpdir(), 'sf-fuzz-'));
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    delete env['NODE_OPTIONS'];
    this.proc = fork(CHILD, [this.dir], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${memMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env,
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.proc.on('exit', () => {
      this.dead = true;
      onExit(this);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  kill(): void {
    this.retired = true;
    if (!this.dead) this.proc.kill('SIGKILL');
  }

  /** VmRSS in kB from /proc (Linux); null where /proc is not there. */
  rssKb(): number | null {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.proc.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }
}

export class FuzzPool {
  private readonly idle: Child[] = [];
  private readonly all = new Set<Child>();
  private readonly waiting: ((c: Child) => void)[] = [];
  private nextId = 1;
  private poller: NodeJS.Timeout | null = null;
  /** Children started so far (the first of each slot, and every replacement). */
  spawned = 0;

  private readonly warmInputs = new Map<string, Uint8Array>();

  constructor(readonly opts: PoolOptions) {}

  /** A valid input each new child parses once for `target` before its first case (see WarmRequest). */
  setWarmInput(target: string, bytes: Uint8Array): void {
    this.warmInputs.set(target, bytes);
  }

  /** Parse `bytes` with `target` in a child and classify the result. */
  async run(target: string, bytes: Uint8Array): Promise<CaseResult> {
    const child = await this.acquire();
    try {
      if (!child.warm.has(target)) {
        const w = await this.send(child, { type: 'warm', id: this.nextId++, target, bytes: this.warmInputs.get(target) }, WARM_TIMEOUT_MS);
        if (w.outcome !== 'ok') {
          // The target itself cannot load: every case would fail the same way; say so once, loudly.
          throw new Error(`fuzz target '${target}' failed to load in the child: ${w.outcome} ${w.message ?? ''}\n${w.stack ?? ''}`);
        }
        child.warm.add(target);
      }
      const r = await this.send(child, { type: 'case', id: this.nextId++, target, bytes }, this.opts.timeoutMs);
      // A thrown exception leaves the child sound; a hang, crash or blown budget does not.
      if (r.outcome === 'hang' || r.outcome === 'crash' || r.outcome === 'over-budget') child.kill();
      return r;
    } finally {
      this.release(child);
    }
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    const exits = [...this.all].map((c) => (c.dead ? Promise.resolve() : new Promise<void>((res) => c.proc.once('exit', () => res()))));
    for (const c of this.all) {
      if (c.proc.connected) c.proc.disconnect();
      c.kill();
    }
    await Promise.all(exits);
  }

  private acquire(): Promise<Child> {
    while (this.idle.length > 0) {
      const c = this.idle.pop()!;
      if (!c.dead && !c.retired) return Promise.resolve(c);
    }
    let live = 0;
    for (const c of this.all) if (!c.retired) live++;
    if (live < this.opts.jobs) return Promise.resolve(this.spawn());
    return new Promise((res) => this.waiting.push(res));
  }

  private release(c: Child): void {
    const next = this.waiting.shift();
    const usable = c.dead || c.retired || !c.proc.connected ? null : c;
    if (next) next(usable ?? this.spawn());
    else if (usable) this.idle.push(usable);
  }

  private spawn(): Child {
    this.spawned++;
    const c = new Child(this.opts.memMb, (dead) => {
      this.all.delete(dead);
      const p = dead.pending;
      if (p) {
        dead.pending = null;
        const oom = /heap out of memory|Reached heap limit|Allocation failed/i.test(dead.stderr);
        const code = dead.proc.exitCode, sig = dead.proc.signalCode;
        p.finish({
          outcome: oom ? 'over-budget' : 'crash',
          name: sig ? `signal ${sig}` : `exit code ${code}`,
          message: lastLines(dead.stderr),
          ms: performance.now() - p.started,
          rssMb: p.peakKb / 1024,
        });
      }
    });
    this.all.add(c);
    c.proc.on('message', (m: unknown) => {
      const r = m as Reply;
      const p = c.pending;
      if (!p || p.id !== r.id) return;
      c.pending = null;
      const peak = Math.max(p.peakKb, r.maxRssKb);
      const over = peak > this.opts.memMb * 1024;
      p.finish({
        outcome: over ? 'over-budget' : r.outcome,
        name: r.error?.name,
        message: over ? `peak RSS ${(peak / 1024).toFixed(0)} MB > ${this.opts.memMb} MB${r.error ? ` (then: ${r.error.message})` : ''}` : r.error?.message,
        stack: r.error?.stack,
        ms: performance.now() - p.started,
        rssMb: peak / 1024,
      });
    });
    this.startPolling();
    return c;
  }

  private send(c: Child, req: Request, timeoutMs: number): Promise<CaseResult> {
    return new Promise((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        const p = c.pending;
        c.pending = null;
        finish({ outcome: 'hang', message: `no answer within ${timeoutMs} ms`, ms: performance.now() - (p?.started ?? 0), rssMb: (p?.peakKb ?? 0) / 1024 });
        c.kill();
      }, timeoutMs);
      const finish = (r: CaseResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(r);
      };
      c.pending = { id: req.id, started: performance.now(), finish, peakKb: 0 };
      if (c.dead || !c.proc.connected) {
        c.pending = null;
        finish({ outcome: 'crash', name: 'exit', message: `child exited before the case: ${lastLines(c.stderr)}`, ms: 0 });
        return;
      }
      c.proc.send(req);
    });
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      for (const c of this.all) {
        const p = c.pending;
        if (!p) continue;
        const kb = c.rssKb();
        if (kb === null) continue;
        p.peakKb = Math.max(p.peakKb, kb);
        if (kb > this.opts.memMb * 1024) {
          c.pending = null;
          p.finish({ outcome: 'over-budget', message: `RSS ${(kb / 1024).toFixed(0)} MB > ${this.opts.memMb} MB (killed)`, ms: performance.now() - p.started, rssMb: kb / 1024 });
          c.kill();
        }
      }
    }, POLL_MS);
    this.poller.unref();
  }
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
}
