export { conformanceBackend, createConformanceBackend, type OnnxruntimeConformanceBackend } from './conformance-backend.js';
export {
  onnxruntimeTrainingBackend,
  gradientOutput,
  type OnnxruntimeTrainingBackend,
  type OnnxruntimeTrainingBackendOptions,
  type TrainingModelSource,
} from './training-backend.js';
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
