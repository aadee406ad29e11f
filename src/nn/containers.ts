import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

/** Layers applied in order; children are named by index ('0', '1', ...). */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.addChild(String(i), l));
  }

  get kind(): string {
    return 'Sequential';
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }
}

/** y = body(x) + shortcut(x) (identity shortcut when none is given). */
export class Residual extends Module {
  constructor(
    readonly body: Module,
    readonly shortcut: Module | null = null,
  ) {
    super();
    this.addChild('body', body);
    if (shortcut) this.addChild('shortcut', shortcut);
  }

  get kind(): string {
    return 'Residual';
  }

  forward(x: Tensor): Tensor {
    const y = this.body.forward(x);
    const s = this.shortcut ? this.shortcut.forward(x) : x;
    return add(y, s);
  }
}
