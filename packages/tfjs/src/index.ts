export { tfjsOps } from './ops.js';
export { tfjsConformanceBackend } from './conformance-backend.js';
export { StepsizeOptimizer, registerStepsizeOptimizer } from './optimizer.js';
export {
  learningRateScheduler,
  reduceLearningRateOnPlateau,
  setTfjsLearningRate,
  type LearningRateSchedulerOptions,
} from './callbacks.js';
export { tfjsTrainingBackend, tfjsLossTrajectory, type TfjsTrainingSetup } from './training-backend.js';
