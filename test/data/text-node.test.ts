import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { KJV_DATA, readKjv } from '../../src/data/text-node.js';
import { CharTokenizer } from '../../src/data/text.js';

// The one check on the 4 MB corpus: Debian's bible-kjv-text decoded by bible-kjv's `bible` (.ci/run installs both).
test('kjv: the whole King James Bible, Genesis to Revelation, as UTF-8 text', { skip: existsSync(KJV_DATA) ? false : `${KJV_DATA} absent (apt-get install -y bible-kjv)` }, () => {
  const text = readKjv();
  assert.ok(text.length > 4_000_000, `${text.length} characters`);
  assert.ok(text.includes('In the beginning God created the heaven and the earth.'));
  assert.ok(text.trimEnd().endsWith('The grace of our Lord Jesus Christ be with you all. Amen.'));
  const tok = CharTokenizer.fromText(text);
  assert.ok(tok.size > 60 && tok.size < 100, `vocabulary ${tok.size}`);
});
