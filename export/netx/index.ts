/** Lava-dl netx (Loihi 2 through Lava): export, reading, inspection and the quantisation error. */
export { exportNetx } from './writer.js';
export { readNetx } from './reader.js';
export type { NetxAutosnnMetadata, NetxLayer, NetxNetwork, NetxNeuron, NetxTensor } from './reader.js';
export { inspectNetx, summarizeNetx } from './inspect.js';
export { planNetx, thresholdMantissa } from './plan.js';
export type { NetxExportOptions, NetxPlan, PlanLayer, PlanNeuron, PlanSynapseLayer } from './plan.js';
export { NetxSimulator, NetxSimulationError, PlanFloatSimulator, quantizeFrame } from './simulate.js';
export type { NetxSimulation } from './simulate.js';
export { netxQuantizationReport } from './report.js';
export type { NetxLayerAgreement, NetxQuantizationReport } from './report.js';
