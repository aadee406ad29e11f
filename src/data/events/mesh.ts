import { FormatError } from '../../errors.js';
import type { Rng } from '../../tensor/rng.js';
import type { PointCloud } from './pointcloud.js';

/** A triangle mesh: vertices [V, 3] and triangles [F, 3] (polygons are fan-triangulated on read). */
export interface TriangleMesh {
  readonly vertices: Float32Array;
  readonly triangles: Uint32Array;
}

/** Whitespace tokens of a text body with their byte offsets (for error messages). */
class Tokens {
  private pos = 0;
  constructor(private readonly text: string, private readonly file: string) {}
  /** Remaining characters: no count may ask for more tokens than half of them. */
  remaining(): number {
    return this.text.length - this.pos;
  }
  offset(): number {
    return this.pos;
  }
  next(what: string): string {
    const re = /\S+/g;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) throw new FormatError(`${this.file}: byte ${this.pos}: unexpected end of file, expected ${what}`);
    this.pos = m.index + m[0].length;
    return m[0];
  }
  num(what: string): number {
    const at = this.pos;
    const s = this.next(what);
    const v = Number(s);
    if (!Number.isFinite(v)) throw new FormatError(`${this.file}: byte ${at}: expected ${what}, got '${s.slice(0, 20)}'`);
    return v;
  }
  count(what: string, perItem: number): number {
    const at = this.pos;
    const v = this.num(what);
    // Each item needs at least `perItem` tokens of 2 characters (digit + space): reject counts the text cannot hold.
    if (!Number.isInteger(v) || v < 0 || v * perItem * 2 > this.remaining() + 1) {
      throw new FormatError(`${this.file}: byte ${at}: ${what} ${v} is not a count this file can hold`);
    }
    return v;
  }
  skipLine(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl + 1;
  }
}

function readFaces(tk: Tokens, nF: number, nV: number, file: string, tris: number[]): void {
  for (let f = 0; f < nF; f++) {
    const at = tk.offset();
    const k = tk.count('face vertex count', 1);
    const idx: number[] = [];
    for (let j = 0; j < k; j++) {
      const v = tk.num('vertex index');
      if (!Number.isInteger(v) || v < 0 || v >= nV) throw new FormatError(`${file}: byte ${at}: face ${f} uses vertex ${v} (have ${nV})`);
      idx.push(v);
    }
    for (let j = 1; j + 1 < k; j++) tris.push(idx[0]!, idx[j]!, idx[j + 1]!);
  }
}

/** Object File Format: 'OFF', counts (V F E), V lines of x y z, F lines of k i1 … ik. */
export function parseOff(text: string, file = '<off>'): TriangleMesh {
  const clean = text.replace(/#[^\n]*/g, (c) => ' '.repeat(c.length));
  const tk = new Tokens(clean, file);
  let head = tk.next("'OFF'");
  // Some files glue the counts to the keyword ('OFF490 2 0').
  if (!head.startsWith('OFF')) throw new FormatError(`${file}: byte 0: not an OFF file (starts with '${head.slice(0, 10)}')`);
  head = head.slice(3);
  const nV = head.length > 0 ? Number(head) : tk.count('vertex count', 3);
  if (!Number.isInteger(nV) || nV < 0) throw new FormatError(`${file}: byte 0: bad vertex count '${head}'`);
  const nF = tk.count('face count', 4);
  tk.num('edge count');
  if (nV * 3 * 2 > tk.remaining() + 1) throw new FormatError(`${file}: byte ${tk.offset()}: vertex count ${nV} is more than the file holds`);
  const vertices = new Float32Array(nV * 3);
  for (let i = 0; i < nV * 3; i++) vertices[i] = tk.num('vertex coordinate');
  const tris: number[] = [];
  readFaces(tk, nF, nV, file, tris);
  return { vertices, triangles: Uint32Array.from(tris) };
}

/** ASCII PLY with 'element vertex' (x, y, z first among its scalar properties) and 'element face' (a list property). */
export function parsePlyAscii(text: string, file = '<ply>'): TriangleMesh {
  const end = text.indexOf('end_header');
  if (!text.startsWith('ply') || end < 0) throw new FormatError(`${file}: byte 0: not a PLY file (needs 'ply' … 'end_header')`);
  const header = text.slice(0, end).split(/\r?\n/);
  let nV = 0, nF = 0, vProps = 0;
  let current = '';
  const faceScalars: string[] = [];
  let sawFaceList = false;
  for (const line of header) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'format' && w[1] !== 'ascii') throw new FormatError(`${file}: byte 0: PLY format '${w[1]}' is not supported (ascii only)`);
    if (w[0] === 'element') {
      current = w[1] ?? '';
      const c = Number(w[2]);
      if (!Number.isInteger(c) || c < 0) throw new FormatError(`${file}: byte ${text.indexOf(line)}: bad element count '${w[2]}'`);
      if (current === 'vertex') nV = c;
      else if (current === 'face') nF = c;
      else if (c > 0) throw new FormatError(`${file}: byte ${text.indexOf(line)}: element '${current}' is not supported`);
    } else if (w[0] === 'property') {
      if (current === 'vertex') {
        if (w[1] === 'list') throw new FormatError(`${file}: vertex list properties are not supported`);
        vProps++;
      } else if (current === 'face') {
        if (w[1] === 'list') sawFaceList = true;
        else if (!sawFaceList) faceScalars.push(w[2] ?? '');
      }
    }
  }
  if (vProps < 3) throw new FormatError(`${file}: PLY vertex element needs x, y, z properties`);
  if (nF > 0 && (!sawFaceList || faceScalars.length > 0)) throw new FormatError(`${file}: PLY face element must be a single list property`);
  const tk = new Tokens(text, file);
  const bodyStart = end + 'end_header'.length;
  // Position the tokenizer after the header line.
  tk.next("'ply'");
  while (tk.offset() < bodyStart) tk.next('end_header');
  tk.skipLine();
  if (nV * vProps * 2 > tk.remaining() + 1) throw new FormatError(`${file}: byte ${tk.offset()}: vertex count ${nV} is more than the file holds`);
  const vertices = new Float32Array(nV * 3);
  for (let i = 0; i < nV; i++) {
    for (let j = 0; j < vProps; j++) {
      const v = tk.num('vertex property');
      if (j < 3) vertices[i * 3 + j] = v;
    }
  }
  const tris: number[] = [];
  readFaces(tk, nF, nV, file, tris);
  return { vertices, triangles: Uint32Array.from(tris) };
}

/** Detect OFF or PLY from the first bytes. */
export function parseMesh(text: string, file = '<mesh>'): TriangleMesh {
  return text.startsWith('ply') ? parsePlyAscii(text, file) : parseOff(text, file);
}

/**
 * `n` points on the surface, uniformly by area: a triangle is chosen with
 * probability ∝ its area (binary search on the cumulative areas), then a
 * point inside it with barycentric weights (1−√r1, √r1(1−r2), √r1·r2).
 */
export function sampleMesh(mesh: TriangleMesh, n: number, rng: Rng): PointCloud {
  const F = mesh.triangles.length / 3;
  const v = mesh.vertices, tri = mesh.triangles;
  const cum = new Float64Array(F);
  let total = 0;
  for (let f = 0; f < F; f++) {
    const a = tri[3 * f]! * 3, b = tri[3 * f + 1]! * 3, c = tri[3 * f + 2]! * 3;
    const ux = v[b]! - v[a]!, uy = v[b + 1]! - v[a + 1]!, uz = v[b + 2]! - v[a + 2]!;
    const wx = v[c]! - v[a]!, wy = v[c + 1]! - v[a + 1]!, wz = v[c + 2]! - v[a + 2]!;
    const cx = uy * wz - uz * wy, cy = uz * wx - ux * wz, cz = ux * wy - uy * wx;
    total += 0.5 * Math.sqrt(cx * cx + cy * cy + cz * cz);
    cum[f] = total;
  }
  if (!(total > 0)) throw new FormatError('sampleMesh: the mesh has no surface area');
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const r = rng.random() * total;
    let lo = 0, hi = F - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! <= r) lo = mid + 1;
      else hi = mid;
    }
    const a = tri[3 * lo]! * 3, b = tri[3 * lo + 1]! * 3, c = tri[3 * lo + 2]! * 3;
    const s1 = Math.sqrt(rng.random()), r2 = rng.random();
    const wa = 1 - s1, wb = s1 * (1 - r2), wc = s1 * r2;
    for (let d = 0; d < 3; d++) out[3 * i + d] = wa * v[a + d]! + wb * v[b + d]! + wc * v[c + d]!;
  }
  return { points: out, count: n, dims: 3 };
}
