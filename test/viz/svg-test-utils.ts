/** Reading drawn SVG (and PNG headers) back in tests: the elements of a class and their numeric attributes. */
import assert from 'node:assert/strict';

export interface Mark {
  tag: string;
  attrs: Record<string, string>;
  text?: string;
}

/** Every element whose class list contains `cls`, in document order. */
export function marks(svg: string, cls: string): Mark[] {
  const out: Mark[] = [];
  const re = /<([a-z]+)((?:\s+[a-z0-9:-]+="[^"]*")*)\s*(\/>|>([^<]*)<\/\1>)/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([a-z0-9:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    if ((attrs.class ?? '').split(' ').includes(cls)) out.push({ tag: m[1]!, attrs, text: m[4] });
  }
  return out;
}

export const n = (m: Mark, a: string): number => Number(m.attrs[a]);

/** Centre of a rect mark. */
export function centre(m: Mark): [number, number] {
  return [n(m, 'x') + n(m, 'width') / 2, n(m, 'y') + n(m, 'height') / 2];
}

/** Texts of the marks of a class. */
export const texts = (svg: string, cls: string): string[] => marks(svg, cls).map((m) => m.text ?? '');

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual(Array.from(png.subarray(0, 8)), sig, 'PNG signature');
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), 'IHDR');
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

