import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: the first folder above this file holding package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error(`bench: no package.json above ${fileURLToPath(import.meta.url)}`);
    d = up;
  }
  return d;
}
