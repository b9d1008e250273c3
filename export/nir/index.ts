/**
 * NIR (neuromorphs/NIR, HDF5): export, a strict schema check mirroring the reference reader,
 * import into the model format, and inspect. See mapping.ts for how neuron constants are mapped.
 */
export { exportNir, type NirExportOptions } from './writer.js';
export { importNir, importNirTree, NirImportError, type NirImportOptions } from './import.js';
export {
  assertNir,
  checkNir,
  checkNirTree,
  formatProblem,
  NIR_NODE_TYPES,
  NirSchemaError,
  type NirProblem,
} from './schema.js';
export { inspectNir, inspectNirTree } from './inspect.js';
export { readH5, writeH5, type H5Dataset, type H5Entry, type H5Group, type H5Source, type H5Tree } from './hdf5.js';
export { HINTS_KEY, NIR_DT, NIR_VERSION, type AutoSNNHints } from './mapping.js';
