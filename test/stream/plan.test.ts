import test from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/backend.js';
import { withBackend } from '../../src/backend/registry.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { BatchNorm1d, BatchNorm2d, TdBatchNorm } from '../../src/nn/norm.js';
import { GlobalAvgPool } from '../../src/nn/pool.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { compileStreaming } from '../../src/stream/plan.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { float32Backends } from '../neurons/backends.js';
import { assertClose } from '../helpers.js';
import { assertIdentical, fusedForward, streamSequence } from './util.js';

/*
 * The streaming plan against the model's fused forward over the whole
 * sequence (eval mode): an MLP on spikes and two small convolutional nets
 * (direct encoding through RepeatTime; analog frames per step), on every
 * float32 backend, over two sequences with a reset between them. Every layer
 * must take the same kernel path in both (the plan decides per step what the
 * op decides per call), which the tests force with thresholds of 0 or above 1
 * where the data alone would not: then the numbers are identical, because
 * each kernel's result for one row or image does not depend on how many rows
 * or images share the call (event sums run in one order per row; the GEMMs
 * block only the inner dimension). The one exception is measured and bounded
 * below: native's dense GEMM with at most 4 rows.
 */

const { backends, skipped } = float32Backends();
if (skipped) test('streaming plan on native', (t) => t.skip(skipped));

/** A backend with its crossovers replaced (forces the event-driven or the dense paths in op and plan alike). */
function withThresholds(be: Backend, event: number | null, convEvent: number | null = event): Backend {
  return { ...be, eventDensityThreshold: event ?? be.eventDensityThreshold, convEventDensityThreshold: convEvent ?? be.convEventDensityThreshold };
}

function spikes(rng: Rng, n: number, density: number): number[] {
  return Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));
}

function analog(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => rng.uniform(lo, hi));
}

interface Case {
  name: string;
  layers: LayerConfig[];
  inputShape: number[];
  /** Direct encoding: the input is one step [1, B, ...], repeated T times inside the model. */
  direct: boolean;
  binary: boolean;
  input: (rng: Rng, n: number) => number[];
  /** Crossovers for op and plan alike (null: the backend's own). */
  event: number | null;
  convEvent?: number | null;
  /** The model ends in a linear readout (real values out: every rounding shows). */
  readout?: boolean;
  /** Seed of the weights (default 5). */
  seed?: number;
  /** Set batch-norm running statistics to these (else the initial 0 / 1). */
  bnStats?: boolean;
  /** Backends on which the plan's dense GEMM over B rows may round differently from the op's over T·B rows: compared to this relative tolerance. */
  denseTolerance?: { backends: string[]; rtol: number };
}

const T = 9, B = 2;

const MLP: LayerConfig[] = [
  { type: 'linear', out: 24 },
  { type: 'lif', beta: 0.9, threshold: 0.5 },
  { type: 'dropout', p: 0.3 },
  { type: 'linear', out: 6 },
  { type: 'lif', beta: 0.8, threshold: 0.3 },
];

const CONV: LayerConfig[] = [
  { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5, threshold: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'conv2d', out_channels: 6, kernel_size: 3 },
  { type: 'tdbn', threshold: 0.5 },
  { type: 'lifnode', tau: 2, detach_reset: true, threshold: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'flatten' },
  { type: 'dropout', p: 0.2 },
  { type: 'linear', out: 5 },
  { type: 'lif', beta: 0.9, threshold: 0.3 },
];

/** The MLP with a real-valued readout: the last layer's sums are compared, not the spikes decided on them. */
const MLP_READOUT: LayerConfig[] = [...MLP.slice(0, 4)];

const POINTWISE: LayerConfig[] = [
  { type: 'conv2d', out_channels: 3, kernel_size: 1 },
  { type: 'lif', beta: 0.7, threshold: 0.4 },
  { type: 'conv2d', out_channels: 4, kernel_size: 1 },
  { type: 'lif', beta: 0.9, threshold: 0.1 },
  { type: 'avgpool2d', kernel_size: 2 },
  { type: 'linear', out: 4 },
  { type: 'lif', beta: 0.9, threshold: 0.05 },
];

const CASES: Case[] = [
  { name: 'MLP on spikes, event-driven', layers: MLP, inputShape: [30], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.3), event: 2 },
  {
    name: 'MLP on spikes, dense GEMMs', layers: MLP, inputShape: [30], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.3), event: 0,
    // Native GEMMs of at most 4 rows take dot products (gemm_small.cc), the op's T·B rows the packed kernel: other partial sums.
    denseTolerance: { backends: ['native'], rtol: 1e-5 },
  },
  { name: 'MLP readout on spikes, event-driven', layers: MLP_READOUT, readout: true, inputShape: [30], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.3), event: 2 },
  { name: 'MLP readout on spikes, dense GEMMs', layers: MLP_READOUT, readout: true, inputShape: [30], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.3), event: 0, denseTolerance: { backends: ['native'], rtol: 1e-5 } },
  { name: 'conv net readout, direct encoding', layers: [...CONV.slice(0, -1)], readout: true, inputShape: [1, 10, 10], direct: true, binary: false, input: (r, n) => analog(r, n, 0, 1), event: 2, bnStats: true },
  { name: 'conv net readout, analog frames, im2col', layers: [...CONV.slice(0, -1)], readout: true, inputShape: [1, 10, 10], direct: false, binary: false, input: (r, n) => analog(r, n, 0, 1), event: 2, convEvent: 0, bnStats: true },
  {
    name: 'conv1d net on analog frames',
    layers: [
      { type: 'conv1d', out_channels: 5, kernel_size: 3, padding: 1 },
      { type: 'lif', beta: 0.8, threshold: 0.3 },
      { type: 'conv1d', out_channels: 4, kernel_size: 3, stride: 2 },
      { type: 'lif', beta: 0.8, threshold: 0.2 },
      { type: 'linear', out: 3 },
    ],
    readout: true, inputShape: [2, 16], direct: false, binary: false, input: (r, n) => analog(r, n, -0.2, 1), event: 2,
  },
  { name: 'MLP on analog input', layers: MLP, inputShape: [30], direct: false, binary: false, input: (r, n) => analog(r, n, -0.5, 1), event: null, denseTolerance: { backends: ['native'], rtol: 1e-5 } },
  { name: 'conv net, direct encoding, event-driven on spikes', layers: CONV, inputShape: [1, 10, 10], direct: true, binary: false, input: (r, n) => analog(r, n, 0, 1), event: 2, bnStats: true },
  { name: 'conv net, direct encoding, im2col on spikes', layers: CONV, inputShape: [1, 10, 10], direct: true, binary: false, input: (r, n) => analog(r, n, 0, 1), event: 2, convEvent: 0, bnStats: true },
  { name: 'conv net, analog frames per step', layers: CONV, inputShape: [1, 10, 10], direct: false, binary: false, input: (r, n) => analog(r, n, 0, 1), event: 2, bnStats: true },
  { name: 'conv net, 1×1 windows as GEMMs per image, average pooling', layers: POINTWISE, inputShape: [2, 8, 8], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.4), event: 0, seed: 1, denseTolerance: { backends: ['native'], rtol: 1e-5 } },
  { name: 'conv net, 1×1 windows event-driven, average pooling', layers: POINTWISE, inputShape: [2, 8, 8], direct: false, binary: true, input: (r, n) => spikes(r, n, 0.4), event: 2, seed: 1, denseTolerance: { backends: ['native'], rtol: 1e-5 } },
];

function build(c: Case, be: Backend): Sequential {
  return withBackend(be, () => {
    const { model } = buildModel(c.layers, { inputShape: c.inputShape, steps: T, timeConstantInput: c.direct, rng: new Rng(c.seed ?? 5), readout: c.readout === true });
    if (c.bnStats) {
      const rng = new Rng(9);
      for (const [, m] of model.namedModules()) {
        if (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof TdBatchNorm) {
          m.runningMean!.data.set(analog(rng, m.numFeatures, -0.3, 0.3));
          m.runningVar!.data.set(analog(rng, m.numFeatures, 0.2, 2));
          m.weight!.data.set(analog(rng, m.numFeatures, 0.5, 1.5));
          m.bias!.data.set(analog(rng, m.numFeatures, -0.2, 0.4));
        }
      }
    }
    return model;
  });
}

for (const [name, base] of backends) {
  for (const c of CASES) {
    test(`plan == fused forward (${name}): ${c.name}`, () => {
      const be = withThresholds(base, c.event, c.convEvent === undefined ? c.event : c.convEvent);
      const model = build(c, be);
      const plan = compileStreaming(model, { inputShape: c.inputShape, batch: B });
      assert.equal(plan.backend, be);
      const per = B * c.inputShape.reduce((a, b) => a * b, 1);
      const rng = new Rng(13);
      for (const seq of [0, 1]) {
        const steps = c.direct ? 1 : T;
        const values = c.input(rng, steps * per);
        const x = tensor(values, [steps, B, ...c.inputShape], { backend: be, binary: c.binary });
        const fused = fusedForward(model, x);
        // Direct encoding: the same image at every step.
        const fed = c.direct ? Array.from({ length: T }, () => values).flat() : values;
        plan.reset();
        const streamed = streamSequence(plan, be, fed, T, c.binary);
        const tol = c.denseTolerance?.backends.includes(name) ? c.denseTolerance.rtol : 0;
        if (tol === 0) assertIdentical(streamed, fused, `sequence ${seq}`);
        else if (c.readout) {
          const scale = Math.max(...fused.map(Math.abs));
          assertClose(streamed, fused, tol * scale, tol, `sequence ${seq}`);
        } else {
          // Spikes decided on membranes that differ in the last bits can flip where a membrane sits on θ; the data here keeps clear of it.
          const diff = streamed.reduce((n, v, i) => n + (v !== fused[i] ? 1 : 0), 0);
          assert.ok(diff <= Math.ceil(1e-2 * fused.length), `sequence ${seq}: ${diff} of ${fused.length} outputs differ`);
        }
        assert.ok(fused.some((v) => v !== 0), 'the network is silent: the comparison would prove nothing');
      }
      // The paths the test meant to run are the ones that ran.
      const info = plan.describe();
      for (const s of info) {
        if (s.op === 'linear' && c.binary && c.event === 2 && s.where.endsWith('[0] (Linear)')) assert.equal(s.paths['event'], 2 * T, `${s.where}: ${JSON.stringify(s.paths)}`);
        if (s.op === 'linear' && c.event === 0) assert.equal(s.paths['event'], 0, `${s.where}: ${JSON.stringify(s.paths)}`);
        if (s.op === 'conv2d' && c.convEvent === 0) assert.equal(s.paths['event'], 0, `${s.where}: ${JSON.stringify(s.paths)}`);
      }
    });
  }

  test(`plan continues a sequence across steps without reset, and leaves the model alone (${name})`, () => {
    const be = withThresholds(base, 2);
    const model = build(CASES[0]!, be);
    const plan = compileStreaming(model, { inputShape: [30], batch: B });
    const rng = new Rng(3);
    const values = spikes(rng, 2 * T * B * 30, 0.3);
    const fused = fusedForward(model, tensor(values, [2 * T, B, 30], { backend: be, binary: true }));
    const a = streamSequence(plan, be, values.slice(0, T * B * 30), T, true);
    const b = streamSequence(plan, be, values.slice(T * B * 30), T, true);
    assertIdentical([...a, ...b], fused, 'two halves');
    assert.equal(plan.steps, 2 * T);
    // The same output tensor every step, overwritten in place.
    const x = tensor(values.slice(0, B * 30), [B, 30], { backend: be, binary: true });
    const y1 = plan.step(x), y2 = plan.step(x);
    assert.equal(y1, y2);
    // The model's own state was never touched: its forward still starts fresh.
    assertIdentical(fusedForward(model, tensor(values, [2 * T, B, 30], { backend: be, binary: true })), fused, 'model after streaming');
  });

  test(`plan of a quantized model equals its forward (${name})`, () => {
    const be = withThresholds(base, 2);
    const model = build(CASES[0]!, be);
    withBackend(be, () => {
      for (const m of model.layers) if (m instanceof Linear) m.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false });
    });
    const plan = compileStreaming(model, { inputShape: [30], batch: B });
    const values = spikes(new Rng(4), T * B * 30, 0.3);
    assertIdentical(streamSequence(plan, be, values, T, true), fusedForward(model, tensor(values, [T, B, 30], { backend: be, binary: true })), 'quantized');
  });
}

test('a step allocates nothing (wasm heap) and the plan lists what it owns', () => {
  const found = backends.find(([n]) => n === 'wasm');
  if (!found) return;
  const be = found[1] as WasmBackend;
  const c = CASES.find((k) => k.name.startsWith('conv net, direct encoding, im2col'))!;
  const model = build(c, be);
  const plan = compileStreaming(model, { inputShape: c.inputShape, batch: B });
  const x = tensor(analog(new Rng(6), B * 100, 0, 1), [B, 1, 10, 10], { backend: be });
  plan.step(x); // the first im2col step allocates its scratch
  const before = be.heapStats();
  for (let i = 0; i < 3 * T; i++) {
    if (i % T === 0) plan.reset();
    plan.step(x);
  }
  const after = be.heapStats();
  assert.equal(after.inUse, before.inUse, 'bytes in use');
  assert.equal(after.grows, before.grows, 'memory growths');
  // Inside a step scope that keeps them, the plan's storages survive the scope's end.
  be.beginScope();
  plan.step(x);
  be.endScope(plan.storages());
  assert.doesNotThrow(() => plan.step(x));
});

test('a step on another backend is copied in', () => {
  if (backends.length < 2) return;
  const [, a] = backends[0]!, [, b] = backends[1]!;
  const model = build(CASES[0]!, a);
  const plan = compileStreaming(model, { inputShape: [30], batch: 1, backend: b });
  assert.equal(plan.backend, b);
  const same = compileStreaming(model, { inputShape: [30], batch: 1 });
  const x = tensor(spikes(new Rng(1), 30, 0.5), [1, 30], { backend: a, binary: true });
  for (let t = 0; t < 4; t++) assertIdentical(plan.step(x).toArray(), same.step(x).toArray(), `step ${t}`);
});

test('unsupported layers are refused, naming the layer', () => {
  const rng = new Rng(1);
  const build1 = (layers: LayerConfig[], inputShape: number[]): Sequential => buildModel(layers, { inputShape, steps: 4, timeConstantInput: false, rng }).model;
  assert.throws(
    () => compileStreaming(build1([{ type: 'linear', out: 8 }, { type: 'residual', layers: [{ type: 'linear', out: 8 }, { type: 'lif' }] }, { type: 'lif' }], [5]), { inputShape: [5] }),
    (e: unknown) => e instanceof ConfigError && /^model\.layers\[1\] \(Residual\): Residual layers cannot be compiled into a streaming plan; supported: Linear/.test(e.message),
  );
  assert.throws(
    () => compileStreaming(build1([{ type: 'delay_linear', out: 4, max_delay: 3 }, { type: 'lif' }], [5]), { inputShape: [5] }),
    (e: unknown) => e instanceof ConfigError && /model\.layers\[0\] \(DelayedLinear\)/.test(e.message),
  );
  assert.throws(
    () => compileStreaming(new Sequential([new GlobalAvgPool(), new LIF(3)]), { inputShape: [3, 4] }),
    (e: unknown) => e instanceof ConfigError && /model\.layers\[0\] \(GlobalAvgPool\)/.test(e.message),
  );
  const noStats = new Sequential([new BatchNorm1d(4, { trackRunningStats: false }), new LIF(4)]);
  assert.throws(() => compileStreaming(noStats, { inputShape: [4] }), (e: unknown) => e instanceof ConfigError && /model\.layers\[0\] \(BatchNorm1d\): batch norm without running statistics/.test(e.message));
  // A nested list names the path through it.
  const nested = new Sequential([new Linear(4, 3, rng), new Sequential([new LIF(3), new GlobalAvgPool()])]);
  assert.throws(() => compileStreaming(nested, { inputShape: [4] }), (e: unknown) => e instanceof ConfigError && /model\.layers\[1\]\.layers\[1\] \(GlobalAvgPool\)/.test(e.message));
});

test('bad shapes and options are refused with the shapes named', () => {
  const rng = new Rng(2);
  const model = new Sequential([new Linear(6, 4, rng), new LIF(4)]);
  assert.throws(() => compileStreaming(model, { inputShape: [5] }), (e: unknown) => e instanceof ShapeError && /model\.layers\[0\] \(Linear\): input features \[5\] do not end in the layer's 6 inputs/.test(e.message));
  assert.throws(() => compileStreaming(new Sequential([new Linear(6, 4, rng), new LIF(5)]), { inputShape: [6] }), (e: unknown) => e instanceof ShapeError && /model\.layers\[1\] \(LIF\)/.test(e.message));
  assert.throws(() => compileStreaming(model, { inputShape: [6], batch: 0 }), (e: unknown) => e instanceof ConfigError && /batch must be a positive integer, got 0/.test(e.message));
  assert.throws(() => compileStreaming(model, { inputShape: [] }), (e: unknown) => e instanceof ShapeError && /inputShape/.test(e.message));
  const plan = compileStreaming(model, { inputShape: [6], batch: 2 });
  assert.deepEqual(plan.outputShape, [4]);
  assert.throws(() => plan.step(tensor(new Array(6).fill(0), [1, 6])), (e: unknown) => e instanceof ShapeError && /input \[1, 6\] does not match \[batch, \.\.\.inputShape\] = \[2, 6\]/.test(e.message));
});

test('a plan of views only still owns its output', () => {
  const model = new Sequential([buildModel([{ type: 'flatten' }], { inputShape: [2, 3], steps: 2, timeConstantInput: false, rng: new Rng(1), readout: true }).model]);
  const plan = compileStreaming(model, { inputShape: [2, 3] });
  const x = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]);
  const y = plan.step(x);
  assert.deepEqual(y.shape, [1, 6]);
  assert.notEqual(y.storage, x.storage);
  assert.deepEqual(y.toArray(), [1, 2, 3, 4, 5, 6]);
});
