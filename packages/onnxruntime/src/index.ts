export { conformanceBackend, createConformanceBackend, type OnnxruntimeConformanceBackend } from './conformance-backend.js';
export {
  onnxruntimeTrainingBackend,
  type OnnxruntimeTrainingBackend,
  type OnnxruntimeTrainingBackendOptions,
} from './training-backend.js';
export { gradientOutput } from './onnx/training-run.js';
export type { TrainingModelSource } from './onnx/session.js';
export { ParameterUpdater, type ParameterUpdaterOptions, type UpdatePath } from './update/parameter-updater.js';
export type { ParameterData } from './parameters.js';
export { buildTrainingModel, type BuildTrainingModelOptions, type TrainingModel } from './autodiff/build-training-model.js';
export { DIFFERENTIATED_OPERATORS } from './autodiff/rules.js';
export type { LossName, TargetKind } from './onnx/loss-head.js';
export { buildMlpTrainingModel, buildMlpInferenceModel, type MlpModelOptions, type MlpModel } from './onnx/mlp-model.js';
export {
  checkTrainingModel,
  inspectTrainingModel,
  type TrainingModelContract,
  type TrainingModelSignature,
  type BatchedShape,
  type ModelDimension,
  type ParameterShapes,
} from './onnx/model-contract.js';
