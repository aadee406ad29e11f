// The floors of src/: every import runs down (or stays inside one folder), and
// no file reaches itself through its imports. The test reads the sources, not
// dist/, so `import type` counts too: a type-only cycle or upward type import
// is the same tangle for a reader even though it vanishes from the JavaScript.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers.js';

/**
 * The floors, bottom to top. A unit is a folder of src/ (written `name/`) or a
 * file directly in src/ (written `name.ts`). A file may import files of its own
 * unit and of units on lower floors, never of a higher floor or of another unit
 * on the same floor. A new folder or root file fails the test until it is
 * placed here, so every new part of the tree gets a deliberate floor.
 *
 * Why this order (docs/design.md, "Layers (floors)", says the same in prose):
 * - errors, the generic registry and the Node-only io helpers import nothing
 *   of spikeflow (io: only node: built-ins), so they stand at the bottom.
 * - backend, tensor, autograd, ops: storage and kernels, the tensor that owns
 *   backend storage, the tape over tensors, differentiable ops on the tape.
 * - module (the Module base) sits below both neurons and nn, which subclass it.
 * - stream compiles built models (nn layers, neuron steppers) into streaming
 *   inference plans; it needs nothing above nn, and the CLI and the bench use it.
 * - encoding and data only need tensors; they come below train so a trainer
 *   may later take a DataLoader or an encoder.
 * - interop sits below train because checkpoints are safetensors files
 *   (train/checkpoint.ts encodes with interop/safetensors.ts), and above nn and
 *   neurons because NIR import/export builds and reads modules.
 * - quant quantizes built models (weight quantizers on the weighted layers,
 *   post-training calibration, integer weights files on the safetensors codec,
 *   model size); above train, whose step scopes a calibration pass may use.
 * - analysis measures trained models (monitors, op counts, energy).
 * - early-exit runs a trained model step by step and stops each sample when
 *   it is confident; it counts what ran with analysis's monitor.
 * - config builds a session from a config object, so it stands above every
 *   part it names (nn, train, data, ...); viz and cli are users of all.
 * - lm (language models: SpikeGPT and its baselines) has its own config,
 *   training loop, evaluation and sampler over nn, data, train and analysis;
 *   it reuses config's size limits, so it stands just above config.
 * - the entry files (the core, spikeflow/node, spikeflow/nir, spikeflow/config)
 *   side by side at the top.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['registry/'],
  ['io/'],
  ['backend/'],
  ['tensor/'],
  ['autograd/'],
  ['ops/'],
  ['module/'],
  ['neurons/'],
  ['nn/'],
  ['stream/'],
  ['encoding/'],
  ['data/'],
  ['interop/'],
  ['train/'],
  ['quant/'],
  ['analysis/'],
  ['early-exit/'],
  ['config/'],
  ['lm/'], // language models (SpikeGPT): their config, training loop, evaluation and generation
  ['viz/'], // SVG plots from plain data (browser-safe); PNG in png-node.ts
  ['cli/'],
  ['index.ts', 'node.ts', 'nir.ts', 'config.ts'],
];

/**
 * Folders private to their unit: code outside the unit reaches them only
 * through the unit's own interface files. The backends' implementations
 * (reference, wasm, native, webgpu) are chosen through backend/registry.ts, so
 * nothing above backend/ depends on one of them; the Node-only loader of the
 * native addon is the one door, for the Node entry and the CLI.
 */
const PRIVATE: readonly { folder: string; doors: readonly string[] }[] = [
  { folder: 'backend/ts/', doors: [] },
  { folder: 'backend/wasm/', doors: [] },
  { folder: 'backend/native/', doors: ['backend/native/load-node.ts'] },
  // Registering webgpu is asynchronous (adapter and device requests): the
  // browser entry calls register.ts with navigator.gpu, Node code load-node.ts.
  { folder: 'backend/webgpu/', doors: ['backend/webgpu/register.ts', 'backend/webgpu/load-node.ts'] },
];

/**
 * Known violations in files that are being rewritten elsewhere right now; each
 * names the exact import (paths relative to src/) and why it stays for the
 * moment. An entry that no longer matches a violation fails the test, so the
 * list can only shrink.
 */
const KNOWN_VIOLATIONS: readonly { from: string; to: string; why: string }[] = [];

const root = repoRoot();
const srcDir = join(root, 'src');

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listSources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** src-relative path with forward slashes, the spelling used in messages and the tables. */
function rel(p: string): string {
  return relative(srcDir, p).split(sep).join('/');
}

/** The unit a src-relative path belongs to: its top folder (`nn/`) or, for a root file, the file (`index.ts`). */
function unitOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash + 1);
}

interface Edge {
  from: string;
  to: string;
}

/**
 * Every relative import of every source, resolved to a src-relative path.
 * TypeScript's own pre-processor finds the specifiers (import, import type,
 * export … from, side-effect imports, import() in code and in type position),
 * so strings and comments that merely look like imports are not counted.
 */
function readGraph(): { files: string[]; edges: Edge[]; unresolved: string[] } {
  const files = listSources(srcDir);
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (!spec.startsWith('.')) continue; // packages and node: built-ins are the bundle test's business
      // NodeNext sources name the emitted .js file; the source beside it is .ts.
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) {
        if (!existsSync(resolve(dirname(file), spec))) unresolved.push(`${rel(file)}: '${spec}'`);
        continue; // a .json or other non-source import: not part of the code graph
      }
      if (!target.startsWith(srcDir + sep)) {
        unresolved.push(`${rel(file)}: '${spec}' leaves src/`);
        continue;
      }
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return { files: files.map(rel), edges, unresolved };
}

/** Strongly connected components with more than one file (or a file importing itself), each as one readable cycle. */
function findCycles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  // Tarjan's algorithm, iterative so deep import chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of files) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const outs = next.get(top.v) ?? [];
      if (top.i < outs.length) {
        const w = outs[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1 || outs.includes(top.v)) components.push(comp);
      }
    }
  }
  // Print one concrete loop per component (shortest path back to its first file).
  return components.map((comp) => {
    const members = new Set(comp);
    const first = [...comp].sort()[0];
    const prev = new Map<string, string>();
    const queue = [first];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of next.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === first) {
          const path = [v];
          for (let u = v; u !== first; ) {
            u = prev.get(u)!;
            path.unshift(u);
          }
          return [...path, first];
        }
        if (!seen.has(w)) {
          seen.add(w);
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...comp, comp[0]];
  });
}

const floorOf = new Map<string, number>();
FLOORS.forEach((units, i) => {
  for (const u of units) floorOf.set(u, i);
});

const graph = readGraph();

test('structure: every relative import in src/ resolves to a source file', () => {
  assert.ok(graph.files.length > 50, `found only ${graph.files.length} sources under ${srcDir}`);
  assert.ok(graph.edges.length > 100, `found only ${graph.edges.length} imports`);
  assert.deepEqual(graph.unresolved, [], `imports that resolve to no file:\n  ${graph.unresolved.join('\n  ')}`);
});

test('structure: every folder and root file of src/ has a floor', () => {
  const unplaced = [...new Set(graph.files.map(unitOf))].filter((u) => !floorOf.has(u));
  assert.deepEqual(unplaced, [], `not in FLOORS of test/structure/imports.test.ts (place each deliberately): ${unplaced.join(', ')}`);
});

test('structure: no import cycle in src/', () => {
  const cycles = findCycles(graph.files, graph.edges);
  assert.equal(cycles.length, 0, `import cycles:\n  ${cycles.map((c) => c.join(' -> ')).join('\n  ')}`);
});

test('structure: no import runs up a floor, sideways to another unit of the same floor, or into a private folder', () => {
  const violations: string[] = [];
  for (const { from, to } of graph.edges) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (a === b) continue;
    const fa = floorOf.get(a);
    const fb = floorOf.get(b);
    if (fa === undefined || fb === undefined) continue; // reported by the floor-table test
    if (fb < fa) {
      const hidden = PRIVATE.find((p) => to.startsWith(p.folder) && !p.doors.includes(to));
      if (hidden) violations.push(`${from} -> ${to} (${hidden.folder} is private to ${b}; go through its interface)`);
      continue;
    }
    violations.push(`${from} -> ${to} (${a} is on floor ${fa}, ${b} on ${fb === fa ? 'the same floor' : `floor ${fb}`})`);
  }
  const allowed = new Set(KNOWN_VIOLATIONS.map((v) => `${v.from} -> ${v.to}`));
  const unexpected = violations.filter((v) => !allowed.has(v.slice(0, v.indexOf(' ('))));
  assert.deepEqual(unexpected, [], `imports against the floors:\n  ${unexpected.join('\n  ')}`);
  const stale = [...allowed].filter((a) => !violations.some((v) => v.startsWith(a + ' (')));
  assert.deepEqual(stale, [], `KNOWN_VIOLATIONS entries that no longer occur (remove them): ${stale.join(', ')}`);
});

test('structure: the cycle finder and floor check see what they should (self-test)', () => {
  const files = ['a/x.ts', 'a/y.ts', 'b/z.ts'];
  const cycles = findCycles(files, [
    { from: 'a/x.ts', to: 'a/y.ts' },
    { from: 'a/y.ts', to: 'b/z.ts' },
    { from: 'b/z.ts', to: 'a/x.ts' },
  ]);
  assert.deepEqual(cycles, [['a/x.ts', 'a/y.ts', 'b/z.ts', 'a/x.ts']]);
  assert.deepEqual(findCycles(files, [{ from: 'a/x.ts', to: 'a/y.ts' }]), []);
  assert.deepEqual(findCycles(['s.ts'], [{ from: 's.ts', to: 's.ts' }]), [['s.ts', 's.ts']]);
  assert.equal(unitOf('nn/linear.ts'), 'nn/');
  assert.equal(unitOf('data/events/index.ts'), 'data/');
  assert.equal(unitOf('index.ts'), 'index.ts');
});
