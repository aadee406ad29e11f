import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, CIFAR_PIXELS, encodeCifarRecords } from '../../src/data/cifar.js';

/*
 * Small generated CIFAR binary files for tests: every pixel byte is a known
 * function of (file, record, channel, row, column), and every label of
 * (file, record), so a reader's output can be checked value by value.
 */

export const RECORDS_PER_FILE = 20;

/** The pixel byte of a generated record: distinct per channel plane, row and column. */
export function pixelByte(file: number, record: number, c: number, y: number, x: number): number {
  return (file * 37 + record * 11 + c * 85 + y * 7 + x * 3) & 255;
}

/** CIFAR-10 label of a generated record. */
export function label10(file: number, record: number): number {
  return (file * 3 + record) % 10;
}

/** CIFAR-100 (coarse, fine) labels of a generated record. */
export function labels100(file: number, record: number): [number, number] {
  const fine = (file * 41 + record * 7) % 100;
  return [fine % 20, fine];
}

function pixels(file: number, n: number): Uint8Array {
  const px = new Uint8Array(n * CIFAR_PIXELS);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) px[r * CIFAR_PIXELS + c * 1024 + y * 32 + x] = pixelByte(file, r, c, y, x);
  return px;
}

/** data_batch_1..5.bin (files 0..4) and test_batch.bin (file 5) in `dir`, `n` records each. */
export function writeCifar10(dir: string, n = RECORDS_PER_FILE): string {
  mkdirSync(dir, { recursive: true });
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  names.forEach((name, f) => {
    const labels = Array.from({ length: n }, (_, r) => [label10(f, r)]);
    writeFileSync(join(dir, name), encodeCifarRecords(CIFAR10_LAYOUT, labels, pixels(f, n)));
  });
  return dir;
}

/** train.bin (file 0) and test.bin (file 1) in `dir`, `n` records each. */
export function writeCifar100(dir: string, n = RECORDS_PER_FILE): string {
  mkdirSync(dir, { recursive: true });
  ['train.bin', 'test.bin'].forEach((name, f) => {
    const labels = Array.from({ length: n }, (_, r) => labels100(f, r));
    writeFileSync(join(dir, name), encodeCifarRecords(CIFAR100_LAYOUT, labels, pixels(f, n)));
  });
  return dir;
}
