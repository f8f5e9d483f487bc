export { conformanceBackend, createConformanceBackend, type OnnxruntimeConformanceBackend } from './conformance-backend.js';
export { onnxruntimeTrainingBackend, type OnnxruntimeTrainingBackend, type OnnxruntimeTrainingBackendOptions } from './training-backend.js';
export {
  OnnxTrainingSession,
  gradientOutput,
  type OnnxTrainingSessionOptions,
  type TrainingModelSource,
  type Batch,
  type ForwardBackward,
} from './training-session.js';
export { ParameterUpdater, type ParameterUpdaterOptions, type ParameterData, type UpdatePath } from './update/parameter-updater.js';
export { buildMlpTrainingModel, buildMlpInferenceModel, type MlpModelOptions, type MlpModel } from './onnx/mlp-model.js';
export {
  checkTrainingModel,
  inspectTrainingModel,
  type TrainingModelContract,
  type TrainingModelSignature,
  type BatchedShape,
  type ModelDimension,
  type ParameterShapes,
} from './model-contract.js';
