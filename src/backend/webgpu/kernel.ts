/// <reference types="@webgpu/types" />

/*
 * A WGSL compute kernel declared once: its uniform parameters and storage
 * bindings by name and access, plus the body. The context generates the
 * header (the Params struct, the binding declarations) and an explicit bind
 * group layout from the same declaration, so the host side writes parameters
 * in declaration order and can never disagree with the shader about a slot.
 */

/** A uniform parameter: 32-bit unsigned, signed or float. */
export type ParamType = 'u32' | 'i32' | 'f32';

/** A storage binding the kernel reads, or reads and writes. */
export type Access = 'read' | 'read_write';

export interface KernelSpec {
  /** Unique name (the pipeline cache key; errors name it). */
  readonly name: string;
  readonly params: readonly (readonly [string, ParamType])[];
  readonly bindings: readonly (readonly [string, Access])[];
  /** WGSL after the generated header: helper functions and the `main` entry point. */
  readonly body: string;
}

/** Bytes of one parameter slot in the uniform arena (the WebGPU default offset alignment). */
export const PARAM_SLOT_BYTES = 256;

/** The generated header: `p` (uniform Params) at binding 0, then the storage arrays in order. */
export function kernelSource(spec: KernelSpec): string {
  if (spec.params.length * 4 > PARAM_SLOT_BYTES) throw new Error(`webgpu kernel ${spec.name}: ${spec.params.length} parameters exceed one ${PARAM_SLOT_BYTES}-byte slot`);
  // A struct needs one member at least; `_pad` keeps parameterless kernels valid.
  const fields = spec.params.length > 0 ? spec.params.map(([n, t]) => `  ${n}: ${t},`).join('\n') : '  _pad: u32,';
  const binds = spec.bindings.map(([n, a], i) => `@group(0) @binding(${i + 1}) var<storage, ${a}> ${n}: array<f32>;`).join('\n');
  return `struct Params {\n${fields}\n}\n@group(0) @binding(0) var<uniform> p: Params;\n${binds}\n${spec.body}`;
}

/** Bind group layout entries matching kernelSource. */
export function layoutEntries(spec: KernelSpec): GPUBindGroupLayoutEntry[] {
  const COMPUTE = 0x4; // GPUShaderStage.COMPUTE
  return [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
    ...spec.bindings.map(([, a], i) => ({ binding: i + 1, visibility: COMPUTE, buffer: { type: a === 'read' ? ('read-only-storage' as const) : ('storage' as const) } })),
  ];
}

/** Writes the parameter values into a slot, in declaration order, with the declared types. */
export function writeParams(spec: KernelSpec, values: readonly number[], view: DataView, at: number): void {
  if (values.length !== spec.params.length) throw new Error(`webgpu kernel ${spec.name}: ${values.length} parameter values for ${spec.params.length} parameters`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const t = spec.params[i]![1];
    if (t === 'f32') view.setFloat32(at + 4 * i, v, true);
    else if (t === 'i32') view.setInt32(at + 4 * i, v, true);
    else view.setUint32(at + 4 * i, v, true);
  }
}

/** Invocations per workgroup of the one-dimensional kernels. */
export const WG = 256;
/** Most workgroups per dispatch dimension (WebGPU's default limit). */
export const MAX_GROUPS = 65535;

/**
 * Workgroups for n invocations of a 1-D kernel: x up to MAX_GROUPS, y the rest.
 * Kernels rebuild the flat index as `linearIndex(gid, nwg)` below.
 */
export function grid1d(n: number, perGroup = WG): [number, number] {
  const groups = Math.ceil(n / perGroup);
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}

/** WGSL: the flat index of a 1-D kernel dispatched with grid1d (workgroup size WG). */
export const LINEAR_INDEX = `fn linearIndex(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * ${WG}u; }`;

/** A kernel of one invocation per element i < n: `stmt` is its body (WGSL), after the bounds check. */
export function elementwise(name: string, params: KernelSpec['params'], bindings: KernelSpec['bindings'], stmt: string): KernelSpec {
  return {
    name,
    params: [['n', 'u32'], ...params],
    bindings,
    body: `
${LINEAR_INDEX}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linearIndex(gid, nwg);
  if (i >= p.n) { return; }
  ${stmt}
}`,
  };
}
