/*
 * The raw functions of the compiled addon. Their signatures, the function list
 * the loader checks and the packers of the structured arguments are generated
 * from kernels/manifest.mjs (addon.generated.ts; the C++ wrappers that check
 * the arguments come from the same declaration). Kept free of Node imports so
 * the backend object can be built anywhere the addon object is available.
 */
export { NATIVE_FUNCTIONS, type NativeAddon, type NativeIsa } from './addon.generated.js';
