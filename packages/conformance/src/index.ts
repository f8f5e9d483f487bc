export { readConformanceFile, type ConformanceCase, type ConformanceFile, type TensorData } from './cases.js';
export {
  runCase,
  runSuite,
  formatResults,
  relativeError,
  DEFAULT_TOLERANCE,
  type CaseResult,
  type ConformanceBackend,
  type StepperBackend,
  type Stepper,
  type AnyConformanceBackend,
} from './runner.js';
export {
  torchCase,
  torchConformanceFile,
  torchOptions,
  torchSchedulerSpec,
  type TorchOptimizerCase,
  type TorchOptimizerFixture,
} from './torch.js';
export {
  optaxOptimizerCases,
  optaxOptimizerFixturePath,
  pytorchOptimizerCases,
  pytorchOptimizerFixturePath,
  referenceOptimizerCases,
  referenceOptimizerFixturePath,
  torchAdafactorCases,
  torchAdafactorFixturePath,
} from './fixtures.js';
export {
  ESTIMATE_PREFIX,
  ESTIMATE_TOLERANCE,
  optaxOptimizerSpec,
  referenceCase,
  referenceConformanceFile,
  type ReferenceOptimizerCase,
  type ReferenceOptimizerFixture,
} from './references.js';
export {
  crossBackendCheck,
  largestRelativeDifference,
  setupData,
  setupLosses,
  type CrossBackendResult,
  type TrainingBackendFactory,
} from './cross-backend.js';
export { checkTrainingBackend, type TrainingCheckResult } from './training-checks.js';
