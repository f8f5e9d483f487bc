export { GraphBuilder, OPSET, IR_VERSION, type Dimension, type ElementType, type AttributeValue } from './onnx/graph.js';
export { OpsTracer, type Traced } from './update/trace-ops.js';
export { ParameterUpdater, type ParameterUpdaterOptions, type ParameterData, type UpdatePath } from './update/parameter-updater.js';
export { onnxConformanceBackend, conformanceBackend } from './conformance-backend.js';
export {
  OnnxTrainingSession,
  gradientOutput,
  type OnnxTrainingSessionOptions,
  type TrainingModelSource,
  type Batch,
  type ForwardBackward,
} from './training-session.js';
export {
  trainOnnx,
  evaluateOnnx,
  onnxCheckpoint,
  type OnnxTrainOptions,
  type OnnxTrainResult,
  type OnnxCheckpoint,
  type AccuracyRule,
} from './train.js';
export { buildMlpTrainingModel, buildMlpInferenceModel, type MlpModelOptions, type MlpModel } from './onnx/mlp-model.js';
export { onnxTrainingBackend, onnxLossTrajectory } from './training-backend.js';
export {
  checkTrainingModel,
  inspectTrainingModel,
  type TrainingModelContract,
  type TrainingModelSignature,
  type BatchedShape,
  type ModelDimension,
  type ParameterShapes,
} from './model-contract.js';
