import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { parseConfigText } from '../../src/config/load-node.js';
import { buildSession } from '../../src/config/session.js';
import { makeDataset } from '../../src/data/dataset.js';
import { saveWeights } from '../../src/interop/weights-node.js';

/*
 * Distillation through the CLI: a small teacher trained on the embedded
 * MNIST, a student distilled from its run folder (summary and metrics name
 * the teacher and the loss's parts), resume bit-exact and refused when the
 * teacher's weights changed, and the errors that stop a run before its
 * folder exists: a missing teacher, a teacher with other classes, a bad
 * feature path.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const layers = (hidden: number, classes = 10): string => `
model:
  layers:
    - { type: linear, out: ${hidden} }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: ${classes} }
    - { type: lif, beta: 0.9 }`;

const data = 'data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 96, test_limit: 64 }\nencoder: { type: direct, steps: 3 }';
const teacherYaml = (classes = 10): string => `name: teacher\nseed: 1\n${data}\n${layers(24, classes)}\ntrain:\n  epochs: 1\n  loss: { type: ce_count }\n  optimizer: { type: adam, lr: 0.005 }\n`;
// Module paths of these nets: 0 Flatten, 1 Linear, 2 RepeatTime (direct encoding), 3 LIF, 4 Linear, 5 LIF.
const studentYaml = (teacher: string): string =>
  `name: student\nseed: 2\n${data}\n${layers(24)}\ntrain:\n  epochs: 2\n  loss: { type: ce_rate }\n  optimizer: { type: adam, lr: 0.005 }\n  distill:\n    teacher: ${JSON.stringify(teacher)}\n    alpha: 0.7\n    temperature: 3\n    features:\n      - { student: 3, teacher: 3, weight: 0.5 }\n`;

interface Summary {
  accuracy: number;
  distill?: { teacher: string; teacher_sha256: string; teacher_test_accuracy: number; temperature: number; alpha: number; features: { student: string; teacher: string; weight: number }[]; teacher_forward_s: number };
}
const summaryOf = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

test('distillation through the CLI: teacher run → distilled student; resume is bit-exact and checks the teacher; bad teachers stop before the run folder', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-distill-'));
  try {
    const teacher = join(tmp, 'teacher');
    writeFileSync(join(tmp, 'teacher.yaml'), teacherYaml());
    const rt = run(['train', '-q', '--config', join(tmp, 'teacher.yaml'), '--out', teacher]);
    assert.equal(rt.code, 0, rt.stderr);

    const cfg = join(tmp, 'student.yaml');
    writeFileSync(cfg, studentYaml(teacher));
    const a = join(tmp, 'a');
    const ra = run(['train', '--config', cfg, '--out', a]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.match(ra.stderr, /distilling from .*teacher: teacher test accuracy \d+\.\d+%/);
    const s = summaryOf(a);
    const d = s.distill!;
    assert.equal(d.teacher, teacher);
    assert.match(d.teacher_sha256, /^[0-9a-f]{64}$/);
    // The teacher scored on the student's test split with the same (direct) encoding: its own run's figure.
    assert.equal(d.teacher_test_accuracy, summaryOf(teacher).accuracy);
    assert.deepEqual([d.temperature, d.alpha, d.features], [3, 0.7, [{ student: '3', teacher: '3', weight: 0.5 }]]);
    assert.ok(d.teacher_forward_s > 0);
    assert.match(readFileSync(join(a, 'report.md'), 'utf8'), /Distilled from \|/);
    const lines = readFileSync(join(a, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { distill: { task_loss: number; kd_loss: number; feature_losses: number[]; teacher_s: number } });
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.ok(l.distill.task_loss > 0 && l.distill.kd_loss > 0 && l.distill.teacher_s > 0, JSON.stringify(l.distill));
      assert.equal(l.distill.feature_losses.length, 1);
    }
    assert.ok(existsSync(join(a, 'model.safetensors')));

    // Resume: one epoch, then the second from its checkpoint, equals two straight, byte for byte.
    const b = join(tmp, 'b'), c = join(tmp, 'c');
    const rb = run(['train', '-q', '--config', cfg, '--out', b, '--set', 'train.epochs=1']);
    assert.equal(rb.code, 0, rb.stderr);
    const rc = run(['train', '-q', '--config', cfg, '--out', c, '--resume', join(b, 'checkpoint.safetensors')]);
    assert.equal(rc.code, 0, rc.stderr);
    assert.ok(readFileSync(join(c, 'model.safetensors')).equals(readFileSync(join(a, 'model.safetensors'))), 'resumed weights equal the straight run');

    // A teacher whose weights changed since the checkpoint: refused.
    const changed = join(tmp, 'teacher-changed');
    cpSync(teacher, changed, { recursive: true });
    const w = readFileSync(join(changed, 'model.safetensors'));
    w[w.length - 2] ^= 0x10; // a bit of the last tensor's data
    writeFileSync(join(changed, 'model.safetensors'), w);
    const rcx = run(['train', '-q', '--config', cfg, '--out', join(tmp, 'cx'), '--resume', join(b, 'checkpoint.safetensors'), '--set', `train.distill.teacher=${JSON.stringify(changed)}`]);
    assert.equal(rcx.code, 2, rcx.stderr);
    assert.match(rcx.stderr, /--resume: .* was trained with teacher weights sha256 [0-9a-f]{12}…/);

    // Errors before the run folder exists.
    const fails = (sets: string[], re: RegExp): void => {
      const out = join(tmp, 'bad');
      const r = run(['train', '-q', '--config', cfg, '--out', out, ...sets.flatMap((x) => ['--set', x])]);
      assert.equal(r.code, 2, `${sets.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(existsSync(out), false, `${sets.join(' ')}: no run folder left behind`);
    };
    fails([`train.distill.teacher=${JSON.stringify(join(tmp, 'nope'))}`], /train\.distill\.teacher: run folder not found: .*nope/);
    fails([`train.distill.teacher=${JSON.stringify(tmp)}`], /train\.distill\.teacher: .* has no config\.yaml/);
    fails(['train.distill.features=[{student: 9, teacher: 3}]'], /train\.distill\.features\[0\]\.student: no module '9' in the student \(its modules: .*5 \(LIF\)\)/);
    fails(['train.distill.features=[{student: 1, teacher: 3}]'], /features\[0\]: student '1' outputs \[1, 1, 24\] but teacher '3' outputs \[3, 1, 24\]/);

    // A teacher run with 5 classes (its folder made here: no 5-class dataset of MNIST's shape ships).
    const five = join(tmp, 'five');
    mkdirSync(five);
    writeFileSync(join(five, 'config.yaml'), teacherYaml(5));
    const cfg5 = parseConfigText(teacherYaml(5), 'five');
    const split = makeDataset({ name: 'five', images: new Float32Array(4 * 784), labels: new Uint8Array(4), shape: [1, 28, 28], numClasses: 5 });
    saveWeights(join(five, 'model.safetensors'), buildSession(cfg5, { data: { train: split, test: split }, backend: 'ts' }).model);
    fails([`train.distill.teacher=${JSON.stringify(five)}`], /train\.distill\.teacher: the teacher scores 5 classes, the student's data has 10/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
