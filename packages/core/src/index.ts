export { StepsizeError } from './errors.js';
export type { Schedule, ScheduleSignal, ScheduleSpec } from './schedules/schedule.js';
export { isSchedule } from './schedules/schedule.js';
export { scheduleFromJSON, scheduleTypes } from './schedules/spec.js';
export { sample, type SampleOptions } from './schedules/sample.js';
export { renderChart, type ChartOptions } from './cli/chart.js';
export { constant, type ConstantOptions } from './schedules/constant.js';
export {
  stepDecay,
  multiStep,
  piecewiseConstant,
  type StepDecayOptions,
  type MultiStepOptions,
  type PiecewiseConstantOptions,
} from './schedules/stepwise.js';
export { piecewiseInterpolate, type PiecewiseInterpolateOptions } from './schedules/piecewise-interpolate.js';
export {
  exponential,
  exponentialDecay,
  type ExponentialOptions,
  type ExponentialDecayOptions,
} from './schedules/exponential.js';
export {
  linear,
  constantFactor,
  linearFactor,
  polynomial,
  type LinearOptions,
  type ConstantFactorOptions,
  type LinearFactorOptions,
  type PolynomialOptions,
} from './schedules/linear.js';
export { inverseTime, inverseSqrt, type InverseTimeOptions, type InverseSqrtOptions } from './schedules/inverse.js';
export {
  cosineAnnealing,
  cosineRestarts,
  type CosineAnnealingOptions,
  type CosineRestartsOptions,
} from './schedules/cosine.js';
export { cyclic, type CyclicOptions } from './schedules/cyclic.js';
export {
  oneCycle,
  oneCycleMomentum,
  cosineOnecycle,
  linearOnecycle,
  type OneCycleOptions,
  type OneCycleMomentumOptions,
  type OneCyclePhaseOptions,
  type CosineOnecycleOptions,
  type LinearOnecycleOptions,
} from './schedules/one-cycle.js';
export { warmupStableDecay, type WarmupStableDecayOptions } from './schedules/warmup-stable-decay.js';
export {
  warmup,
  sequence,
  product,
  scale,
  type WarmupOptions,
  type SequenceOptions,
  type ProductOptions,
  type ScaleOptions,
} from './schedules/compose.js';
export {
  lambdaFactor,
  multiplicative,
  type StepFunction,
  type LambdaFactorOptions,
  type MultiplicativeOptions,
} from './schedules/custom.js';
export {
  reduceOnPlateau,
  adaGradNorm,
  type ReduceOnPlateauOptions,
  type ReduceOnPlateauState,
  type AdaGradNormOptions,
  type AdaGradNormState,
} from './schedules/metric-driven.js';
export { scheduleJSONSchema } from './schedules/json-schema.js';
export type { Ops, MatmulDims } from './optimizers/ops.js';
export type { OptimizerMath, UpdateInput, UpdateOutput, Slots, HostState } from './optimizers/definition.js';
export {
  createOptimizer,
  evaluateHyperparameter,
  type Hyperparameter,
  type Optimizer,
  type OptimizerDefinition,
  type OptimizerSpec,
  type ParameterGroup,
  type CommonOptimizerOptions,
  type NonFinitePolicy,
  type ResolvedGroup,
  layerDecayGroups,
  type LayerDecayOptions,
} from './optimizers/optimizer.js';
export { OptimizerRunner, type RunnerOptions } from './optimizers/runner.js';
export {
  compileOptimizer,
  nonFiniteGradientError,
  isNonFiniteGradientError,
  type CompiledOptimizer,
  type StepReport,
  type StepKind,
  type StepPlan,
  type GroupPlan,
  type UpdateArgs,
  type UpdateResult,
  type ExecuteArgs,
  type InitOptions,
} from './optimizers/step.js';
export { stateToJSON, stateFromJSON, mapState, stateTensors, type OptimizerState, type OptimizerStateJSON } from './optimizers/state.js';
export type { FusedKernel, FusedKernelArgs, KernelTable } from './optimizers/kernels.js';
export { float32Ops } from './optimizers/float32-ops.js';
export { fmaFloat32 } from './optimizers/fma-float32.js';
export { float32Matmul, float32SumAxis, float32Reshape, shapeSize } from './optimizers/float32-matrix.js';
export {
  sgd,
  adam,
  adamW,
  adamax,
  nadam,
  radam,
  adagrad,
  adadelta,
  rmsprop,
  rprop,
  lion,
  lamb,
  adabelief,
  adopt,
  ademamix,
  lars,
  scheduleFreeAdamW,
  scheduleFreeSgd,
  prodigy,
  dAdaptAdamW,
  dog,
  muon,
  adafactor,
  optimizerDefinitions,
  type MuonOptions,
  type MuonHyper,
  type MuonScalar,
  type MuonSlot,
  type MuonConvention,
  type MuonRoute,
  type MuonLearningRateAdjustment,
  type NewtonSchulzPrecision,
  type AdafactorOptions,
  type AdafactorHyper,
  type AdafactorScalar,
  type AdafactorSlot,
  type SgdOptions,
  type AdamOptions,
  type AdamaxOptions,
  type NadamOptions,
  type RadamOptions,
  type AdagradOptions,
  type AdadeltaOptions,
  type RmspropOptions,
  type RpropOptions,
  type LionOptions,
  type LambOptions,
  type AdabeliefOptions,
  type AdoptOptions,
  type AdemamixOptions,
  type LarsOptions,
  type ScheduleFreeAdamWOptions,
  type ScheduleFreeSgdOptions,
  type ProdigyOptions,
  type DadaptAdamWOptions,
  type DogOptions,
  type DogInitialStep,
  type SgdScalar,
  type SgdFlags,
  type SgdSlot,
  type SgdHyper,
  type AdamScalar,
  type AdamFlags,
  type AdamSlot,
  type AdamHyper,
  type AdamaxScalar,
  type AdamaxFlags,
  type AdamaxSlot,
  type AdamaxHyper,
  type NadamScalar,
  type NadamFlags,
  type NadamSlot,
  type NadamHyper,
  type RadamScalar,
  type RadamFlags,
  type RadamSlot,
  type RadamHyper,
  type AdagradScalar,
  type AdagradFlags,
  type AdagradSlot,
  type AdagradHyper,
  type AdadeltaScalar,
  type AdadeltaFlags,
  type AdadeltaSlot,
  type AdadeltaHyper,
  type RmspropScalar,
  type RmspropFlags,
  type RmspropSlot,
  type RmspropHyper,
  type RpropScalar,
  type RpropFlags,
  type RpropSlot,
  type RpropHyper,
  type LionScalar,
  type LionFlags,
  type LionSlot,
  type LionHyper,
  type LambScalar,
  type LambFlags,
  type LambSlot,
  type LambHyper,
  type AdabeliefScalar,
  type AdabeliefFlags,
  type AdabeliefSlot,
  type AdabeliefHyper,
  type AdoptScalar,
  type AdoptFlags,
  type AdoptSlot,
  type AdoptHyper,
  type AdemamixScalar,
  type AdemamixFlags,
  type AdemamixSlot,
  type AdemamixHyper,
  type LarsScalar,
  type LarsFlags,
  type LarsSlot,
  type LarsHyper,
  type ScheduleFreeScalar,
  type ScheduleFreeFlags,
  type ScheduleFreeSlot,
  type ScheduleFreeHyper,
  type ProdigyScalar,
  type ProdigyFlags,
  type ProdigySlot,
  type ProdigyHyper,
  type DadaptAdamWScalar,
  type DadaptAdamWFlags,
  type DadaptAdamWSlot,
  type DadaptAdamWHyper,
  type DogScalar,
  type DogFlags,
  type DogSlot,
  type DogHyper,
} from './optimizers/builtin/index.js';
export { optimizerFromJSON, optimizerTypes } from './optimizers/spec.js';
export type { MlpTrainingSetup } from './training/setup.js';
export { seededRandom, seededPermutation } from './training/random.js';
export {
  initialMlpWeights,
  mlpParameterShapes,
  readMlpSpec,
  type MlpSpec,
  type MlpActivation,
  type MlpLoss,
} from './training/mlp-spec.js';
export { BatchSampler, datasetWidths, type Dataset } from './training/data.js';
export { mlpScoring, readAccuracyOption, readModelSource, type AccuracyScoring } from './training/backend-options.js';
export {
  classificationAccuracy,
  l2Norm,
  MetricFeeder,
  statefulSchedules,
  type AccuracyRule,
  type FeederState,
} from './training/metrics.js';
export {
  checkParameterValues,
  type TrainingBackend,
  type BackwardResult,
  type EvaluationResult,
  type Awaitable,
} from './training/backend.js';
export {
  CHECKPOINT_FORMAT,
  readCheckpoint,
  checkCheckpointFits,
  type Checkpoint,
  type CheckpointParameter,
  type LoopState,
} from './training/checkpoint.js';
export type { EarlyStoppingOptions, EarlyStoppingState, MonitoredMetric } from './training/early-stopping.js';
export {
  planGuardAction,
  scaleLearningRate,
  type GuardPlan,
  type TrainingGuard,
  type GuardView,
  type GuardDecision,
  type GuardSettings,
  type GuardAction,
  type GuardEvidence,
  type GuardSnapshot,
  type GuardSession,
  type GuardContext,
} from './training/guard.js';
export {
  train,
  type TrainOptions,
  type TrainResult,
  type StepRecord,
  type EvaluationRecord,
  type CheckpointOptions,
} from './training/train.js';
export { findLearningRate } from './lr-finder/find.js';
export { rangeTestChart, rangeTestLossRange } from './lr-finder/text-plot.js';
export {
  readRangeTestOptions,
  sweepOptimizer,
  type FindLearningRateOptions,
  type RangeTestOptions,
  type RangeTestPlan,
} from './lr-finder/find-options.js';
export {
  rangeTestRecorder,
  type FindLearningRateResult,
  type FindLearningRateStop,
  type RangeTestRecorder,
} from './lr-finder/range-test.js';
export { lossSmoother, sweepSpec, type SweepMode } from './lr-finder/sweep.js';
export {
  suggestLearningRates,
  suggestMinimum,
  suggestSlide,
  suggestSteep,
  suggestValley,
  type LearningRateSuggestion,
  type LearningRateSuggestions,
  type SuggestionName,
} from './lr-finder/suggestions.js';
