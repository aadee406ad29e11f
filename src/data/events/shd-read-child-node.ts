import { writeFileSync } from 'node:fs';
import { readShdFile } from './hdf5-node.js';
import { encodeShdDump } from './shd-dump.js';

/*
 * The child-process side of the SHD/SSC dataset loader (recorded-node.ts):
 * the loader runs `node --input-type=module -e <import this; runShdReadChild(argv)>`
 * with `<file.h5> <out.dump> [channels]`, which reads the HDF5 file with
 * h5wasm (asynchronous start) and writes the flat dump the synchronous
 * loader decodes. A function rather than a script body, so importing the
 * module has no effect (package.json sideEffects stays exact). On failure
 * it prints "<ErrorClass>: <message>" to stderr and exits 3.
 */
export async function runShdReadChild(args: readonly string[]): Promise<void> {
  const [input, output, channels] = args;
  try {
    if (input === undefined || output === undefined) throw new Error('usage: <file.h5> <out.dump> [channels]');
    const shd = await readShdFile(input, channels ? { channels: Number(channels) } : {});
    writeFileSync(output, encodeShdDump(shd));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`${err.constructor.name}: ${err.message}\n`);
    process.exit(3);
  }
}
