// Micro-benchmark of the LIF backward scan per surrogate on the native, wasm
// and ts backends in one run (the machine is shared: compare ratios within a
// run, not absolute times across runs). Run after `npm run build` (and
// `npm run build:native`):
//   node kernels/bench-lif-surrogate.mjs [--reps 11] [--threads 1] [--baseline DIR]
// --baseline DIR: also time the native and wasm backends of another built
// checkout (DIR/dist and DIR/build, e.g. the commit before a kernel change),
// interleaved with this one's, so before/after ratios come from one run.
// Workload: T = 4, B = 64, F = 64·49 (a spiking-transformer block's
// activations), no parameter gradients (fixed τ and θ: the vector path), two
// configurations: SpikingJelly's LIFNode (same-step hard reset to 0, decayed
// input, reset not detached) and snnTorch's Leaky (delayed subtract reset).
// Surrogates: sigmoid slope 4 (SpikingJelly's default), piecewise exponential,
// erf, and fast sigmoid (an algebraic one, for scale). Medians of wall and
// process CPU time in ms.
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('--reps', 11));
const threads = Number(opt('--threads', 1));

/** The backends and the LIF scan entry points of a built checkout (its own module instances, addon and wasm bytes). */
async function checkout(dir, tag) {
  const mod = (p) => import(pathToFileURL(join(dir, 'dist', 'src', p)).href);
  const [load, registry, nativeBackend, scan, sg] = await Promise.all([
    mod('backend/native/load-node.js'), mod('backend/registry.js'), mod('backend/native/backend.js'), mod('neurons/lif/scan.js'), mod('backend/kernels/surrogates.generated.js'),
  ]);
  const out = [];
  const r = load.loadNativeAddon(join(dir, 'build', 'Release', 'spikeflow_native.node'));
  if (r.addon) {
    r.addon.setThreads(threads);
    out.push([`native${tag}`, nativeBackend.createNativeBackend(r.addon)]);
  } else console.log(`native${tag} unavailable: ${r.reason}`);
  out.push([`wasm${tag}`, registry.getBackendByName('wasm')]);
  if (!tag) out.push(['ts', registry.getBackendByName('ts')]);
  return out.map(([name, be]) => ({ name, be, scan, SurrogateId: sg.SurrogateId }));
}

const here = resolve(new URL('..', import.meta.url).pathname);
const base = opt('--baseline', null);
const both = [...(await checkout(here, '')), ...(base ? await checkout(resolve(base), ' (base)') : [])];
// Interleaved: native, native (base), wasm, wasm (base), ts.
const runs = ['native', 'wasm', 'ts'].flatMap((k) => both.filter((r) => r.name.startsWith(k)));
const { SurrogateId } = runs[0];
console.log(`threads ${threads}${base ? `, baseline ${base}` : ''}`);

let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const randArr = (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());

function time(fn, n) {
  fn();
  const wall = [], cpu = [];
  for (let r = 0; r < n; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    const t1 = performance.now(), c1 = process.cpuUsage(c0);
    wall.push(t1 - t0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { wall: med(wall), cpu: med(cpu) };
}

const [T, B, F] = [4, 64, 64 * 49], N = B * F, TN = T * N;
const configs = [
  ['SpikingJelly LIFNode', { resetMode: 2, delayedReset: false, detachReset: false, inputLeak: true }],
  ['snnTorch Leaky', { resetMode: 1, delayedReset: true, detachReset: true, inputLeak: false }],
];
const surrogates = [
  ['sigmoid k=4', SurrogateId.sigmoid, 4],
  ['piecewiseExponential', SurrogateId.piecewiseExponential, 1],
  ['erf', SurrogateId.erf, 2],
  ['fastSigmoid k=25', SurrogateId.fastSigmoid, 25],
];
const data = { x: randArr(TN, -0.2, 1.4), gS: randArr(TN, -1, 1), gM: randArr(TN, -1, 1) };
console.log(`LIF backward, T = ${T}, B = ${B}, F = ${F}, medians of ${reps}: wall ms (cpu ms)`);
for (const [cname, c] of configs) {
  for (const { name: bname, be, scan } of runs) {
    const S = (a) => be.fromArray(a);
    const io = {
      x: S(data.x), v0: be.alloc(N), s0: null, beta: S(Float32Array.of(0.5)), threshold: S(Float32Array.of(1)), recV: null, recW: null,
      spikes: be.alloc(TN), mask: new Uint8Array(TN), h: be.alloc(TN), v: c.delayedReset ? null : be.alloc(TN), rec: null,
    };
    const bio = { ...io, gSpikes: S(data.gS), gMem: S(data.gM), dx: be.alloc(TN), dv0: be.alloc(N), ds0: null, dBeta: null, dThreshold: null, dRecV: null, dRecW: null };
    const row = [];
    for (const [sname, id, p0] of surrogates) {
      const cfg = { T, B, F, ...c, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: { id, p0, p1: 0, smooth: false } };
      scan.runLifForward(be, cfg, io);
      const t = time(() => scan.runLifBackward(be, cfg, bio), bname === 'ts' ? Math.min(reps, 5) : reps);
      row.push(`${sname} ${t.wall.toFixed(2)} (${t.cpu.toFixed(2)})`);
    }
    console.log(`${cname.padEnd(21)} ${bname.padEnd(13)} ${row.join(', ')}`);
  }
}
