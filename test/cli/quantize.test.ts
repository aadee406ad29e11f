// Quantization end to end through the CLI on the embedded MNIST digits: a
// quantization-aware run writes model.int.safetensors, whose integers eval
// reads back to the run's own accuracy; `spikeflow quantize` turns a float run
// into a quantized run folder that eval reproduces as well.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/interop/safetensors.js';

const bin = join(repoRoot(), 'bin', 'spikeflow.js');

const config = (quantize: string): string => `
name: quant-cli
seed: 5
data: { dataset: mnist, batch_size: 64, train_limit: 768, test_limit: 300 }
encoder: { type: direct, steps: 4 }
model:
  layers:
    - { type: conv2d, out_channels: 6, kernel_size: 5 }
    - { type: maxpool2d, kernel_size: 2 }
    - { type: lif, beta: 0.9, surrogate: { name: fastSigmoid, slope: 25 } }
    - { type: linear, out: 32 }
    - { type: lif, beta: 0.9, surrogate: { name: fastSigmoid, slope: 25 } }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9, surrogate: { name: fastSigmoid, slope: 25 } }
${quantize}
train: { epochs: 1, loss: { type: ce_count }, optimizer: { type: adam, lr: 0.003 } }
`;

function cli(cwd: string): (args: string[], status?: number) => { stdout: string; stderr: string } {
  return (args, status = 0) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
    assert.equal(r.status, status, `spikeflow ${args.join(' ')}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
  };
}

test('train with model.quantize {bits: 4}: model.int.safetensors, size and energy in the summary, eval of the integers reproduces the accuracy', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-qat-'));
  writeFileSync(join(tmp, 'cfg.yaml'), config('  quantize: { bits: 4, first_last_bits: 8 }'));
  const sf = cli(tmp);
  sf(['train', '-q', '--config', 'cfg.yaml', '--out', 'run']);
  const run = join(tmp, 'run');
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  assert.ok(summary.accuracy > 0.25, `the quantized network learns (${summary.accuracy}; chance is 0.1)`);
  assert.deepEqual(summary.quantization, {
    bits: 4,
    method: 'lsq',
    per_channel: true,
    layers: [{ path: '0', bits: 8 }, { path: '5', bits: 4 }, { path: '7', bits: 8 }],
    int_weights: 'model.int.safetensors',
  });
  // 150 conv weights at 8 bits, 32·864 at 4, 320 at 8; everything else (biases, steps, neuron settings) at 32.
  const q = 150 * 8 + 32 * 864 * 4 + 320 * 8;
  assert.equal(summary.model_size.quantized_values, 150 + 32 * 864 + 320);
  assert.equal(summary.model_size.bytes, (q + (summary.model_size.values - summary.model_size.quantized_values) * 32) / 8);
  assert.ok(summary.model_size.compression > 6, `${summary.model_size.compression}`);
  assert.ok(summary.energy.quantized, 'a quantized energy row');
  assert.ok(summary.energy.quantized.snn_compute_pj < summary.energy.fp32.snn_compute_pj);
  const report = readFileSync(join(run, 'report.md'), 'utf8');
  assert.match(report, /\| Model size \| .* \(int4\/int8 weights in 3 layers, lsq; float32: .*× smaller\) \|/);
  assert.match(report, /### Quantized model/);

  const file = decodeSafetensors(readFileSync(join(run, 'model.int.safetensors')), 'model.int.safetensors');
  assert.equal(file.metadata['format'], 'spikeflow.model.int');
  assert.deepEqual(['0.weight', '5.weight', '7.weight'].map((n) => file.tensors.get(n)!.dtype), ['I8', 'U8', 'I8']);
  assert.deepEqual(file.tensors.get('5.weight')!.shape, [(32 * 864) / 2]);
  assert.equal(file.tensors.get('5.weight_step')!.dtype, 'F32');
  assert.ok(file.metadata['config']?.includes('quantize'), 'the int file carries the run config');

  const acc = (args: string[]): number => JSON.parse(sf(['eval', ...args, '--json']).stdout).accuracy;
  assert.equal(acc(['--run', 'run']), summary.accuracy, 'model.safetensors (float weights + steps)');
  assert.equal(acc(['--run', 'run', '--int']), summary.accuracy, 'model.int.safetensors through --run --int');
  assert.equal(acc(['--weights', 'run/model.int.safetensors']), summary.accuracy, 'the int file on its own (embedded config)');

  // A corrupt integer file: the error names the file and the tensor, exit 2.
  const bits3 = JSON.parse(file.metadata['quantization']!);
  bits3.tensors['5.weight'].bits = 3; // the 4-bit levels 4..7 are outside −4..3
  writeFileSync(join(tmp, 'bad.int.safetensors'), encodeSafetensors(file.tensors, { ...file.metadata, quantization: JSON.stringify(bits3) }));
  const bad = sf(['eval', '--weights', 'bad.int.safetensors', '--config', 'run/config.yaml'], 2);
  assert.match(bad.stderr, /bad\.int\.safetensors: tensor '5\.weight': level -?\d at index \d+ lies outside the 3-bit range -4\.\.3/);
});

test('spikeflow quantize (PTQ) of a float run: accuracy before and after, a run folder eval reproduces; refusals leave nothing behind', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-ptq-'));
  writeFileSync(join(tmp, 'cfg.yaml'), config(''));
  const sf = cli(tmp);
  sf(['train', '-q', '--config', 'cfg.yaml', '--out', 'run']);
  const floatAcc = JSON.parse(readFileSync(join(tmp, 'run', 'summary.json'), 'utf8')).accuracy;
  assert.equal(existsSync(join(tmp, 'run', 'model.int.safetensors')), false, 'a float run has no integer file');
  const out = JSON.parse(sf(['quantize', 'run', '--bits', '4', '--method', 'mse', '--calibration', '128', '--no-skip-last', '--json', '-q']).stdout);
  assert.equal(out.float.accuracy, floatAcc, 'the float score is the run\'s own');
  assert.deepEqual(out.layers, [{ path: '5', bits: 4 }, { path: '7', bits: 4 }]);
  assert.equal(out.calibration_samples, 128);
  assert.ok(out.quantized.accuracy > floatAcc - 0.1, `4-bit PTQ stays close: ${out.quantized.accuracy} vs ${floatAcc}`);
  assert.ok(out.quantized.model_size.bytes < out.float.model_size.bytes / 5);
  const dir = join('run', 'quantized-mse-int4');
  assert.deepEqual(readdirSync(join(tmp, dir)).sort(), ['config.yaml', 'model.int.safetensors', 'model.safetensors', 'summary.json']);
  const acc = (args: string[]): number => JSON.parse(sf(['eval', ...args, '--json']).stdout).accuracy;
  assert.equal(acc(['--run', dir]), out.quantized.accuracy);
  assert.equal(acc(['--run', dir, '--int']), out.quantized.accuracy);
  const pct = JSON.parse(sf(['quantize', 'run', '--bits', '3', '--method', 'percentile', '--percentile', '99', '--no-skip-last', '--json', '-q']).stdout);
  assert.equal(pct.quantization.percentile, 99);
  assert.equal(acc(['--run', join('run', 'quantized-percentile-int3')]), pct.quantized.accuracy);

  // Quantization-aware training may start from the float weights: the steps are initialised from them (LSQ's rule).
  writeFileSync(join(tmp, 'qat.yaml'), config('  quantize: { bits: 4, skip_last: false }'));
  sf(['train', '-q', '--config', 'qat.yaml', '--weights', 'run/model.safetensors', '--set', 'train.epochs=0', '--out', 'qat']);
  const qat = JSON.parse(readFileSync(join(tmp, 'qat', 'summary.json'), 'utf8'));
  assert.deepEqual(qat.quantization.layers, [{ path: '5', bits: 4 }, { path: '7', bits: 4 }]);
  assert.ok(qat.accuracy > floatAcc - 0.15, `LSQ's initial steps on the trained weights: ${qat.accuracy} vs float ${floatAcc}`);

  // Refusals: exit 2, one line naming what, nothing written.
  const before = readdirSync(join(tmp, 'run')).sort();
  assert.match(sf(['quantize', 'run', '--bits', '4', '--method', 'mse', '--no-skip-last'], 2).stderr, /output folder already exists/);
  assert.match(sf(['quantize', 'run', '--bits', '4', '--method', 'lsq', '-o', 'x'], 2).stderr, /'lsq' is quantization-aware training/);
  assert.match(sf(['quantize', 'run', '--bits', '4', '--exclude', '9', '-o', 'x'], 2).stderr, /model\.quantize\.exclude: '9' is no weighted layer/);
  assert.match(sf(['quantize', join('run', 'quantized-mse-int4'), '--bits', '4', '-o', 'x'], 2).stderr, /is already quantized/);
  assert.match(sf(['train', '-q', '--config', join(dir, 'config.yaml'), '--out', 'again'], 2).stderr, /model\.quantize\.method: 'mse' is post-training quantization/);
  assert.deepEqual(readdirSync(join(tmp, 'run')).sort(), before);
  assert.equal(existsSync(join(tmp, 'x')) || existsSync(join(tmp, 'again')), false);
});
