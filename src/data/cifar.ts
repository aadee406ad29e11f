import { FormatError } from '../errors.js';

/*
 * The CIFAR-10 / CIFAR-100 "binary version" record layout (Krizhevsky's
 * cifar-10-binary.tar.gz and cifar-100-binary.tar.gz). A file is a plain
 * sequence of fixed-size records, no header:
 *
 *   CIFAR-10:   1 label byte (0..9),                              3072 pixel bytes
 *   CIFAR-100:  1 coarse label byte (0..19), 1 fine byte (0..99), 3072 pixel bytes
 *
 * The 3072 bytes are the 1024 red values of the 32×32 image row by row, then
 * the green, then the blue: already the channel-first [3, 32, 32] layout of a
 * sample, so a record's pixels are copied in order and scaled by 1/255.
 * This file is pure (no Node modules); reading files is cifar-node.ts.
 */

export const CIFAR_SHAPE: readonly number[] = Object.freeze([3, 32, 32]);
export const CIFAR_PIXELS = 3 * 32 * 32;

/** One label byte of a record: where it sits and how many classes it ranges over. */
export interface CifarLabelField {
  /** Name in messages ('label', 'coarse label', 'fine label'). */
  name: string;
  offset: number;
  classes: number;
}

/** The layout of one CIFAR variant's records. */
export interface CifarLayout {
  /** Label bytes before the pixels (1 for CIFAR-10, 2 for CIFAR-100). */
  labelBytes: number;
  /** Every label byte, checked against its range in every record read. */
  fields: readonly CifarLabelField[];
}

export const CIFAR10_LAYOUT: CifarLayout = { labelBytes: 1, fields: [{ name: 'label', offset: 0, classes: 10 }] };
export const CIFAR100_LAYOUT: CifarLayout = {
  labelBytes: 2,
  fields: [
    { name: 'coarse label', offset: 0, classes: 20 },
    { name: 'fine label', offset: 1, classes: 100 },
  ],
};

/** Bytes per record of a layout. */
export function cifarRecordBytes(layout: CifarLayout): number {
  return layout.labelBytes + CIFAR_PIXELS;
}

/**
 * Records in a file of `size` bytes, or a FormatError naming the file when
 * the size is not a whole number of records (a truncated download, or the
 * other variant's file).
 */
export function cifarRecordCount(size: number, layout: CifarLayout, file: string): number {
  const rec = cifarRecordBytes(layout);
  const n = Math.floor(size / rec);
  if (n * rec !== size) {
    throw new FormatError(
      `${file}: ${size} bytes is not a whole number of ${rec}-byte records (${n} records and ${size - n * rec} bytes left over: record ${n} at byte offset ${n * rec} is cut short)`,
    );
  }
  return n;
}

/**
 * Decode the records in `bytes` (a whole number of them) into `images` and
 * `labels` starting at sample `at`. `labelField` picks which label byte is the
 * class; every label byte is range-checked, and a bad one is a FormatError
 * naming the file, the record (counting from `firstRecord`, the index of
 * `bytes`' first record in its file) and its byte offset.
 */
export function decodeCifarRecords(
  bytes: Uint8Array,
  layout: CifarLayout,
  labelField: number,
  file: string,
  into: { images: Float32Array; labels: Uint8Array; at: number },
  firstRecord = 0,
): number {
  const rec = cifarRecordBytes(layout);
  const n = cifarRecordCount(bytes.length, layout, file);
  const { images, labels, at } = into;
  for (let r = 0; r < n; r++) {
    const o = r * rec;
    for (const f of layout.fields) {
      const y = bytes[o + f.offset]!;
      if (y >= f.classes) {
        const index = firstRecord + r;
        throw new FormatError(`${file}: record ${index} (byte offset ${index * rec + f.offset}): ${f.name} ${y} is outside [0, ${f.classes})`);
      }
    }
    labels[at + r] = bytes[o + layout.fields[labelField]!.offset]!;
    const px = o + layout.labelBytes;
    const dst = (at + r) * CIFAR_PIXELS;
    // x / 255, as the IDX reader scales bytes.
    for (let i = 0; i < CIFAR_PIXELS; i++) images[dst + i] = bytes[px + i]! / 255;
  }
  return n;
}

/**
 * Encode samples as CIFAR records: test data and export. `labels[k]` holds
 * record k's label bytes in file order, `pixels` the records' 3072 bytes each.
 */
export function encodeCifarRecords(layout: CifarLayout, labels: readonly (readonly number[])[], pixels: Uint8Array): Uint8Array {
  const n = labels.length;
  if (pixels.length !== n * CIFAR_PIXELS) throw new FormatError(`encodeCifarRecords: ${pixels.length} pixel bytes for ${n} records (need ${n * CIFAR_PIXELS})`);
  const rec = cifarRecordBytes(layout);
  const out = new Uint8Array(n * rec);
  for (let r = 0; r < n; r++) {
    const l = labels[r]!;
    if (l.length !== layout.labelBytes) throw new FormatError(`encodeCifarRecords: record ${r} has ${l.length} label bytes, the layout has ${layout.labelBytes}`);
    out.set(l, r * rec);
    out.set(pixels.subarray(r * CIFAR_PIXELS, (r + 1) * CIFAR_PIXELS), r * rec + layout.labelBytes);
  }
  return out;
}
