/*
 * The NIR reader and writer's h5wasm glue: the shared, browser-safe helpers of
 * io/hdf5.ts (in-memory files, link refusal, size budget, trap handling).
 */
export { Dataset, Group, buildH5Bytes, h5Message, h5Module, withH5Bytes, type H5File } from '../../io/hdf5.js';
