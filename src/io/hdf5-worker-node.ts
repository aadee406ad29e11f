import { parentPort, type MessagePort } from 'node:worker_threads';
import { SpikeflowError } from '../errors.js';
import { h5Module, isTrap } from './hdf5.js';
import { budget } from './hdf5-worker-setup-node.js';

/*
 * The worker side of the HDF5 sandbox (hdf5-sandbox-node.ts). Each message
 * names a job (a module URL and an exported function) and the memory budget;
 * the job runs on this worker's own h5wasm instance and its result (or its
 * error, as name and message) goes back. The memory budget is enforced in
 * hdf5-worker-setup-node.ts, whose setUpHdf5Worker has run before this
 * module (and h5wasm with it) was loaded.
 */

interface JobMessage {
  id: number;
  module: string;
  fn: string;
  input: unknown;
  capBytes: number;
}

type JobFn = (input: unknown, limits: { maxBytes: number }) => Promise<{ value: unknown; transfer?: ArrayBuffer[] }>;

let heapView: { HEAPU8: Uint8Array } | null = null;

/**
 * Device files a path inside a file could name (an external link or an
 * external raw-data file pointing at /dev/tty would read the process's
 * stdin): removed from this instance's in-memory file system. Links are
 * refused before they are followed anyway (io/hdf5.ts hardChild).
 */
async function scrubDevices(): Promise<void> {
  const m = await h5Module();
  heapView = m as unknown as { HEAPU8: Uint8Array };
  for (const p of ['/dev/tty', '/dev/tty1', '/dev/stdin', '/dev/stdout', '/dev/stderr']) {
    try {
      m.FS.unlink(p);
    } catch {
      // not present in this build
    }
  }
}

function heapBytes(): number {
  // Emscripten keeps Module.HEAPU8 pointing at the current (grown) memory.
  return heapView ? heapView.HEAPU8.length : 0;
}

async function handle(port: MessagePort, started: Promise<void>, msg: JobMessage): Promise<void> {
  budget.cap = msg.capBytes;
  budget.refused = false;
  try {
    await started;
    const mod = (await import(msg.module)) as Record<string, unknown>;
    const fn = mod[msg.fn];
    if (typeof fn !== 'function') throw new Error(`${msg.module} exports no function '${msg.fn}'`);
    // Half the heap budget for one dataset: it is read into the heap, then copied out.
    const out = await (fn as JobFn)(msg.input, { maxBytes: Math.floor(msg.capBytes / 2) });
    port.postMessage({ id: msg.id, ok: true, value: out.value, heapBytes: heapBytes() }, out.transfer ?? []);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    // Only spikeflow's own errors are known to leave the library in a clean state.
    const poisoned = isTrap(e) || !(e instanceof SpikeflowError);
    port.postMessage({ id: msg.id, ok: false, error: { name: err.name, message: err.message }, poisoned, overBudget: budget.refused, heapBytes: heapBytes() });
  }
}

/** The worker's main: start the library, say so, then serve jobs. */
export function runHdf5Worker(): void {
  const port = parentPort;
  if (!port) throw new Error('runHdf5Worker runs in a worker thread');
  const started = scrubDevices();
  // The host starts a file's clock only once the library is up.
  void started.then(() => port.postMessage({ ready: true }));
  port.on('message', (msg: JobMessage) => {
    void handle(port, started, msg);
  });
}
