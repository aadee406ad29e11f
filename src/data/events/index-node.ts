/** Node-only event-data helpers: files, HDF5, datasets from local folders (and the config datasets in their published layouts), PNG, disk cache. */
export * from './io-node.js';
export * from './hdf5-node.js';
export * from './datasets-node.js';
export * from './png-node.js';
export * from './cache-node.js';
export * from './nmnist-cache-node.js';
export * from './recorded-node.js';
