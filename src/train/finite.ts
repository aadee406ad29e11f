import type { Floats } from '../backend/storage.js';
import { NumericError } from '../errors.js';
import type { Module } from '../module/module.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/*
 * Non-finite checks of a model during training (docs/config.md,
 * train.check_finite_every / train.check_activations). The loss check alone
 * misses divergence: once the weights are NaN a spiking layer is silent
 * (NaN ≥ threshold is false), a spike-count loss over silent outputs stays
 * finite, and the run would end "successfully" with an all-NaN model. So the
 * parameters themselves are scanned, and the error names the layer as the
 * config wrote it (`model.layers[2] (conv2d)`), the parameter and where in
 * the run it happened.
 *
 * Where a layer was written in the config comes from a `LayerOrigin`
 * function (the builder's `layerOrigin`, passed in by the session): the
 * trainer does not import the builder, which would pull every layer type
 * into a browser bundle that trains a hand-built model.
 */

/** Where a module was written in the config (`model.layers[2] (conv2d)`), undefined when it was not. */
export type LayerOrigin = (m: Module) => string | undefined;

const noOrigin: LayerOrigin = () => undefined;

/** Index of the first NaN or ±Inf in `a`, or −1. */
export function firstNonFinite(a: Floats): number {
  // x − x is 0 for every finite x and NaN for NaN and ±Inf; a plain loop with
  // one subtraction and a well-predicted branch per element (2–3 ns per
  // element measured: small next to a training step that touched each weight
  // several times; docs/design.md).
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}

/** A description of one non-finite value: `NaN` / `Infinity` / `-Infinity` at an element of a shape. */
function describeValue(t: Tensor, i: number, values: Floats = t.storage.data): string {
  const v = values[i]!;
  return `${v} (element ${i} of ${fmtShape(t.shape)})`;
}

/**
 * Where a module path of the model was written in the config: the origin of
 * the deepest module on the path that has one (`3.body.0` → `model.layers[3]
 * (residual) > layers[0] (conv2d)` as the builder recorded it), or null.
 */
export function originOf(model: Module, path: string, layerOrigin: LayerOrigin = noOrigin): string | null {
  const modules = new Map(model.namedModules());
  const parts = path === '' ? [] : path.split('.');
  for (let n = parts.length; n >= 0; n--) {
    const m = modules.get(parts.slice(0, n).join('.'));
    const o = m ? layerOrigin(m) : undefined;
    if (o !== undefined) return o;
  }
  return null;
}

/** `parameter 'weight' of model.layers[2] (conv2d)` for the model's `2.weight` (the module path when the config did not write the layer). */
export function describeTensor(model: Module, fullName: string, kind: 'parameter' | 'buffer', layerOrigin: LayerOrigin = noOrigin): string {
  const dot = fullName.lastIndexOf('.');
  const modulePath = dot < 0 ? '' : fullName.slice(0, dot);
  const local = dot < 0 ? fullName : fullName.slice(dot + 1);
  const origin = originOf(model, modulePath, layerOrigin);
  return origin !== null ? `${kind} '${local}' of ${origin} (model ${kind} '${fullName}')` : `model ${kind} '${fullName}'`;
}

/**
 * Throw a NumericError when a parameter (and, with `buffers`, a buffer) of
 * the model holds NaN or ±Inf. `when` says where in the run, e.g. `after the
 * optimizer update of epoch 2, batch 5 (update 17)`. Parameters are checked
 * in module order, so the error names the first layer that went bad.
 */
export function checkModelFinite(model: Module, when: string, opts: { buffers?: boolean; layerOrigin?: LayerOrigin } = {}): void {
  for (const [kind, name, t] of finiteTargets(model, opts.buffers ?? false)) failIfNonFinite(model, kind, name, t, t.storage.data, when, opts.layerOrigin ?? noOrigin);
}

/**
 * checkModelFinite for a backend without synchronous reads (webgpu): each
 * tensor is read back with `await tensor.read()`, then checked the same way.
 */
export async function checkModelFiniteAsync(model: Module, when: string, opts: { buffers?: boolean; layerOrigin?: LayerOrigin } = {}): Promise<void> {
  const targets = finiteTargets(model, opts.buffers ?? false);
  // Every read is queued before the first is awaited, so the device submits once.
  const values = await Promise.all(targets.map(([, , t]) => t.read()));
  targets.forEach(([kind, name, t], i) => failIfNonFinite(model, kind, name, t, values[i]!, when, opts.layerOrigin ?? noOrigin));
}

/** The tensors a finite check scans, in module order: parameters, then (with `buffers`) buffers. */
function finiteTargets(model: Module, buffers: boolean): ['parameter' | 'buffer', string, Tensor][] {
  const out: ['parameter' | 'buffer', string, Tensor][] = model.namedParameters().map(([n, p]) => ['parameter', n, p]);
  if (buffers) for (const [n, b] of model.namedBuffers()) out.push(['buffer', n, b]);
  return out;
}

function failIfNonFinite(model: Module, kind: 'parameter' | 'buffer', name: string, t: Tensor, values: Floats, when: string, origin: LayerOrigin): void {
  const i = firstNonFinite(values);
  if (i < 0) return;
  const advice = kind === 'parameter' ? '; lower train.optimizer.lr or set train.clip_grad_norm' : '';
  throw new NumericError(`training diverged: ${describeTensor(model, name, kind, origin)} holds ${describeValue(t, i, values)} ${when}${advice}`);
}

/**
 * Check each config-written layer's output for NaN/±Inf as training runs
 * (forward hooks on the layers the builder recorded, nested ones included).
 * A nested layer's forward returns before its container's, so the first
 * layer to report is the first that produced a non-finite value. `where()`
 * says where in the run the current forward is. Returns the function that
 * removes the hooks.
 */
export function watchActivations(model: Module, where: () => string, layerOrigin: LayerOrigin = noOrigin): () => void {
  const removers: (() => void)[] = [];
  for (const [path, m] of model.namedModules()) {
    // Every config-written layer; without origins (a hand-built model), every module but the root.
    const origin = layerOrigin(m) ?? (path === '' ? undefined : `module '${path}'`);
    if (origin === undefined) continue;
    removers.push(
      m.registerForwardHook((_m, _x, y) => {
        const i = firstNonFinite(y.storage.data);
        if (i >= 0) throw new NumericError(`training diverged: the output of ${origin} holds ${describeValue(y, i)} ${where()}`);
      }),
    );
  }
  return () => {
    for (const r of removers) r();
  };
}
