import type { Backend } from '../backend/backend.js';
import { ConfigError, ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import { isNeuron } from '../neurons/base.js';
import { Sequential } from '../nn/containers.js';
import { Conv1d, Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { BatchNorm1d, BatchNorm2d, TdBatchNorm } from '../nn/norm.js';
import { AvgPool2d, MaxPool2d, SumPool2d } from '../nn/pool.js';
import { RepeatTime } from '../nn/repeat-time.js';
import { resolveWindow, windowGeometry } from '../ops/conv.js';
import { poolGeometry } from '../ops/pool.js';
import { fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { affineStage, convStage, poolStage } from './conv.js';
import { linearStage } from './linear.js';
import type { Slot, Stage } from './stage.js';

/*
 * Turns a model into the plan's stage list, layer by layer, following the
 * per-sample shape. Views (flatten, dropout in eval, RepeatTime) add no stage:
 * the next stage reads the same slot. Anything else the plan cannot run is
 * refused here, naming the layer, before a step is taken.
 */

/** The layer kinds a plan runs, for the refusal message. */
export const SUPPORTED_LAYERS =
  'Linear, Conv1d, Conv2d, MaxPool2d, AvgPool2d, SumPool2d, BatchNorm1d/2d and TdBatchNorm with running statistics (eval mode), Flatten, Dropout (identity), RepeatTime (identity), Sequential, and neuron layers that compile a stepper (the LIF family, RLeaky, and every model with a step rule)';

export interface CompileContext {
  be: Backend;
  batch: number;
  stages: Stage[];
}

/** Rethrow a layer's own shape or config error with the layer's path in front. */
function named<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(`${where}: ${e.message}`);
    if (e instanceof ConfigError) throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }
}

function newSlot(ctx: CompileContext, n: number, binary: boolean): Slot {
  return { storage: ctx.be.alloc(n), binary };
}

/**
 * Compile `m`, reached at `path` ('model', 'model.layers[2]'), reading
 * `input`, whose per-sample shape is `shape`; returns the slot holding its
 * output and the output's shape. Messages name the layer as `path (Kind)`.
 */
export function compileLayer(ctx: CompileContext, m: Module, path: string, input: Slot, shape: Shape): { out: Slot; shape: Shape } {
  const { be, batch } = ctx;
  const where = `${path} (${m.kind})`;
  if (m instanceof Sequential) {
    let slot = input;
    let s = shape;
    m.layers.forEach((l, i) => {
      const r = compileLayer(ctx, l, `${path}.layers[${i}]`, slot, s);
      slot = r.out;
      s = r.shape;
    });
    return { out: slot, shape: s };
  }
  if (m instanceof Flatten || m instanceof Dropout) return { out: input, shape: named(where, () => m.outputShape(shape)) };
  if (m instanceof RepeatTime) return { out: input, shape };
  if (m instanceof Linear) {
    const K = m.inFeatures, N = m.outFeatures;
    if (shape.length === 0 || shape[shape.length - 1] !== K) throw new ShapeError(`${where}: input features ${fmtShape(shape)} do not end in the layer's ${K} inputs`);
    const rows = batch * sizeOf(shape.slice(0, -1));
    const out = newSlot(ctx, rows * N, false);
    ctx.stages.push(linearStage(be, where, m.effectiveWeight(), m.bias, rows, input, out));
    return { out, shape: [...shape.slice(0, -1), N] };
  }
  if (m instanceof Conv2d || m instanceof Conv1d) {
    const outShape = named(where, () => m.outputShape(shape));
    const spatial = shape.slice(1);
    const win = named(where, () => resolveWindow(m.kind, spatial, m.kernelSize, m.stride, m.padding, m.dilation));
    const g = windowGeometry(spatial, win);
    const out = newSlot(ctx, batch * sizeOf(outShape), false);
    const s = { g, N: batch, Cin: m.inChannels, Cout: m.outChannels, groups: m.groups };
    ctx.stages.push(convStage(be, where, m.kind.toLowerCase(), s, m.effectiveWeight(), m.bias, input, out));
    return { out, shape: outShape };
  }
  if (m instanceof MaxPool2d || m instanceof AvgPool2d || m instanceof SumPool2d) {
    const outShape = named(where, () => m.outputShape(shape));
    const g = named(where, () => poolGeometry(m.kind, shape.slice(1), { kernel: m.kernelSize, stride: m.stride, padding: m.padding }));
    const mode = m instanceof MaxPool2d ? 'max' : m instanceof AvgPool2d ? 'avg' : 'sum';
    const includePad = m instanceof AvgPool2d ? m.countIncludePad : true;
    const out = newSlot(ctx, batch * sizeOf(outShape), false);
    ctx.stages.push(poolStage(be, where, mode, g, batch * shape[0]!, includePad, input, out));
    return { out, shape: outShape };
  }
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof TdBatchNorm) {
    const outShape = named(where, () => m.outputShape(shape));
    const coef = m.evalAffine();
    if (!coef) throw new ConfigError(`${where}: batch norm without running statistics (track_running_stats false) normalises by each batch's own statistics over all time steps, which a step-by-step plan cannot compute`);
    const out = newSlot(ctx, batch * sizeOf(outShape), false);
    ctx.stages.push(affineStage(be, where, coef, batch, sizeOf(shape.slice(1)), input, out));
    return { out, shape: outShape };
  }
  if (isNeuron(m)) {
    if (!m.compileStepper) throw new ConfigError(`${where}: this neuron layer has no streaming stepper (${SUPPORTED_LAYERS} are supported)`);
    const stepper = named(where, () => m.compileStepper!(be, batch));
    const n = batch * sizeOf(shape);
    if (stepper.size !== n) throw new ShapeError(`${where}: input of ${fmtShape(shape)} per sample (${n} values per step at batch ${batch}) does not match the layer's ${stepper.size / batch} neurons`);
    const out = newSlot(ctx, n, stepper.binary);
    const paths = { step: 0 };
    ctx.stages.push({
      where,
      op: 'neuron',
      paths,
      run() {
        stepper.step(input.storage, out.storage);
        paths.step++;
      },
      reset: () => stepper.reset(),
      storages: () => [...stepper.storages(), out.storage],
    });
    return { out, shape };
  }
  throw new ConfigError(`${where}: ${m.kind} layers cannot be compiled into a streaming plan; supported: ${SUPPORTED_LAYERS}`);
}
