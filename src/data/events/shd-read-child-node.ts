import { writeFileSync } from 'node:fs';
import { readShdFile } from './hdf5-node.js';
import { encodeShdDump } from './shd-dump.js';

/*
 * Child process of the SHD/SSC dataset loader (recorded-node.ts):
 * `node shd-read-child-node.js <file.h5> <out.dump> <channels>` reads the
 * HDF5 file with h5wasm (asynchronous start) and writes the flat dump that
 * the synchronous loader decodes. Run only, never imported. On failure it
 * prints "<ErrorClass>: <message>" to stderr and exits 3.
 */
const [input, output, channels] = process.argv.slice(2);
try {
  if (input === undefined || output === undefined) throw new Error('usage: shd-read-child-node.js <file.h5> <out.dump> [channels]');
  const shd = await readShdFile(input, channels ? { channels: Number(channels) } : {});
  writeFileSync(output, encodeShdDump(shd));
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`${err.constructor.name}: ${err.message}\n`);
  process.exit(3);
}
