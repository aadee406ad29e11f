import { backward } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { BackendError, ConfigError } from '../errors.js';
import type { Module } from '../module/module.js';
import { Sequential } from '../nn/containers.js';
import { sum } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LayerOrigin } from './finite.js';
import { runInStepScope } from './trainer.js';

/*
 * A backend that implements only some kernels (webgpu) must refuse a model
 * it cannot train before the run starts, naming the layer as the config
 * wrote it — a BackendError from deep inside the first batch names a kernel
 * ('webgpu backend has no convolution kernel eventConv'), not the layer.
 * So each top-level layer runs once, forward and backward, on the encoded
 * zero sample, in a step scope of its own; nothing it allocates outlives the
 * probe, and the model's state is reset afterwards (the neurons' state, the
 * gradients). The random streams of the session are not touched: the caller
 * encodes the probe input with a generator of its own.
 */
export function probeLayers(model: Module, input: Tensor, backend: Backend, origin: LayerOrigin): void {
  const layers = model instanceof Sequential ? model.layers : [model];
  const wasTraining = model.training;
  model.train();
  try {
    runInStepScope([backend], () => model.allPersistentTensors(), () => {
      let h = input;
      layers.forEach((layer, i) => {
        const x = h.detach();
        // As in training: the first layer's input needs no gradient, every later one does.
        x.requiresGrad = i > 0;
        try {
          const y = layer.forward(x);
          if (y.requiresGrad) backward(sum(y));
          h = y;
        } catch (e) {
          if (!(e instanceof BackendError)) throw e;
          const name = origin(layer) ?? `model layer ${i} (${layer.kind})`;
          throw new ConfigError(`${name} cannot train on the ${backend.name} backend: ${e.message}`);
        }
      });
    });
  } finally {
    model.resetState();
    for (const p of model.parameters()) p.grad = null;
    model.train(wasTraining);
  }
}
