import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer, randomWindows, splitTokens } from '../../src/data/text.js';
import { firstInvalidUtf8, readTextFile } from '../../src/data/text-node.js';
import { Rng } from '../../src/tensor/rng.js';
import { ConfigError, FormatError, NotFoundError } from '../../src/errors.js';

test('CharTokenizer: sorted code points, round trip, astral characters are one token', () => {
  const tok = CharTokenizer.fromText('bca😀a\n');
  assert.deepEqual(tok.chars, ['\n', 'a', 'b', 'c', '😀']);
  const ids = tok.encode('a😀c');
  assert.deepEqual(Array.from(ids), [1, 4, 3]);
  assert.equal(tok.decode(ids), 'a😀c');
  assert.deepEqual(CharTokenizer.fromJson(JSON.parse(JSON.stringify(tok.toJson()))).chars, tok.chars);
});

test('CharTokenizer: an empty corpus, an unknown character and a bad tokenizer file are clear errors', () => {
  assert.throws(() => CharTokenizer.fromText('', 'my.txt'), (e: unknown) => e instanceof ConfigError && /my\.txt: the text is empty/.test(e.message));
  const tok = CharTokenizer.fromText('abc');
  assert.throws(() => tok.encode('abz', '--prompt'), (e: unknown) => e instanceof ConfigError && /--prompt: character "z" \(U\+007A\) at position 2 is not in the model's vocabulary of 3 characters/.test(e.message));
  assert.throws(() => CharTokenizer.fromJson({ type: 'char', chars: ['a', 'a'] }, 't.json'), (e: unknown) => e instanceof FormatError && /t\.json: chars\[1\] "a" appears twice/.test(e.message));
  assert.throws(() => CharTokenizer.fromJson({ type: 'char', chars: ['ab'] }, 't.json'), (e: unknown) => e instanceof FormatError && /one character/.test(e.message));
});

test('splitTokens: contiguous train / validation / test in that order; too short a split names itself', () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const s = splitTokens(ids, [0.8, 0.1, 0.1], 5);
  assert.deepEqual([s.train.length, s.validation.length, s.test.length], [80, 10, 10]);
  assert.equal(s.validation[0], 80);
  assert.equal(s.test[0], 90);
  assert.throws(() => splitTokens(ids, [0.8, 0.1, 0.1], 11), (e: unknown) => e instanceof ConfigError && /validation split has 10 tokens of 100; it needs at least 11/.test(e.message));
  assert.throws(() => splitTokens(ids, [0.8, 0.3, 0.1], 1), (e: unknown) => e instanceof ConfigError && /sum/.test(e.message));
});

test('randomWindows: time-major windows whose targets are the next tokens', () => {
  const ids = Int32Array.from({ length: 50 }, (_, i) => i);
  const b = randomWindows(ids, 8, 3, new Rng(1));
  for (let bi = 0; bi < 3; bi++) {
    const start = b.x[bi]!;
    for (let t = 0; t < 8; t++) {
      assert.equal(b.x[t * 3 + bi], start + t);
      assert.equal(b.y[t * 3 + bi], start + t + 1);
    }
    assert.ok(start + 8 < 50);
  }
});

test('readTextFile: UTF-8 with a BOM is read; empty, non-UTF-8 and missing files name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-text-'));
  try {
    const good = join(dir, 'good.txt');
    writeFileSync(good, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo\n', 'utf8')]));
    assert.equal(readTextFile(good, 1e6), 'héllo\n');
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    assert.throws(() => readTextFile(empty, 1e6), (e: unknown) => e instanceof FormatError && /empty\.txt' is empty/.test(e.message));
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x68, 0xe9, 0x6c, 0x6c, 0x6f]));
    assert.throws(() => readTextFile(latin1, 1e6), (e: unknown) => e instanceof FormatError && /latin1\.txt' is not UTF-8: byte 0xe9 at offset 1/.test(e.message));
    assert.throws(() => readTextFile(join(dir, 'nope.txt'), 1e6), (e: unknown) => e instanceof NotFoundError);
    assert.throws(() => readTextFile(good, 3), (e: unknown) => e instanceof ConfigError && /over the limit/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('firstInvalidUtf8 agrees with a fatal TextDecoder on edge cases', () => {
  const cases: number[][] = [[0x41], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80], [0xe2, 0x82, 0xac, 0x80]];
  for (const c of cases) {
    const bytes = Uint8Array.from(c);
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      valid = false;
    }
    assert.equal(firstInvalidUtf8(bytes) < 0, valid, `bytes ${c.map((x) => x.toString(16)).join(' ')}`);
  }
});
