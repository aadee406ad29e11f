import { spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';

/*
 * The child-process side of espeak-node.ts's synthesis: the parent runs
 * `node --input-type=module -e <import this; runEspeakChild(argv)>` with
 * `<jobs.json> <concurrency> <espeak binary>` and waits. Each job is
 * `{ args, out }`: espeak-ng renders `args` into `<out>.tmp`, which is
 * renamed to `out` when it completes, so an interrupted run never leaves a
 * half-written WAV under its final name. espeak-ng spends most of its wall
 * time waiting, not computing, so a few run at once even on 2 cores.
 * A function rather than a script body, so importing the module has no
 * effect. On failure it prints "<ErrorClass>: <message>" and exits 3.
 */

interface Job {
  args: string[];
  out: string;
}

function run(bin: string, job: Job): Promise<void> {
  const tmp = `${job.out}.${process.pid}.tmp`;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...job.args.slice(0, -1), '-w', tmp, job.args[job.args.length - 1]!], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      if (code === 0) {
        renameSync(tmp, job.out);
        resolve();
      } else {
        rmSync(tmp, { force: true });
        reject(new Error(`espeak-ng ${job.args.join(' ')} exited ${code}: ${err.trim().split('\n')[0] ?? ''}`));
      }
    });
  });
}

export async function runEspeakChild(argv: readonly string[]): Promise<void> {
  const [jobsFile, conc, bin] = argv;
  try {
    if (jobsFile === undefined || conc === undefined || bin === undefined) throw new Error('usage: <jobs.json> <concurrency> <espeak binary>');
    const jobs = JSON.parse(readFileSync(jobsFile, 'utf8')) as Job[];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) await run(bin, jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Number(conc)) }, worker));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`${err.constructor.name}: ${err.message.replace(/\n/g, ' ')}\n`);
    process.exit(3);
  }
}
