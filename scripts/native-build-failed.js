// Run by `npm install` when `node-gyp rebuild` fails (no C++ compiler, no Node
// headers, ...). The native backend is optional: print one notice and let the
// install succeed; spikeflow then uses the wasm or TypeScript backend and
// `spikeflow info` shows why the native one did not load.
//
// The retry command depends on what was installed. Installed as a dependency
// (the package sits in a node_modules folder), the package's own npm scripts
// are out of reach from the consumer's project (`npm run build:native` would
// look in the consumer's package.json), and `npm rebuild spikeflow` is what
// works; in a source checkout of spikeflow itself `npm run build:native` does.
import { realpathSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = dirname(dirname(realpathSync(fileURLToPath(import.meta.url))));
const asDependency = pkgDir.split(sep).includes('node_modules');
const retry = asDependency ? '`npm rebuild spikeflow`' : '`npm run build:native`';
process.stderr.write(
  'spikeflow: the optional native backend was not built (node-gyp failed; see the output above). ' +
    `Everything works without it; after installing a C++ toolchain, run ${retry} to retry.\n`,
);
process.exitCode = 0;
