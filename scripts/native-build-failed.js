// Run by `npm install` when `node-gyp rebuild` fails (no C++ compiler, no Node
// headers, ...). The native backend is optional: print one notice and let the
// install succeed; spikeflow then uses the wasm or TypeScript backend and
// `spikeflow info` shows why the native one did not load.
//
// The retry command depends on where the install ran: in a project that
// depends on spikeflow the package's own scripts are not runnable from the
// project (`npm run build:native` would look in the consumer's package.json),
// so it gets `npm rebuild spikeflow`; in a source checkout of spikeflow itself
// `npm run build:native` works. npm sets npm_package_name to the package whose
// script runs, so that cannot tell the two apart; INIT_CWD (where the user ran
// npm) can: it is this package's folder only in a source checkout.
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const same = (a, b) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
};
const inCheckout = process.env.INIT_CWD !== undefined && same(process.env.INIT_CWD, pkgDir);
const retry = inCheckout ? '`npm run build:native`' : '`npm rebuild spikeflow`';
process.stderr.write(
  'spikeflow: the optional native backend was not built (node-gyp failed; see the output above). ' +
    `Everything works without it; after installing a C++ toolchain, run ${retry} to retry.\n`,
);
process.exitCode = 0;
