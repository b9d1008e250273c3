/** The ONNX format: exporter, verification against the engine, and inspector. */
export {
  exportOnnx,
  readOnnxMetadata,
  BATCH_DIM,
  METADATA_KEYS,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type OnnxOptions,
  type OnnxGraphKind,
  type OnnxInputInfo,
  type OnnxMetadata,
  type OnnxNeuronInfo,
  type OnnxReadoutInfo,
} from './writer.js';
export { verifyOnnx, type OnnxVerifyOptions, type OnnxVerifyReport, type OnnxSpikeMismatch } from './verify.js';
export { inspectOnnx } from './inspect.js';
