export { tfjsOps } from './ops.js';
export { conformanceBackend } from './conformance-backend.js';
export { StepsizeOptimizer, registerStepsizeOptimizer } from './optimizer.js';
export {
  fitCallbacks,
  learningRateScheduler,
  reduceLearningRateOnPlateau,
  setTfjsLearningRate,
  type LearningRateSchedulerOptions,
} from './fit/callbacks.js';
export {
  tfjsTrainingBackend,
  type TfjsTrainingBackend,
  type TfjsTrainingBackendOptions,
  type TfjsGradients,
} from './training-backend.js';
export { fitGuard, FitGuardCallback, type FitGuardOptions, type FitGuardState } from './fit/fit-guard.js';
export { findLearningRateWithFit, type FindLearningRateWithFitOptions } from './fit/lr-finder.js';
