import cliProgress from 'cli-progress';

export interface ProgressFields {
  loss: number;
  acc: number;
  rate: number;
}

/**
 * Training progress on stderr (stdout stays clean for --json). On a terminal
 * a live bar; elsewhere (CI logs, pipes) a plain line every ~10% so logs stay short.
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private lastLogged = -1;
  private label = '';

  constructor(private readonly enabled: boolean) {}

  start(label: string, total: number): void {
    if (!this.enabled) return;
    this.total = total;
    this.label = label;
    this.lastLogged = -1;
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${label} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s | eta {eta_formatted}`,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { loss: '-', acc: '-', rate: '-' });
    }
  }

  update(done: number, f: ProgressFields): void {
    if (!this.enabled) return;
    const fields = { loss: f.loss.toFixed(4), acc: (100 * f.acc).toFixed(1) + '%', rate: f.rate.toFixed(0) };
    if (this.bar) {
      this.bar.update(done, fields);
      return;
    }
    const decile = Math.floor((10 * done) / Math.max(1, this.total));
    if (decile > this.lastLogged || done === this.total) {
      this.lastLogged = decile;
      process.stderr.write(`${this.label} ${done}/${this.total} loss ${fields.loss} acc ${fields.acc} ${fields.rate} samples/s\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }

  log(line: string): void {
    if (this.enabled) process.stderr.write(line + '\n');
  }
}
