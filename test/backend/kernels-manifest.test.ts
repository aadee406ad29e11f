import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { addon, skipReason } from './native/setup.js';
import { BackendError } from '../../src/errors.js';
import { ResetMode, type LifConfig } from '../../src/backend/kernels/neuron.js';
import { MAX_SURROGATE_ID, SURROGATE_COUNT, SURROGATE_PARAMS, SurrogateId, sgGrad, type SurrogateName } from '../../src/backend/kernels/surrogates.generated.js';
import {
  ADAM_ARGS_FIELDS, ADAM_ARGS_LENGTH, LIF_CFG_FIELDS, LIF_CFG_LENGTH, NATIVE_FUNCTIONS, packAdamArgs, packLifCfg, packWindow, WINDOW_FIELDS, WINDOW_LENGTH,
  type AdamArgs,
} from '../../src/backend/native/addon.generated.js';
import { WASM_FUNCTIONS } from '../../src/backend/wasm/exports.generated.js';
import { instantiateKernels } from '../../src/backend/wasm/module.js';
import { surrogateCode, surrogateFromConfig } from '../../src/neurons/surrogate.js';

/*
 * kernels/manifest.mjs and kernels/surrogates.mjs are the one declaration of
 * every kernel signature, structured configuration and surrogate formula; the
 * TypeScript, C++ and AssemblyScript glue generated from them is committed.
 * These tests check that the committed files are what the generator gives now,
 * and that the built addon and wasm module provide what the manifest declares.
 */

const root = repoRoot();

test('the generated kernel files are up to date (kernels/generate.mjs --check)', () => {
  // --check regenerates in memory, compares with the committed files, and checks kernels/wasm/index.ts against the wasm section.
  const out = execFileSync(process.execPath, [join(root, 'kernels', 'generate.mjs'), '--check'], { encoding: 'utf8' });
  assert.match(out, /up to date/);
});

test('every manifest function is in the loaded addon, and the addon exports nothing undeclared', { skip: skipReason }, () => {
  const a = addon() as unknown as Record<string, unknown>;
  for (const f of NATIVE_FUNCTIONS) assert.equal(typeof a[f], 'function', `addon lacks ${f}`);
  const declared = new Set<string>(NATIVE_FUNCTIONS);
  assert.deepEqual(Object.keys(a).filter((k) => !declared.has(k)), [], 'addon exports undeclared functions');
});

test('every manifest wasm function is exported by the kernel module', () => {
  const k = instantiateKernels() as unknown as Record<string, unknown>;
  for (const f of WASM_FUNCTIONS) assert.equal(typeof k[f], 'function', `wasm module lacks ${f}`);
  const declared = new Set<string>([...WASM_FUNCTIONS, 'memory']);
  assert.deepEqual(Object.keys(k).filter((n) => !declared.has(n)), [], 'wasm module exports undeclared names');
});

function lifConfig(): LifConfig {
  return {
    T: 3, B: 2, F: 5, resetMode: ResetMode.subtract, delayedReset: false, detachReset: true, inputLeak: false, vReset: -0.25,
    betaPerNeuron: true, thresholdPerNeuron: false, recPerNeuron: false,
    surrogate: { id: SurrogateId.triangle, p0: 1.5, p1: 0.75, smooth: false },
  };
}

test('the packers write named fields in the declared order', () => {
  const cfg = lifConfig();
  const out = packLifCfg(cfg, new Float64Array(LIF_CFG_LENGTH));
  const at = (f: (typeof LIF_CFG_FIELDS)[number]): number => out[LIF_CFG_FIELDS.indexOf(f)]!;
  assert.equal(LIF_CFG_FIELDS.length, LIF_CFG_LENGTH);
  assert.deepEqual([at('T'), at('B'), at('F'), at('resetMode')], [3, 2, 5, ResetMode.subtract]);
  assert.deepEqual([at('delayedReset'), at('detachReset'), at('inputLeak'), at('betaPerNeuron'), at('thresholdPerNeuron')], [0, 1, 0, 1, 0]);
  assert.deepEqual([at('vReset'), at('surrogate'), at('p0'), at('p1')], [-0.25, SurrogateId.triangle, 1.5, 0.75]);
  const g = { H: 1, W: 2, kh: 3, kw: 4, sh: 5, sw: 6, ph: 7, pw: 8, dh: 9, dw: 10, Ho: 11, Wo: 12 };
  const w = packWindow(g, new Float64Array(WINDOW_LENGTH));
  WINDOW_FIELDS.forEach((f, i) => assert.equal(w[i], g[f], f));
  const h: AdamArgs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, stepSize: 0.1, bc2Sqrt: 0.5, decay: 0.99, decoupled: true };
  const ha = packAdamArgs(h, new Float64Array(ADAM_ARGS_LENGTH));
  ADAM_ARGS_FIELDS.forEach((f, i) => assert.equal(ha[i], f === 'decoupled' ? 1 : h[f], f));
});

/** Asserts fn throws the addon's BackendError and that its message matches re. */
function throwsBackend(fn: () => void, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BackendError && re.test(e.message), String(re));
}

test('generated wrappers reject wrong types, short arrays and bad struct fields, naming the argument', { skip: skipReason }, () => {
  const a = addon();
  const cfg = lifConfig();
  const T = cfg.T, N = cfg.B * cfg.F;
  const packed = (): Float64Array => packLifCfg(cfg, new Float64Array(LIF_CFG_LENGTH));
  const f = (n: number): Float32Array => new Float32Array(n);
  const io = (): [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Uint8Array, Float32Array, Float32Array | null] =>
    [f(T * N), f(N), f(cfg.F), f(1), f(T * N), new Uint8Array(T * N), f(T * N), f(T * N)];
  // The correct call runs.
  a.lifForward(packed(), ...io());
  const [x, v0, beta, thr, spk, mask, h, v] = io();
  throwsBackend(() => a.lifForward(packed(), new Float64Array(T * N) as unknown as Float32Array, v0, beta, thr, spk, mask, h, v), /^native lifForward: x is a Float64Array; the native backend computes in float32 only/);
  throwsBackend(() => a.lifForward(packed(), x, f(N - 1), beta, thr, spk, mask, h, v), /^native lifForward: v0 holds 9 elements, needs 10$/);
  throwsBackend(() => a.lifForward(packed(), x, v0, f(cfg.F - 1), thr, spk, mask, h, v), /^native lifForward: beta holds 4 elements, needs 5$/);
  throwsBackend(() => a.lifForward(packed(), x, v0, beta, thr, spk, new Float32Array(T * N) as unknown as Uint8Array, h, v), /^native lifForward: mask has the wrong element type$/);
  throwsBackend(() => a.lifForward(packed(), x, v0, beta, thr, spk, mask, h, null), /^native lifForward: v is required under a same-step reset$/);
  throwsBackend(() => a.lifForward(new Float64Array(LIF_CFG_LENGTH - 1), x, v0, beta, thr, spk, mask, h, v), new RegExp(`^native lifForward: cfg holds ${LIF_CFG_LENGTH - 1} elements, needs ${LIF_CFG_LENGTH}$`));
  const fractional = packed();
  fractional[LIF_CFG_FIELDS.indexOf('B')] = 1.5;
  throwsBackend(() => a.lifForward(fractional, x, v0, beta, thr, spk, mask, h, v), /^native lifForward: cfg\.B must be a non-negative integer$/);
  const badSurrogate = packed();
  badSurrogate[LIF_CFG_FIELDS.indexOf('surrogate')] = SURROGATE_COUNT;
  throwsBackend(() => a.lifBackward(badSurrogate, x, v0, beta, thr, spk, mask, h, v, null, null, null, null, null, null), new RegExp(`^native lifBackward: unknown surrogate id ${SURROGATE_COUNT}$`));
  const badReset = packed();
  badReset[LIF_CFG_FIELDS.indexOf('resetMode')] = 4;
  throwsBackend(() => a.lifForward(badReset, x, v0, beta, thr, spk, mask, h, v), /^native lifForward: unknown reset mode 4$/);
  throwsBackend(() => a.lifBackward(packed(), x, v0, beta, thr, spk, mask, h, v, null, null, f(T * N - 1), null, null, null), /^native lifBackward: dx holds 29 elements, needs 30$/);
  // Scalars, bound lengths and a struct argument of another kernel.
  throwsBackend(() => (a.sgdStep as unknown as (...args: unknown[]) => void)(f(4), f(4), null, 'fast'), /^native sgdStep: hyper must be a typed array$/);
  throwsBackend(() => a.sgdStep(f(4), f(3), null, new Float64Array(6)), /^native sgdStep: grad holds 3 elements, needs 4$/);
  throwsBackend(() => a.add(f(4), f(3), f(4)), /^native add: b holds 3 elements, needs 4$/);
  throwsBackend(() => (a.transpose as unknown as (...args: unknown[]) => void)(2, '3', f(6), f(6)), /^native transpose: N must be a number$/);
  throwsBackend(() => a.gemm(false, false, 2, 2, 2, 1, f(4), 1, f(4), 0, 0, f(4), 0), /^native gemm: A holds 4 elements, needs 5$/);
});

test('the surrogate table: ids 0..MAX_SURROGATE_ID, and the neuron-level defaults are the table\'s', () => {
  const names = Object.keys(SurrogateId) as SurrogateName[];
  assert.equal(names.length, SURROGATE_COUNT);
  assert.equal(MAX_SURROGATE_ID, SURROGATE_COUNT - 1);
  assert.deepEqual(names.map((n) => SurrogateId[n]), [...Array(SURROGATE_COUNT).keys()]);
  assert.deepEqual(Object.keys(SURROGATE_PARAMS), names);
  for (const n of names) {
    const code = surrogateCode(surrogateFromConfig(n));
    const defaults = SURROGATE_PARAMS[n].map(([, d]) => d);
    assert.deepEqual([code.p0, code.p1], [defaults[0] ?? 0, defaults[1] ?? 0], n);
  }
  assert.throws(() => sgGrad(SURROGATE_COUNT, 1, 1, 0), /unknown surrogate id/);
});
