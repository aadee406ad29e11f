// Micro-benchmark of the spiking-attention kernels on the ts, wasm and native
// backends in one run (the machine is shared, so compare ratios, not absolute
// times across runs). Run after `npm run build` (and `npm run build:native`):
//   node kernels/bench-attention.mjs [--reps 15]
// Workload: linear attention forward + backward (dQ, dK, dV) at the FMNIST
// Spikformer shape, R = T·B = 4·64 = 256 rows, N = 49 tokens (7×7), binary
// Q, K, V at ~20 % spikes, C = 64 or 128 channels in 4 or 8 heads. Medians of
// wall and process CPU time; native with one thread and with two.
import { nativeAddon, registerNativeBackend } from '../dist/src/backend/native/load-node.js';
import { getBackendByName } from '../dist/src/backend/registry.js';

const args = process.argv.slice(2);
const ri = args.indexOf('--reps');
const reps = ri >= 0 ? Number(args[ri + 1]) : 15;
const reg = registerNativeBackend();
const backends = [['ts', getBackendByName('ts')], ['wasm', getBackendByName('wasm')]];
if (reg.ok) backends.push(['native', getBackendByName('native')]);
else console.log(`native unavailable: ${reg.reason}`);

let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const spikes = (n, d) => Float32Array.from({ length: n }, () => (rand() < d ? 1 : 0));
const reals = (n) => Float32Array.from({ length: n }, () => 2 * rand() - 1);

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

const R = 256, N = 49, density = 0.2;
console.log(`linear attention forward + backward, R = ${R}, N = ${N}, ${density * 100} % spikes, medians of ${reps} (ms)`);
for (const [C, heads] of [[64, 4], [64, 8], [128, 4], [128, 8]]) {
  const dh = C / heads, total = R * C * N;
  const q = spikes(total, density), k = spikes(total, density), v = spikes(total, density), dO = reals(total);
  const rows = [];
  const runs = [];
  for (const [name, be] of backends) {
    const [Q, K, V, D] = [q, k, v, dO].map((a) => be.fromArray(a));
    const G = be.alloc(R * heads * dh * dh), out = be.alloc(total), dQ = be.alloc(total), dK = be.alloc(total), dV = be.alloc(total);
    const fwd = () => be.linearAttentionForward(R, heads, dh, N, 0.125, Q, K, V, G, out);
    const bwd = () => be.linearAttentionBackward(R, heads, dh, N, 0.125, Q, K, V, G, D, dQ, dK, dV);
    const threads = name === 'native' ? [1, 2] : [0];
    for (const t of threads) {
      if (t) nativeAddon().setThreads(t);
      runs.push({ label: t ? `${name} ${t}t` : name, f: time(fwd), b: time(bwd), fb: time(() => (fwd(), bwd())) });
    }
  }
  const base = runs[0].fb.wall;
  for (const r of runs) {
    rows.push(
      `  ${r.label.padEnd(10)} fwd ${r.f.wall.toFixed(2).padStart(7)} (cpu ${r.f.cpu.toFixed(2).padStart(7)})  bwd ${r.b.wall.toFixed(2).padStart(7)} (cpu ${r.b.cpu.toFixed(2).padStart(7)})  ` +
        `fwd+bwd ${r.fb.wall.toFixed(2).padStart(7)} (cpu ${r.fb.cpu.toFixed(2).padStart(7)})  ts/this ${(base / r.fb.wall).toFixed(1)}×`,
    );
  }
  console.log(`C = ${C}, heads = ${heads} (dh = ${dh})`);
  console.log(rows.join('\n'));
}
