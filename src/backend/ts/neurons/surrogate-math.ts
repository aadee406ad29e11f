/*
 * The surrogate gradients g(x) (x = v − θ) and their primitives P(x): generated
 * from the surrogate table kernels/surrogates.mjs into the leaf module
 * src/backend/kernels/surrogates.generated.ts (which the wasm and native
 * formulas come from too). Re-exported here for the TypeScript kernels.
 */
export { erf, sgGrad, sgPrimitive } from '../../kernels/surrogates.generated.js';
