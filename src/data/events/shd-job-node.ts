import { readFileSync } from 'node:fs';
import { FormatError, NotFoundError, NumericError } from '../../errors.js';
import { asFormatError, checkDatasetSize, Dataset, Group, hardChild, withH5Bytes, type H5File } from '../../io/hdf5.js';

/*
 * The SHD/SSC reader's job in the HDF5 sandbox worker (io/hdf5-sandbox-node.ts;
 * readShdFile in hdf5-node.ts sends it). It reads the file's bytes itself and
 * opens them in h5wasm's in-memory file system, so nothing inside the file can
 * name another file on disk; every object is reached through a hard link, each
 * dataset's type and shape is checked before it is read, and the samples come
 * back flat (one buffer per column, transferred, not copied).
 */

/** The samples of a file, flat: sample i spans [offsets[i], offsets[i + 1]) of times and units. */
export interface ShdFlat {
  times: Float64Array;
  units: Uint16Array;
  offsets: Float64Array;
  labels: Int32Array;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_VLEN = 9;
const LAYOUT = 'SHD layout: spikes/times, spikes/units, labels';

type Meta = { vlen_type?: { type: number; size: number; signed?: boolean }; type: number; size: number; signed?: boolean; shape: number[] | null };

function describe(m: Meta): string {
  const one = (t: number, size: number): string => (t === H5T_FLOAT ? `float${8 * size}` : t === H5T_INTEGER ? `int${8 * size}` : `HDF5 type class ${t}`);
  return m.type === H5T_VLEN && m.vlen_type ? `variable-length ${one(m.vlen_type.type, m.vlen_type.size)}` : one(m.type, m.size);
}

/** IEEE half → number (SHD stores times as float16; h5wasm has no float16 reader and hands back the raw bits). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function toNumbers(v: unknown, half: boolean, what: string): Float64Array {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) throw new FormatError(`${what}: expected a numeric array`);
  const a = v as unknown as ArrayLike<number | bigint>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = half ? halfToNumber(Number(a[i])) : Number(a[i]);
  return out;
}

class ShdReader {
  constructor(
    private readonly f: H5File,
    private readonly file: string,
    private readonly maxBytes: number,
  ) {}

  dataset(path: string): Dataset | null {
    let g: Group = this.f;
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const e = hardChild(g, parts[i]!, this.file);
      if (i === parts.length - 1) return e instanceof Dataset ? e : null;
      if (!(e instanceof Group)) return null;
      g = e;
    }
    return null;
  }

  required(path: string): Dataset {
    const d = this.dataset(path);
    if (!d) throw new FormatError(`${this.file}: dataset '${path}' is missing (${LAYOUT})`);
    return d;
  }

  /** A one-dimensional dataset whose elements (or, variable-length, whose rows' elements) are of `classes`. */
  checked(d: Dataset, path: string, classes: readonly number[], expected: string): Meta {
    const meta = d.metadata as Meta;
    const shape = meta.shape ?? [];
    if (shape.length !== 1) throw new FormatError(`${this.file}: '${path}' has shape [${shape.join(', ')}], expected one dimension (one entry per sample)`);
    const elem = meta.type === H5T_VLEN ? meta.vlen_type : meta;
    if (!elem || !classes.includes(elem.type) || ![1, 2, 4, 8].includes(elem.size)) throw new FormatError(`${this.file}: '${path}' holds ${describe(meta)}, expected ${expected}`);
    checkDatasetSize(d, this.maxBytes, this.file);
    return meta;
  }

  /** The rows of a ragged dataset, whether stored variable-length or flat with offsets. */
  ragged(path: string, classes: readonly number[], expected: string, offsets: Float64Array | null): Float64Array[] {
    const d = this.required(path);
    const meta = this.checked(d, path, classes, expected);
    const vlenHalf = meta.type === H5T_VLEN && meta.vlen_type?.type === H5T_FLOAT && meta.vlen_type.size === 2;
    const flatHalf = meta.type === H5T_FLOAT && meta.size === 2;
    if (vlenHalf || flatHalf) {
      // h5wasm has no float16 reader (it throws "Float16 not supported"): describe the
      // elements as uint16 so it hands back the raw bits, which halfToNumber decodes.
      const asBits: Meta = vlenHalf ? { ...meta, vlen_type: { ...meta.vlen_type!, type: H5T_INTEGER, signed: false } } : { ...meta, type: H5T_INTEGER, signed: false };
      Object.defineProperty(d, 'metadata', { value: asBits, configurable: true });
    }
    const value = d.value;
    if (meta.type === H5T_VLEN) {
      if (!Array.isArray(value)) throw new FormatError(`${this.file}: '${path}': unreadable variable-length rows`);
      return value.map((row, i) => toNumbers(row, vlenHalf, `${this.file}: ${path}[${i}]`));
    }
    if (!offsets) throw new FormatError(`${this.file}: '${path}' is not variable-length and there is no spikes/offsets dataset`);
    const flat = toNumbers(value, flatHalf, `${this.file}: ${path}`);
    const rows: Float64Array[] = [];
    for (let i = 0; i + 1 < offsets.length; i++) {
      const a = offsets[i]!, b = offsets[i + 1]!;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= a && b <= flat.length)) {
        throw new FormatError(`${this.file}: spikes/offsets[${i}..${i + 1}] = ${a}..${b} is outside ${path} (${flat.length} values)`);
      }
      rows.push(flat.subarray(a, b));
    }
    return rows;
  }

  read(): ShdFlat {
    const file = this.file;
    // Presence first, in the order the layout names them, so a missing one is named before any type complaint.
    const names = ['spikes/times', 'spikes/units', 'labels'];
    for (const n of names) this.required(n);
    const offD = this.dataset('spikes/offsets');
    let offsets: Float64Array | null = null;
    if (offD) {
      this.checked(offD, 'spikes/offsets', [H5T_INTEGER], 'integer row starts');
      offsets = toNumbers(offD.value, false, `${file}: spikes/offsets`);
    }
    const times = this.ragged('spikes/times', [H5T_FLOAT], 'floating-point times in seconds (float16, float32 or float64), flat or variable-length', offsets);
    const units = this.ragged('spikes/units', [H5T_INTEGER], 'integer channel indices, flat or variable-length', offsets);
    const labD = this.required('labels');
    this.checked(labD, 'labels', [H5T_INTEGER], 'one integer label per sample');
    const labelsRaw = toNumbers(labD.value, false, `${file}: labels`);
    if (times.length !== units.length || times.length !== labelsRaw.length) {
      throw new FormatError(`${file}: spikes/times (${times.length}), spikes/units (${units.length}) and labels (${labelsRaw.length}) disagree on the number of samples`);
    }
    let total = 0;
    times.forEach((t, i) => {
      if (t.length !== units[i]!.length) throw new FormatError(`${file}: sample ${i} has ${t.length} times but ${units[i]!.length} units`);
      total += t.length;
    });
    const out: ShdFlat = { times: new Float64Array(total), units: new Uint16Array(total), offsets: new Float64Array(times.length + 1), labels: new Int32Array(times.length) };
    let o = 0;
    times.forEach((t, i) => {
      const u = units[i]!;
      for (let k = 0; k < t.length; k++) {
        if (!Number.isFinite(t[k]!)) throw new NumericError(`${file}: spikes/times of sample ${i} holds ${t[k]} at event ${k}`);
        if (!(Number.isInteger(u[k]!) && u[k]! >= 0 && u[k]! <= 65535)) throw new FormatError(`${file}: spikes/units of sample ${i} holds ${u[k]} at event ${k}, expected a channel index in 0..65535`);
      }
      out.times.set(t, o);
      out.units.set(u, o);
      o += t.length;
      out.offsets[i + 1] = o;
      const l = labelsRaw[i]!;
      if (!(Number.isInteger(l) && l >= 0 && l < 2 ** 31)) throw new FormatError(`${file}: labels[${i}] is ${l}, expected a class index >= 0`);
      out.labels[i] = l;
    });
    return out;
  }
}

/** The sandbox job: read `input.path` (errors name `input.source`). */
export async function shdJob(input: { path: string; source: string }, limits: { maxBytes: number }): Promise<{ value: ShdFlat; transfer: ArrayBuffer[] }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(input.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${input.source}: no such HDF5 file`);
    throw new FormatError(`${input.source}: cannot read (${(e as Error).message})`);
  }
  const flat = await withH5Bytes(
    bytes,
    input.source,
    (f) => {
      try {
        return new ShdReader(f, input.source, limits.maxBytes).read();
      } catch (e) {
        throw asFormatError(e, input.source, 'damaged HDF5 file');
      }
    },
    { canOwn: true },
  );
  return { value: flat, transfer: [flat.times.buffer, flat.units.buffer, flat.offsets.buffer, flat.labels.buffer] as ArrayBuffer[] };
}
