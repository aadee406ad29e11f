import { FormatError } from '../errors.js';
import { entryFromTensor, type SafetensorsEntry, type SafetensorsFile } from '../interop/safetensors.js';
import type { Module } from '../module/module.js';
import { WEIGHT_STEP } from '../nn/weighted.js';
import { quantLevels } from '../ops/quantize.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import { quantizedLayers } from './apply.js';

/*
 * Integer weights files (model.int.safetensors, docs/quantization.md): the
 * state dict with each quantized layer's weight stored as its integer levels
 * q (w_q = q · step[c], c the output channel):
 *  - 5 to 8 bits: dtype I8, the weight's own shape;
 *  - 2 to 4 bits: dtype U8, two's-complement nibbles packed two per byte
 *    (element 2i in the low nibble of byte i, element 2i+1 in the high one; an
 *    odd count leaves the last high nibble 0), shape [ceil(n/2)]; the true
 *    shape is in the metadata;
 * and every other tensor — the steps `<layer>.weight_step` included — as in
 * model.safetensors (F32 from the float32 backends). `__metadata__` holds
 * `format: spikeflow.model.int` and `quantization`, a JSON object
 * { version: 1, tensors: { "<layer>.weight": { bits, dtype: "int8" | "int4",
 * shape, step: "<layer>.weight_step", axis: 0 } } }.
 *
 * Dequantizing computes q·s in float64 and stores it in the step's dtype,
 * which is what the quantized forward computes, so the loaded weights equal
 * the fake-quantized ones bit for bit.
 */

export const INT_WEIGHTS_FORMAT = 'spikeflow.model.int';
const QUANT_KEY = 'quantization';

interface QuantTensorInfo {
  bits: number;
  dtype: 'int8' | 'int4';
  shape: number[];
  step: string;
  axis: 0;
}

/** Pack signed levels (−8..7) two per byte, low nibble first. */
export function packInt4(q: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(q.length / 2));
  for (let i = 0; i < q.length; i++) out[i >> 1] |= (q[i]! & 0xf) << ((i & 1) * 4);
  return out;
}

/** The inverse of packInt4 for n values (sign-extending each nibble). */
export function unpackInt4(bytes: Uint8Array, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const v = (bytes[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = v >= 8 ? v - 16 : v;
  }
  return out;
}

/** The container of b-bit levels: int8 above 4 bits, packed int4 otherwise. */
export function intContainer(bits: number): 'int8' | 'int4' {
  return bits > 4 ? 'int8' : 'int4';
}

/**
 * The tensors and metadata of a model's integer weights file: quantized
 * layers' weights as integers, everything else as in model.safetensors.
 * `metadata` is added (a run's config, say).
 */
export function intWeightsEntries(model: Module, metadata: Record<string, string> = {}): SafetensorsFile {
  const layers = quantizedLayers(model);
  if (layers.length === 0) throw new FormatError('integer weights: the model has no quantized layer (give it a model.quantize section)');
  const qinfo: Record<string, QuantTensorInfo> = {};
  const ints = new Map<string, SafetensorsEntry>();
  for (const [path, m] of layers) {
    const name = path ? `${path}.weight` : 'weight';
    const bits = m.weightQuantizer!.bits;
    const q = m.weightIntegers();
    const dtype = intContainer(bits);
    ints.set(name, dtype === 'int8' ? { dtype: 'I8', shape: [...m.weight.shape], data: Int8Array.from(q) } : { dtype: 'U8', shape: [Math.ceil(q.length / 2)], data: packInt4(q) });
    qinfo[name] = { bits, dtype, shape: [...m.weight.shape], step: path ? `${path}.${WEIGHT_STEP}` : WEIGHT_STEP, axis: 0 };
  }
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, t] of model.stateDict()) tensors.set(name, ints.get(name) ?? entryFromTensor(t));
  return { tensors, metadata: { ...metadata, format: INT_WEIGHTS_FORMAT, [QUANT_KEY]: JSON.stringify({ version: 1, tensors: qinfo }) } };
}

/** Whether decoded safetensors metadata marks an integer weights file. */
export function isIntWeightsFile(metadata: Readonly<Record<string, string>>): boolean {
  return metadata['format'] === INT_WEIGHTS_FORMAT;
}

function parseInfo(source: string, raw: string | undefined): Record<string, QuantTensorInfo> {
  const fail = (what: string): never => {
    throw new FormatError(`${source}: __metadata__ field '${QUANT_KEY}': ${what}`);
  };
  if (raw === undefined) fail('missing (an integer weights file says which tensors are integers)');
  let v: unknown;
  try {
    v = JSON.parse(raw!);
  } catch (e) {
    fail(`not JSON (${(e as Error).message})`);
  }
  const o = v as { version?: unknown; tensors?: unknown };
  if (typeof o !== 'object' || o === null || o.version !== 1) fail(`expected { version: 1, tensors: {...} }, got ${raw!.slice(0, 80)}`);
  if (typeof o.tensors !== 'object' || o.tensors === null || Array.isArray(o.tensors)) fail("field 'tensors' must be an object");
  const out: Record<string, QuantTensorInfo> = {};
  for (const [name, e] of Object.entries(o.tensors as Record<string, unknown>)) {
    const t = e as Partial<QuantTensorInfo>;
    const where = `tensor '${name}'`;
    if (typeof t !== 'object' || t === null) fail(`${where}: entry must be an object`);
    if (typeof t.bits !== 'number' || !Number.isInteger(t.bits) || t.bits < 2 || t.bits > 8) fail(`${where}: bits must be an integer from 2 to 8, got ${JSON.stringify(t.bits)}`);
    if (t.dtype !== intContainer(t.bits!)) fail(`${where}: dtype must be '${intContainer(t.bits!)}' for ${t.bits} bits, got ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${where}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    if (typeof t.step !== 'string') fail(`${where}: step must name the step tensor, got ${JSON.stringify(t.step)}`);
    if (t.axis !== 0) fail(`${where}: axis must be 0 (steps per output channel), got ${JSON.stringify(t.axis)}`);
    out[name] = t as QuantTensorInfo;
  }
  return out;
}

/**
 * Dequantize an integer weights file: every quantized weight becomes q·step
 * in the step's float dtype; the other tensors pass through. Checks name the
 * file (`source`) and the tensor: the metadata, the integer tensor's dtype and
 * length, levels inside the b-bit range, padding, and the step's shape and
 * values.
 */
export function dequantizeIntWeights(file: SafetensorsFile, source: string): Map<string, SafetensorsEntry> {
  if (!isIntWeightsFile(file.metadata)) throw new FormatError(`${source}: not an integer weights file (__metadata__ format is ${JSON.stringify(file.metadata['format'] ?? null)}, expected '${INT_WEIGHTS_FORMAT}')`);
  const info = parseInfo(source, file.metadata[QUANT_KEY]);
  const out = new Map(file.tensors);
  for (const [name, qi] of Object.entries(info)) {
    const fail = (what: string): never => {
      throw new FormatError(`${source}: tensor '${name}': ${what}`);
    };
    const e = file.tensors.get(name);
    if (!e) fail(`listed in __metadata__ '${QUANT_KEY}' but not in the file`);
    const n = sizeOf(qi.shape);
    const { qn, qp } = quantLevels(qi.bits);
    let q: Int8Array;
    if (qi.dtype === 'int8') {
      if (e!.dtype !== 'I8') fail(`int8 levels must be stored as I8, got ${e!.dtype}`);
      if (sizeOf(e!.shape) !== n || e!.shape.length !== qi.shape.length || e!.shape.some((d, i) => d !== qi.shape[i])) fail(`shape ${fmtShape(e!.shape)} differs from the metadata's ${fmtShape(qi.shape)}`);
      q = e!.data as Int8Array;
    } else {
      if (e!.dtype !== 'U8') fail(`packed int4 levels must be stored as U8, got ${e!.dtype}`);
      const want = Math.ceil(n / 2);
      if (e!.shape.length !== 1 || e!.shape[0] !== want) fail(`packed shape ${fmtShape(e!.shape)} does not hold ${n} nibbles of shape ${fmtShape(qi.shape)} (expected [${want}])`);
      const bytes = e!.data as Uint8Array;
      if (n % 2 === 1 && bytes[want - 1]! >> 4 !== 0) fail('the padding nibble after the last value is not 0');
      q = unpackInt4(bytes, n);
    }
    for (let i = 0; i < n; i++) if (q[i]! < -qn || q[i]! > qp) fail(`level ${q[i]} at index ${i} lies outside the ${qi.bits}-bit range ${-qn}..${qp}`);
    const s = file.tensors.get(qi.step);
    if (!s) fail(`its step tensor '${qi.step}' is not in the file`);
    if (s!.dtype !== 'F32' && s!.dtype !== 'F64') fail(`step tensor '${qi.step}' must be F32 or F64, got ${s!.dtype}`);
    const C = sizeOf(s!.shape);
    if (s!.shape.length !== 1 || !(C === 1 || C === qi.shape[0])) fail(`step tensor '${qi.step}' has shape ${fmtShape(s!.shape)}; expected [1] or [${qi.shape[0]}] (one per output channel)`);
    const sd = s!.data as Float32Array | Float64Array;
    for (let c = 0; c < C; c++) if (!(sd[c]! > 0 && Number.isFinite(sd[c]!))) fail(`step tensor '${qi.step}' holds ${sd[c]} at index ${c}; steps must be positive and finite`);
    const per = n / C;
    const w = s!.dtype === 'F64' ? new Float64Array(n) : new Float32Array(n);
    for (let c = 0; c < C; c++) for (let i = c * per, end = i + per; i < end; i++) w[i] = q[i]! * sd[c]!;
    out.set(name, { dtype: s!.dtype, shape: [...qi.shape], data: w });
  }
  return out;
}
