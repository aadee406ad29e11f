import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../config/load-node.js';
import { NotFoundError } from '../../errors.js';

/**
 * `spikeflow bench ...`: the benchmark suite lives in bench/ (compiled to
 * dist/bench/run.js); it runs as a child process so its timing is not
 * disturbed by the CLI's own state, and its exit code is passed through.
 * Like `npm run bench` it writes to the git-ignored bench/results/local/
 * unless given --out (the suite prints where); `--out bench/results` is how a
 * reference run is made on purpose.
 */
export async function runBench(args: string[]): Promise<number> {
  const entry = join(packageRoot(), 'dist', 'bench', 'run.js');
  if (!existsSync(entry)) throw new NotFoundError(`benchmark suite not built: ${entry} (run \`npm run build\` in a source checkout)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
