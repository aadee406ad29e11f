/*
 * NIR in the playground's worker: export the current network as a .nir file
 * and open one to run on the digits. A module of its own, imported on first
 * use, because h5wasm (the HDF5 library under spikeflow/nir) is most of the
 * page's weight and a visitor who never touches NIR should not load it.
 */
import YAML from 'yaml';
import { buildSession, makeLoader, noGrad, runInStepScope, stepBackends, tensorBatches, zeros, Rng, type Session, type SplitDataset, type Tensor } from '../../src/index.js';
import { moduleToNir, nirToModule, readNir, renderNirSummary, summarizeNir, writeNir } from '../../src/nir.js';
import { configSchema, type RunConfig } from '../../src/config.js';
import { testEncoder } from '../../src/cli/test-encoding.js';
import type { Module } from '../../src/module/module.js';

/** The Euler step written to exported graphs: 1 ms, so β = 0.9 reads as τ = 10 ms. */
const EXPORT_DT = 1e-3;

/** The current network as a .nir file (refused, with the exporter's reason, where NIR has no equivalent). */
export async function exportNir(session: Session, approximateReset: boolean): Promise<{ bytes: Uint8Array; fileName: string }> {
  // The graph's input is what the encoder produces per sample (as `spikeflow nir export` does).
  const inputShape = noGrad(() => session.encoder.encode(zeros([1, ...session.data.train.shape]), new Rng(0))).shape.slice(2);
  const wasTraining = session.model.training;
  try {
    const r = moduleToNir(session.model.eval(), { dt: EXPORT_DT, inputShape, approximateReset });
    return { bytes: await writeNir(r.graph), fileName: `${session.config.name}.nir` };
  } finally {
    if (wasTraining) session.model.train();
  }
}

/**
 * Open a .nir graph as a network on the digits: its layers (from the
 * importer) inside the encoder and data settings of `base`, the weights copied
 * layer by layer in order (the builder puts a Flatten in front of a flat
 * graph, so the same layers sit one position later), then scored on the test
 * digits when its output has 10 classes.
 */
export async function openNir(bytes: Uint8Array, fileName: string, base: RunConfig, data: SplitDataset): Promise<{ session: Session; summary: string; testAccuracy: number | null }> {
  const doc = await readNir(bytes, { source: fileName });
  const imported = nirToModule(doc.graph);
  const config = configSchema.parse({ ...base, name: fileName.replace(/\.nir$/i, ''), model: { layers: YAML.parse(YAML.stringify(imported.layers)) as unknown } });
  const session = buildSession(config, { data, backend: 'wasm' });
  copyByLayer(imported.model.stateDict(), session.model, fileName);
  const summary = [renderNirSummary(summarizeNir(doc.graph, doc.version)), '', 'as spikeflow layers:', ...imported.mapping.map((m) => `  ${m}`)].join('\n');
  return { session, summary, testAccuracy: score(session) };
}

/** Group 'k.name' tensors by layer index k, in order. */
function layersOf(dict: Map<string, Tensor>): Array<Array<[string, Tensor]>> {
  const groups = new Map<number, Array<[string, Tensor]>>();
  for (const [name, t] of dict) {
    const k = Number(name.slice(0, name.indexOf('.')));
    groups.set(k, [...(groups.get(k) ?? []), [name.slice(name.indexOf('.') + 1), t]]);
  }
  return [...groups].sort((a, b) => a[0] - b[0]).map(([, g]) => g.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** The imported tensors under the rebuilt network's names, matched layer by layer in order (same names and shapes within a layer). */
function copyByLayer(from: Map<string, Tensor>, model: Module, source: string): void {
  const to = model.stateDict();
  const a = layersOf(from), b = layersOf(to);
  if (a.length !== b.length) throw new Error(`${source}: ${a.length} layers with parameters, the rebuilt network has ${b.length}`);
  const renamed = new Map<string, Tensor>();
  const names = [...to.keys()];
  a.forEach((layer, i) => {
    layer.forEach(([name, t], j) => {
      const [tname, dst] = b[i]![j] ?? [];
      if (tname !== name || !dst || dst.shape.join() !== t.shape.join()) throw new Error(`${source}: layer ${i} tensor '${name}' has no counterpart of the same shape in the rebuilt network`);
      renamed.set(names.find((n) => to.get(n) === dst)!, t);
    });
  });
  model.loadStateDict(renamed, { where: source });
}

/** Test accuracy on the embedded digits (null when the graph does not output 10 classes). */
function score(session: Session): number | null {
  const { model, data } = session;
  const loader = makeLoader(data.test, 256, false);
  const encode = testEncoder(session);
  model.eval();
  let correct = 0, n = 0;
  const it = tensorBatches(loader, data.test.shape, session.backend);
  for (;;) {
    const done = runInStepScope(stepBackends(model), () => model.allPersistentTensors(), () =>
      noGrad(() => {
        const next = it.next();
        if (next.done) return true;
        model.resetState();
        const spikes = model.forward(encode(next.value.x));
        // Spike counts decide (a NIR graph carries no readout rule); ties go to the lower class.
        const s = spikes.toArray();
        const [T, B, C] = spikes.shape as [number, number, number];
        next.value.y.forEach((y, b) => {
          let best = 0, bestCount = -1;
          for (let c = 0; c < C; c++) {
            let k = 0;
            for (let t = 0; t < T; t++) k += s[(t * B + b) * C + c]!;
            if (k > bestCount) [best, bestCount] = [c, k];
          }
          if (best === y) correct++;
        });
        n += next.value.y.length;
        return false;
      }),
    );
    if (done) break;
  }
  model.resetState();
  return n > 0 ? correct / n : null;
}
