/// <reference types="@webgpu/types" />
import { BackendError, ShapeError } from '../../errors.js';
import type { Storage } from '../storage.js';
import { kernelSource, layoutEntries, PARAM_SLOT_BYTES, writeParams, type KernelSpec } from './kernel.js';
import { BufferPool, type PoolStats } from './pool.js';
import { GpuStorage } from './storage.js';

/*
 * Everything the webgpu kernels share: the device, the buffer pools, the one
 * open command encoder every kernel records into, the uniform arena holding
 * each dispatch's parameters, the pipeline cache and the step scopes.
 *
 * Batching: kernels record into one encoder (one compute pass kept open
 * across dispatches; each dispatch is its own synchronization scope, so
 * WebGPU orders them). It is submitted by `flush()`: on `read()`, at the end
 * of a scope, or when the arena is full. Parameters are written into the
 * arena on the host and uploaded with a single `writeBuffer` right before the
 * submit: `queue.writeBuffer` runs before every later-submitted command
 * buffer, so writing each dispatch's parameters into a shared buffer as it is
 * recorded would leave all of them seeing the last values.
 */

// GPUBufferUsage / GPUMapMode values (fixed by the WebGPU spec); numbers, so
// the code needs no globals from the runtime.
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ_MODE = 0x1;

/** Dispatches per submission at most (the arena's slots): 1 MiB of parameters. */
export const ARENA_SLOTS = 4096;

/** Why a scope released a storage (what users see when something kept it anyway). */
export const GPU_SCOPE_RELEASE_REASON =
  'it was released at the end of a training/evaluation step (Backend.endScope); a module keeps a tensor across steps without listing it in persistentTensors(), or a caller kept a tensor from inside a step scope';

export interface GpuCounters {
  /** Command buffers submitted, dispatches recorded, buffer reads. */
  submits: number;
  dispatches: number;
  reads: number;
  pool: PoolStats;
}

interface Pipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class GpuContext {
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly arena: GPUBuffer;
  private readonly arenaHost = new ArrayBuffer(ARENA_SLOTS * PARAM_SLOT_BYTES);
  private readonly arenaView = new DataView(this.arenaHost);
  private slots = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly scopes: GpuStorage[][] = [];
  /** The first uncaptured device error, thrown at the next flush (validation errors are asynchronous). */
  private deviceError: string | null = null;
  private lostReason: string | null = null;
  private submits = 0;
  private dispatches = 0;
  private reads = 0;

  /** `handles`: objects the device depends on (device.ts, AcquiredDevice.handles), held for the context's lifetime. */
  constructor(readonly device: GPUDevice, private readonly handles: readonly object[] = []) {
    this.pool = new BufferPool(device, Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, 'spikeflow storage');
    this.staging = new BufferPool(device, Usage.MAP_READ | Usage.COPY_DST, 'spikeflow staging');
    this.arena = device.createBuffer({ size: ARENA_SLOTS * PARAM_SLOT_BYTES, usage: Usage.UNIFORM | Usage.COPY_DST, label: 'spikeflow params' });
    device.addEventListener('uncapturederror', (ev) => {
      this.deviceError ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
    void device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /** Storage of n elements; zero-filled unless `zero` is false (then contents are unspecified). */
  alloc(n: number, zero = true): GpuStorage {
    this.alive();
    if (!Number.isInteger(n) || n < 0) throw new ShapeError(`webgpu alloc: element count must be a non-negative integer, got ${n}`);
    const buf = this.pool.acquire(Math.max(4, n * 4));
    if (zero) this.clear(buf, 0, buf.size);
    const record = this.scopes[this.scopes.length - 1];
    const s = new GpuStorage(this, buf, n, record !== undefined);
    record?.push(s);
    return s;
  }

  /** Storage holding the values (converted to float32). */
  fromArray(values: ArrayLike<number>): GpuStorage {
    const s = this.alloc(values.length, false);
    if (values.length > 0) {
      const f = values instanceof Float32Array ? values : Float32Array.from(values);
      // Safe before the open encoder's commands: a pooled buffer is reused only
      // after every command that touched it was submitted (pool.ts).
      this.device.queue.writeBuffer(s.buffer, 0, f.buffer, f.byteOffset, f.byteLength);
    }
    return s;
  }

  releaseBuffer(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /** True when s is a storage of this context (everything else is refused: a GPU kernel cannot read a CPU array). */
  owns(s: Storage | null): s is GpuStorage {
    return s instanceof GpuStorage && s.owner === this;
  }

  /** The storage as this context's, or a BackendError naming the kernel and operand. */
  gpu(s: Storage, kernel: string, what: string): GpuStorage {
    if (!this.owns(s)) throw new BackendError(`webgpu ${kernel}: ${what} is not webgpu storage (${s.constructor.name}); move the tensor to the webgpu backend first`);
    return s;
  }

  /** Refuses calls that would read or write past a storage (a shader would silently read zeros or drop writes). */
  need(s: Storage, end: number, kernel: string, what: string): void {
    if (end > s.length) throw new ShapeError(`webgpu ${kernel}: ${what} needs ${end} elements, storage has ${s.length}`);
  }

  /**
   * Record one dispatch of `spec` over `groups` workgroups. Buffers bound for
   * writing must not also be bound for reading (WebGPU refuses the dispatch):
   * an aliased read operand is copied to a pooled temporary first.
   */
  run(spec: KernelSpec, buffers: readonly GPUBuffer[], params: readonly number[], groups: readonly [number, number?, number?]): void {
    this.alive();
    if (buffers.length !== spec.bindings.length) throw new Error(`webgpu kernel ${spec.name}: ${buffers.length} buffers for ${spec.bindings.length} bindings`);
    const [gx, gy = 1, gz = 1] = groups;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const bound = this.unalias(spec, buffers);
    if (this.slots === ARENA_SLOTS) this.flush();
    const slot = this.slots++;
    writeParams(spec, params, this.arenaView, slot * PARAM_SLOT_BYTES);
    const { pipeline, layout } = this.pipeline(spec);
    const group = this.device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: this.arena, offset: slot * PARAM_SLOT_BYTES, size: PARAM_SLOT_BYTES } },
        ...bound.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
      ],
    });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(gx, gy, gz);
    this.dispatches++;
    for (let i = 0; i < bound.length; i++) if (bound[i] !== buffers[i]) this.pool.release(bound[i]!);
  }

  /** dst[dstOff..] = src[srcOff..], n elements, in command order. */
  copy(src: GPUBuffer, srcOff: number, dst: GPUBuffer, dstOff: number, n: number): void {
    if (n === 0) return;
    this.commands().copyBufferToBuffer(src, srcOff * 4, dst, dstOff * 4, n * 4);
  }

  /** Zero `bytes` bytes of buf from `offset` (both multiples of 4), in command order. */
  clear(buf: GPUBuffer, offset: number, bytes: number): void {
    if (bytes === 0) return;
    this.commands().clearBuffer(buf, offset, bytes);
  }

  /** Submit everything recorded so far. Throws a device error raised since the last flush. */
  flush(): void {
    this.alive();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      if (this.slots > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaHost, 0, this.slots * PARAM_SLOT_BYTES);
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.slots = 0;
      this.submits++;
    }
    this.pool.submitted();
    this.alive();
  }

  /** Copy of the first n elements of a storage, after everything recorded before this call. */
  async read(s: GpuStorage): Promise<Float32Array> {
    const n = s.length;
    if (n === 0) {
      this.flush();
      return new Float32Array(0);
    }
    const st = this.staging.acquire(n * 4);
    this.commands().copyBufferToBuffer(s.buffer, 0, st, 0, n * 4);
    this.flush();
    this.reads++;
    try {
      await st.mapAsync(MAP_READ_MODE, 0, n * 4);
    } catch (e) {
      this.alive();
      throw new BackendError(`webgpu read of ${n} elements failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const out = new Float32Array(st.getMappedRange(0, n * 4).slice(0));
    st.unmap();
    this.staging.release(st);
    // A staging buffer is safe to reuse once unmapped: the next copy into it is recorded later.
    this.staging.submitted();
    this.alive();
    return out;
  }

  get scopeDepth(): number {
    return this.scopes.length;
  }

  beginScope(): void {
    this.scopes.push([]);
  }

  endScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('webgpu endScope: no scope is open (every endScope needs a beginScope before it)');
    this.close(record, keep, this.scopes[this.scopes.length - 1]);
    this.flush();
  }

  rotateScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('webgpu rotateScope: no scope is open (every rotateScope needs a beginScope before it)');
    const next: GpuStorage[] = [];
    this.close(record, keep, next);
    this.scopes.push(next);
    this.flush();
  }

  counters(): GpuCounters {
    return { submits: this.submits, dispatches: this.dispatches, reads: this.reads, pool: this.pool.stats() };
  }

  /**
   * Destroy the device (every buffer with it); the context is unusable afterwards.
   * Dawn's worker threads must be gone before Node exits, or the process can
   * abort on its way out (measured with SwiftShader), so Node code calls this
   * when done (load-node.ts does it on process exit).
   */
  destroy(): void {
    if (this.lostReason !== null) return;
    this.lostReason = 'destroyed: the webgpu backend was disposed';
    this.pass = null;
    this.encoder = null;
    this.device.destroy();
  }

  /** Submit what is pending and destroy the free buffers (the device stays). */
  trim(): void {
    this.flush();
    this.pool.trim();
    this.staging.trim();
  }

  private close(record: GpuStorage[], keep: Iterable<Storage>, outer: GpuStorage[] | undefined): void {
    const kept = keep instanceof Set ? (keep as Set<Storage>) : new Set(keep);
    for (const s of record) {
      if (!kept.has(s)) s.release(GPU_SCOPE_RELEASE_REASON);
      else if (outer) outer.push(s);
      else s.adoptByGc();
    }
  }

  /** Read operands that are also written in this dispatch, replaced by temporaries holding a copy. */
  private unalias(spec: KernelSpec, buffers: readonly GPUBuffer[]): GPUBuffer[] {
    const written = new Set<GPUBuffer>();
    spec.bindings.forEach(([, a], i) => {
      if (a === 'read_write') written.add(buffers[i]!);
    });
    const seenWritten = new Set<GPUBuffer>();
    return buffers.map((b, i) => {
      const access = spec.bindings[i]![1];
      if (access === 'read_write') {
        if (seenWritten.has(b)) throw new BackendError(`webgpu kernel ${spec.name}: one buffer bound for writing twice`);
        seenWritten.add(b);
        return b;
      }
      if (!written.has(b)) return b;
      const tmp = this.pool.acquire(b.size);
      this.commands().copyBufferToBuffer(b, 0, tmp, 0, b.size);
      return tmp;
    });
  }

  private pipeline(spec: KernelSpec): Pipeline {
    let p = this.pipelines.get(spec.name);
    if (!p) {
      const module = this.device.createShaderModule({ code: kernelSource(spec), label: spec.name });
      const layout = this.device.createBindGroupLayout({ entries: layoutEntries(spec), label: spec.name });
      const pipeline = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
        label: spec.name,
      });
      p = { pipeline, layout };
      this.pipelines.set(spec.name, p);
    }
    return p;
  }

  /** The open encoder outside any compute pass (copies and clears cannot be recorded inside one). */
  private commands(): GPUCommandEncoder {
    this.alive();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = (this.encoder ??= this.device.createCommandEncoder()).beginComputePass();
    return this.pass;
  }

  private alive(): void {
    if (this.lostReason !== null) throw new BackendError(`webgpu device lost (${this.lostReason})`);
    if (this.deviceError !== null) {
      const msg = this.deviceError;
      this.deviceError = null;
      throw new BackendError(`webgpu device error: ${msg}`);
    }
  }
}
