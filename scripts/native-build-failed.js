// Run by `npm install` when `node-gyp rebuild` fails (no C++ compiler, no Node
// headers, ...). The native backend is optional: print one notice and let the
// install succeed; spikeflow then uses the wasm or TypeScript backend and
// `spikeflow info` shows why the native one did not load.
process.stderr.write(
  'spikeflow: the optional native backend was not built (node-gyp failed; see the output above). ' +
    'Everything works without it; run `npm run build:native` after installing a C++ toolchain to retry.\n',
);
process.exitCode = 0;
