/*
 * The reference numerics that kernels outside this folder build on: the
 * scalar surrogate formulas (one definition for every TypeScript kernel) and
 * the plain GEMM the recurrent LIF scan uses per step. The backend
 * implementations in ts/, wasm/ and native/ stay private to backend/.
 */
export { sgGrad, sgPrimitive } from './ts/neurons/surrogate-math.js';
export { gemm, transposeInto } from './ts/gemm.js';
