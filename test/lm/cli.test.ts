import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

// The language-model commands end to end on a small inline corpus: train, generate, eval, and the bad inputs.

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const CONFIG = `task: language_model
name: tiny
seed: 3
data: { dataset: text, context: 16, batch_size: 8, splits: [0.8, 0.1, 0.1] }
model:
  layers:
    - { type: embedding, dim: 32 }
    - { type: rwkv, blocks: 1, ffn_mult: 2 }
    - { type: layernorm }
    - { type: linear, out: vocab, bias: false }
train: { steps: 80, lr: 3.0e-3, lr_final: 2.0e-3, eval_every: 40, eval_tokens: 256, log_every: 40 }
eval: { speed_tokens: 50 }
`;

test('spikeflow train / generate / eval on a text corpus given by --data-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-lm-'));
  try {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'to be or not to be, that is the question. '.repeat(40));
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const out = join(dir, 'run');
    const t = run(['train', '--config', cfg, '--data-dir', corpus, '--out', out, '--backend', 'ts']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /step 80 .* validation \d+\.\d+ bpc/);
    for (const f of ['config.yaml', 'tokenizer.json', 'model.safetensors', 'metrics.json', 'summary.json']) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).chars, [' ', ',', '.', 'a', 'b', 'e', 'h', 'i', 'n', 'o', 'q', 'r', 's', 't', 'u']);

    const g1 = run(['generate', '--run', out, '--prompt', 'to be', '--tokens', '40', '--seed', '5', '--backend', 'ts']);
    assert.equal(g1.code, 0, g1.stderr);
    assert.ok(g1.stdout.startsWith('to be') && g1.stdout.length === 'to be'.length + 40 + 1, JSON.stringify(g1.stdout));
    assert.match(g1.stderr, /40 tokens in .* tokens\/s on ts \(past the trained context of 16: the recurrent state continues\)/);
    const g2 = run(['generate', '--run', out, '--prompt', 'to be', '--tokens', '40', '--seed', '5', '--backend', 'ts']);
    assert.equal(g2.stdout, g1.stdout, 'same seed, same text');

    const e = run(['eval', out, '--backend', 'ts', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const m = JSON.parse(e.stdout);
    assert.ok(m.bpc > 0 && m.bpc < 3, `trained bpc (uniform: log2 15 = 3.9) ${m.bpc}`);
    assert.ok(Math.abs(m.perplexity - 2 ** m.bpc) < 1e-9);
    assert.equal(m.firingRates.length, 2);
    assert.ok(m.perToken.macs > 0 && m.tokensPerSecond > 0);
    // --set reaches the run's config (it was ignored for language-model runs), --split picks the held-out part.
    const few = JSON.parse(run(['eval', out, '--backend', 'ts', '--json', '--set', 'eval.test_tokens=32']).stdout);
    assert.ok(few.testTokens <= 32 && few.testTokens < m.testTokens, `eval.test_tokens=32 measured ${few.testTokens} of ${m.testTokens}`);
    const val = run(['eval', out, '--backend', 'ts', '--split', 'validation']);
    assert.equal(val.code, 0, val.stderr);
    assert.match(val.stdout, /on the validation split \(\d+ characters\)/);
    const badSet = run(['eval', out, '--backend', 'ts', '--set', 'eval.test_tokens=-3']);
    assert.equal(badSet.code, 2);
    assert.match(badSet.stderr, /config\.yaml \(with --set\)/);
    const imageOnly = run(['eval', out, '--int', '--early-exit']);
    assert.equal(imageOnly.code, 2);
    assert.match(imageOnly.stderr, /--early-exit, --int do not apply to a language-model run/);

    // Bad inputs: exit 2 with one line naming the problem.
    const bad = run(['generate', '--run', out, '--prompt', 'to bez', '--tokens', '5', '--backend', 'ts']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prompt: character "z" \(U\+007A\) at position 5 is not in the model's vocabulary/);
    const badP = run(['generate', '--run', out, '--prompt', 'to', '--top-p', '0', '--backend', 'ts']);
    assert.equal(badP.code, 2);
    assert.match(badP.stderr, /--top-p must be in \(0, 1\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spikeflow train / generate / eval with the softmax-transformer baseline (a KV cache; the window slides past max_context)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-lm-gpt-'));
  try {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'to be or not to be, that is the question. '.repeat(40));
    const cfg = join(dir, 'tiny-gpt.yaml');
    writeFileSync(cfg, CONFIG.replace('name: tiny', 'name: tiny-gpt').replace('{ type: rwkv, blocks: 1, ffn_mult: 2 }', '{ type: transformer, blocks: 1, heads: 2, ffn_mult: 2, max_context: 16 }'));
    const out = join(dir, 'run');
    const t = run(['train', '--config', cfg, '--data-dir', corpus, '--out', out, '--backend', 'ts']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /step 80 .* validation \d+\.\d+ bpc/);

    const g = run(['generate', '--run', out, '--prompt', 'to be', '--tokens', '40', '--seed', '5', '--backend', 'ts']);
    assert.equal(g.code, 0, g.stderr);
    assert.ok(g.stdout.startsWith('to be') && g.stdout.length === 'to be'.length + 40 + 1, JSON.stringify(g.stdout));
    assert.match(g.stderr, /40 tokens in .* tokens\/s on ts \(past max_context 16: the attention window slid, re-encoding the last 8 tokens each time it was full\)/);

    const e = run(['eval', out, '--backend', 'ts', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const m = JSON.parse(e.stdout);
    assert.ok(m.bpc > 0 && m.bpc < 3, `trained bpc (uniform: log2 15 = 3.9) ${m.bpc}`);
    assert.equal(m.firingRates.length, 0, 'no spiking layer');
    // Per token over a context of 16: the linear layers (4·32² + 2·64·32 + 32·15) plus the attention's mean of 8.5 keys per head (2 heads, 2·16 + 1 MACs a key) and the GELU.
    const linear = 4 * 32 * 32 + 2 * 64 * 32 + 32 * 15;
    assert.equal(m.perToken.macs, linear + 2 * 8.5 * 33 + 64 * 5);
    assert.equal(m.perToken.denseMacs, m.perToken.macs, 'nothing here is spiking: the dense count is the same');
    assert.ok(!m.uncounted.some((u: string) => /Attention|GELU/.test(u)), m.uncounted.join('; '));

    // A window longer than max_context is refused before a run folder is made.
    const long = run(['train', '--config', cfg, '--data-dir', corpus, '--out', join(dir, 'run-long'), '--backend', 'ts', '--set', 'data.context=32']);
    assert.equal(long.code, 2, long.stderr);
    assert.match(long.stderr, /model\.layers\[1\] \(transformer\): max_context 16 is shorter than the training context 32/);
    assert.ok(!existsSync(join(dir, 'run-long')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spikeflow train refuses an empty corpus, a non-UTF-8 corpus and one too short for the context, naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-lm-bad-'));
  try {
    const cfg = join(dir, 'tiny.yaml');
    writeFileSync(cfg, CONFIG);
    const cases: [string, Buffer, RegExp][] = [
      ['empty.txt', Buffer.alloc(0), /empty\.txt' is empty/],
      ['latin1.txt', Buffer.from('caf\xe9 au lait '.repeat(50), 'latin1'), /latin1\.txt' is not UTF-8: byte 0xe9 at offset 3/],
      ['short.txt', Buffer.from('abc def ghi'), /split has \d+ tokens of 11; it needs at least 17/],
    ];
    for (const [name, bytes, re] of cases) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const r = run(['train', '--config', cfg, '--data-dir', p, '--out', join(dir, 'run-' + name), '--backend', 'ts']);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, re, name);
      assert.ok(!existsSync(join(dir, 'run-' + name)), `${name}: no run folder left behind`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
