import { ConfigError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Scale all gradients together so their global L2 norm is at most `maxNorm`
 * (PyTorch `clip_grad_norm_`: factor maxNorm / (norm + 1e-6), applied only when
 * it is below 1). Returns the norm before clipping. A non-finite norm is
 * returned as is and the gradients are left untouched, so the caller can
 * report the divergence instead of training on zeros or NaNs.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new ConfigError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const grads: Tensor[] = [];
  let sq = 0;
  for (const p of params) {
    if (!p.grad) continue;
    grads.push(p.grad);
    sq += p.backend.sumSquares(p.grad.storage);
  }
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) return norm;
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) g.backend.affine(g.storage, coef, 0, g.storage);
  return norm;
}

/** Clamp every gradient element into [−clipValue, clipValue] (PyTorch `clip_grad_value_`). */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ConfigError(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  for (const p of params) if (p.grad) p.backend.clamp(p.grad.storage, -clipValue, clipValue);
}
