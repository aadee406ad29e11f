import type { TrainProgress } from '../commands/train-node.js';

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const t = Math.round(s);
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${t}s`;
}

function bar(frac: number, width: number): string {
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '█'.repeat(n) + '░'.repeat(width - n);
}

interface Running {
  label: string;
  progress: TrainProgress | null;
  started: number;
}

/**
 * The sweep's progress on stderr: one line over the cells (done, running,
 * failed, elapsed, a naive ETA from the mean time of the cells finished here)
 * and one line per running cell (epoch, batch bar, loss and accuracy). On a
 * terminal the block is redrawn in place at most ten times a second;
 * elsewhere (CI logs, pipes) each cell's start, each finished epoch and each
 * outcome is one plain line.
 */
export class SweepDisplay {
  private readonly running = new Map<string, Running>();
  private done = 0;
  private failed = 0;
  private finishedHere = 0;
  private finishedSeconds = 0;
  private readonly t0 = Date.now();
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly name: string,
    private readonly total: number,
    alreadyDone: number,
    private readonly enabled: boolean,
    private readonly tty = process.stderr.isTTY === true,
  ) {
    this.done = alreadyDone;
    if (enabled && tty) this.timer = setInterval(() => this.draw(), 1000).unref();
  }

  start(id: string, label: string): void {
    this.running.set(id, { label, progress: null, started: Date.now() });
    if (!this.enabled) return;
    if (this.tty) this.draw(true);
    else this.line(`cell ${id} (${label}): started`);
  }

  update(id: string, p: TrainProgress): void {
    const r = this.running.get(id);
    if (!r) return;
    const prev = r.progress;
    r.progress = p;
    if (!this.enabled) return;
    if (this.tty) this.draw();
    else if (prev && prev.stage === 'epoch' && (p.epoch !== prev.epoch || p.stage !== 'epoch') && p.testAccuracy !== null) {
      this.line(`cell ${id} (${r.label}): epoch ${prev.epoch}/${p.epochs} test accuracy ${(100 * p.testAccuracy).toFixed(2)}%`);
    }
  }

  finish(id: string, outcome: 'done' | 'skipped' | 'failed', detail = ''): void {
    const r = this.running.get(id);
    this.running.delete(id);
    if (outcome === 'failed') this.failed++;
    else {
      this.done++;
      if (outcome === 'done' && r) {
        this.finishedHere++;
        this.finishedSeconds += (Date.now() - r.started) / 1000;
      }
    }
    if (!this.enabled) return;
    const what = outcome === 'failed' ? `FAILED: ${detail}` : outcome === 'skipped' ? 'already done' : `done${detail ? ` (${detail})` : ''}`;
    this.line(`cell ${id} (${r?.label ?? ''}): ${what}`);
  }

  /** A line above the live block. */
  line(s: string): void {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(s + '\n');
    if (this.tty) this.draw(true);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.enabled) return;
    if (this.tty) this.clear();
    process.stderr.write(this.header() + '\n');
  }

  private header(): string {
    const elapsed = (Date.now() - this.t0) / 1000;
    const left = this.total - this.done - this.failed;
    // Cells run `running.size` at a time; the ETA assumes the mean time of the cells finished so far.
    const per = this.finishedHere > 0 ? this.finishedSeconds / this.finishedHere : NaN;
    const eta = left > 0 && Number.isFinite(per) ? ` | eta ~${formatDuration((per * left) / Math.max(1, this.running.size))}` : '';
    return `sweep ${this.name}: ${this.done}/${this.total} done, ${this.running.size} running, ${this.failed} failed | ${formatDuration(elapsed)}${eta}`;
  }

  private cellLine(id: string, r: Running): string {
    const p = r.progress;
    const head = `  ${id} ${r.label}`;
    if (!p) return `${head}: starting`;
    if (p.stage !== 'epoch') return `${head}: ${p.stage === 'measure' ? 'measuring' : 'writing'}`;
    const loss = p.loss === null ? '' : ` loss ${p.loss.toFixed(3)} acc ${(100 * (p.accuracy ?? 0)).toFixed(1)}%`;
    return `${head}: epoch ${p.epoch}/${p.epochs} ${bar(p.batches > 0 ? p.batch / p.batches : 0, 20)} ${p.batch}/${p.batches}${loss}`;
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    process.stderr.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(force = false): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    // (0 or undefined when the terminal does not say.)
    const cols = process.stderr.columns || 100;
    const lines = [this.header(), ...[...this.running].map(([id, r]) => this.cellLine(id, r))].map((l) => (l.length > cols - 1 ? l.slice(0, cols - 2) + '…' : l));
    this.clear();
    process.stderr.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}
