// Micro-benchmark of the multi-level neuron's scan, forward + backward, in one
// run (the machine is shared: compare ratios within a run, not absolute times
// across runs): the generic step-rule scan (src/neurons/step/scan.ts, what the
// layer ran before its fused kernel), the fused TypeScript reference kernel,
// and the wasm and native kernels (native with one and two threads). Run after
// `npm run build` (and `npm run build:native`):
//   node kernels/bench-multilevel.mjs [--reps 15] [--T 1]
// Workload: QSD-Transformer's neuron (D = 4, θ = 0.25, β = 0.5 fixed, soft
// detached reset, rectangle surrogate, normalized output) at T·B = T·64 rows
// of F = 64·7·7 and 256·7·7 features, charges spread over the whole count
// range; the gradient of the input only (no learned β/θ). Medians of wall and
// process CPU time in ms.
import { backward } from '../dist/src/autograd/tape.js';
import { nativeAddon, registerNativeBackend } from '../dist/src/backend/native/load-node.js';
import { getBackendByName, withBackend } from '../dist/src/backend/registry.js';
import { multiLevelRule } from '../dist/src/neurons/multilevel/rule.js';
import { multiLevelScan } from '../dist/src/neurons/multilevel/scan.js';
import { scanRule } from '../dist/src/neurons/step/scan.js';
import { SurrogateId } from '../dist/src/backend/kernels/surrogates.generated.js';
import { tensor } from '../dist/src/tensor/create.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const reps = opt('--reps', 15);
const T = opt('--T', 1);
const reg = registerNativeBackend();
const backends = [['ts', getBackendByName('ts')], ['wasm', getBackendByName('wasm')]];
if (reg.ok) backends.push(['native', getBackendByName('native')]);
else console.log(`native unavailable: ${reg.reason}`);

let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const reals = (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());

function time(fn) {
  fn();
  const wall = [], cpu = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    const t1 = performance.now(), c1 = process.cpuUsage(c0);
    wall.push(t1 - t0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { wall: med(wall), cpu: med(cpu) };
}

const settings = { levels: 4, normalized: true, hardReset: false, vReset: 0, detachReset: true };
const surrogate = { id: SurrogateId.rectangle, p0: 1, p1: 0, smooth: false };
const B = 64;
console.log(`multi-level scan forward + backward, T = ${T}, B = ${B}, D = 4, θ = 0.25, medians of ${reps} (ms)`);
for (const F of [64 * 49, 256 * 49]) {
  const xs = reals(T * B * F, -0.3, 1.3), gs = reals(T * B * F, -1, 1);
  const runs = [];
  for (const [name, be] of backends) {
    withBackend(be, () => {
      const x = tensor(xs, [T, B, F], { requiresGrad: true }), g = tensor(gs, [T, B, F]);
      const v0 = tensor(new Float32Array(B * F), [B, F]), beta = tensor([0.5]), thr = tensor([0.25]);
      // Every call's temporaries are released (wasm: a step scope; the others allocate JS arrays).
      const scoped = (fn) => () => {
        be.beginScope?.();
        try {
          fn();
        } finally {
          be.endScope?.([x, g, v0, beta, thr].map((t) => t.storage));
        }
      };
      const generic = scoped(() => {
        const r = scanRule(multiLevelRule, settings, surrogate, x, [v0], [beta, thr]);
        backward(r.spikes, g);
        x.grad = null;
      });
      const fused = scoped(() => {
        const r = multiLevelScan(x, v0, beta, thr, { ...settings, surrogate });
        backward(r.spikes, g);
        x.grad = null;
      });
      if (name === 'ts') runs.push({ label: 'generic', t: time(generic) });
      const threads = name === 'native' ? [1, 2] : [0];
      for (const n of threads) {
        if (n) nativeAddon().setThreads(n);
        runs.push({ label: n ? `${name} ${n}t` : name, t: time(fused) });
      }
    });
  }
  console.log(`F = ${F} (N = B·F = ${B * F})`);
  const base = runs[0].t.wall;
  for (const r of runs) {
    console.log(`  ${r.label.padEnd(10)} ${r.t.wall.toFixed(2).padStart(8)} (cpu ${r.t.cpu.toFixed(2).padStart(8)})  ${(base / r.t.wall).toFixed(1).padStart(6)}× generic`);
  }
}
