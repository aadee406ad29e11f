// Does WebGPU work here? Loads the optional `webgpu` package (Dawn), asks for
// an adapter, runs one compute shader (y = 2x + 1 over 1,000 floats) and reads
// it back. Prints the adapter and the environment it needed; exit 0 when the
// shader's result is exact, 2 without an adapter, 1 on a wrong result.
//
// On a machine without a GPU: Debian's lavapipe is refused by Dawn, but the
// chromium package ships SwiftShader. Run as
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=$(mktemp -d) node scripts/webgpu-probe.mjs
// (libvulkan1 must be installed; without XDG_RUNTIME_DIR Dawn logs an error but works).
const t0 = performance.now();
let webgpu;
try {
  webgpu = await import('webgpu');
} catch (e) {
  console.log(`the optional package 'webgpu' did not load: ${e.message.split('\n')[0]}`);
  process.exit(2);
}
const gpu = webgpu.create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.log(`no WebGPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'})`);
  process.exit(2);
}
const info = adapter.info;
console.log(`adapter: ${info.description || info.device} (vendor ${info.vendor}, architecture ${info.architecture}, fallback ${info.isFallbackAdapter}) in ${(performance.now() - t0).toFixed(0)} ms`);
const device = await adapter.requestDevice();
const n = 1000;
const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;
const buf = device.createBuffer({ size: n * 4, usage: STORAGE | COPY_SRC | COPY_DST });
device.queue.writeBuffer(buf, 0, Float32Array.from({ length: n }, (_, i) => i));
const module = device.createShaderModule({
  code: `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { if (g.x < ${n}u) { a[g.x] = a[g.x] * 2.0 + 1.0; } }`,
});
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass();
pass.setPipeline(pipeline);
pass.setBindGroup(0, group);
pass.dispatchWorkgroups(Math.ceil(n / 64));
pass.end();
const staging = device.createBuffer({ size: n * 4, usage: MAP_READ | COPY_DST });
enc.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
device.queue.submit([enc.finish()]);
await staging.mapAsync(1);
const r = new Float32Array(staging.getMappedRange().slice(0));
staging.unmap();
let bad = 0;
for (let i = 0; i < n; i++) if (r[i] !== 2 * i + 1) bad++;
console.log(`compute shader: ${bad === 0 ? 'exact' : `${bad} wrong values`} (${(performance.now() - t0).toFixed(0)} ms in all)`);
device.destroy();
process.exit(bad === 0 ? 0 : 1);
