import type { Optimizer, OptimizerSpec } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { ScheduleSpec } from '../schedules/schedule.js';
import type { TrainingBackend } from '../training/backend.js';
import { type Dataset, datasetWidths } from '../training/data.js';
import { type SweepMode, sweepSpec } from './sweep.js';

/**
 * The options every learning-rate range test takes, whatever runs it (core's
 * {@link findLearningRate}, or an adapter's, as `@stepsize/tfjs`'s over `model.fit`):
 * the sweep, its smoothing and its stop rule. Checked by {@link readRangeTestOptions}.
 */
export interface RangeTestOptions {
  /** First learning rate (> 0). Default 1e-7 (fastai's `start_lr`). */
  readonly minLearningRate?: number | undefined;
  /** Last learning rate (> `minLearningRate`). Default 10 (fastai's `end_lr`, torch-lr-finder's `end_lr`). */
  readonly maxLearningRate?: number | undefined;
  /** Optimizer updates of the sweep, an integer >= 2 (it may stop earlier). Default 100 (fastai's `num_it`, torch-lr-finder's `num_iter`). */
  readonly steps?: number | undefined;
  /** Spacing of the rates. Default `'exponential'`. */
  readonly mode?: SweepMode | undefined;
  /** β of the bias-corrected moving average of the loss, in [0, 1). Default 0.98 (fastai's `AvgSmoothLoss`). */
  readonly smoothing?: number | undefined;
  /** Stop once the smoothed loss exceeds this multiple of the best smoothed loss so far (> 1; Infinity never stops). Default 5 (torch-lr-finder's `diverge_th`). */
  readonly divergence?: number | undefined;
  /** Stops the test after the current batch (the result says `'aborted'`; everything is restored). */
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link findLearningRate}. */
export interface FindLearningRateOptions extends RangeTestOptions {
  /** Your model on any stack: `engineTrainingBackend`, `tfjsTrainingBackend`, `onnxruntimeTrainingBackend` or your own. */
  readonly backend: TrainingBackend;
  /** Training examples (the test draws seeded shuffled batches from them, as `train()` does). */
  readonly data: Dataset;
  /** Examples per batch. */
  readonly batchSize: number;
  /**
   * The optimizer to test (a stepsize optimizer or its JSON spec). Its `learningRate` is
   * replaced by the sweep (a spec may leave it out; a constructor that requires one takes
   * any value); every other option is kept (momentum, betas, weight decay,
   * clipping, accumulation, the non-finite policy, groups). A group's `learningRateScale`
   * multiplies the sweep as it multiplies the learning rate in training; a group with a
   * `learningRate` of its own is refused, as one sweep cannot stand for two rates.
   */
  readonly optimizer: Optimizer | OptimizerSpec;
  /** Seed of the batches' shuffles. Default 0. */
  readonly seed?: number | undefined;
}

/**
 * {@link RangeTestOptions} checked, with their defaults, and the sweep they describe.
 *
 * @example
 * ```ts
 * const plan = readRangeTestOptions({ steps: 5, minLearningRate: 1e-4, maxLearningRate: 1 }, 'myRangeTest options');
 * plan.sweep; // sweepSpec(1e-4, 1, 5, 'exponential')
 * ```
 */
export interface RangeTestPlan {
  readonly minLearningRate: number;
  readonly maxLearningRate: number;
  readonly steps: number;
  readonly mode: SweepMode;
  readonly smoothing: number;
  readonly divergence: number;
  readonly signal: AbortSignal | undefined;
  /** The learning rate of every update as a schedule spec (`sweepSpec`). */
  readonly sweep: ScheduleSpec;
}

/** The checked options, with their defaults: what `train()` gets, and the test's own. */
export interface FindLearningRatePlan {
  /** `train()`'s options (but `onStep`); the optimizer is the given one with the sweep as its learning rate. */
  readonly training: {
    readonly backend: TrainingBackend;
    readonly data: Dataset;
    readonly batchSize: number;
    readonly steps: number;
    readonly seed: number;
    readonly optimizer: Optimizer;
    readonly signal: AbortSignal | undefined;
  };
  readonly smoothing: number;
  readonly divergence: number;
}

export const where = 'findLearningRate options';

/** The optimizer's JSON spec (an optimizer's `toJSON()`), refusing groups with a learning rate of their own. */
function optimizerSpec(input: unknown, path: string): Record<string, unknown> {
  // An optimizer without a JSON form (a custom function) throws here, naming the function's option.
  const spec: unknown = typeof (input as Optimizer | undefined)?.toJSON === 'function' ? (input as Optimizer).toJSON() : input;
  if (!isPlainObject(spec)) fail(path, 'must be a stepsize optimizer or its JSON spec', input);
  const groups = Array.isArray(spec.groups) ? (spec.groups as unknown[]) : [];
  groups.forEach((group, i) => {
    if (isPlainObject(group) && Object.hasOwn(group, 'learningRate')) {
      fail(`${path}.groups[${i}].learningRate`, 'cannot be swept: give the group a learningRateScale instead', group.learningRate);
    }
  });
  return spec;
}

/**
 * Checks the options every range test shares (errors name `<where>.<option>` and the bad
 * value, as `findLearningRate options.steps must be an integer >= 2, got 1`) and fills in
 * the defaults: 1e-7 to 10 over 100 steps, exponential, smoothing 0.98 (fastai),
 * divergence 5 (torch-lr-finder). `options` must be an object (the caller checks).
 *
 * @example
 * ```ts
 * readRangeTestOptions({ steps: 1 }, 'myRangeTest options'); // throws: myRangeTest options.steps must be an integer >= 2, got 1
 * ```
 */
export function readRangeTestOptions(options: RangeTestOptions, where: string): RangeTestPlan {
  const { signal, smoothing = 0.98, divergence = 5, mode = 'exponential' } = options;
  const { minLearningRate: min = 1e-7, maxLearningRate: max = 10, steps = 100 } = options;
  const check = (ok: boolean, name: string, problem: string, value: unknown): void => {
    if (!ok) fail(`${where}.${name}`, problem, value);
  };
  check(typeof min === 'number' && min > 0 && min < Infinity, 'minLearningRate', 'must be a finite number > 0', min);
  check(
    typeof max === 'number' && max > min && max < Infinity,
    'maxLearningRate',
    `must be a finite number > minLearningRate (${min})`,
    max,
  );
  check(Number.isSafeInteger(steps) && steps >= 2, 'steps', 'must be an integer >= 2', steps);
  check(mode === 'exponential' || mode === 'linear', 'mode', "must be 'exponential' or 'linear'", mode);
  check(typeof smoothing === 'number' && smoothing >= 0 && smoothing < 1, 'smoothing', 'must be a number in [0, 1)', smoothing);
  check(typeof divergence === 'number' && divergence > 1, 'divergence', 'must be a number > 1', divergence);
  check(signal === undefined || typeof signal?.aborted === 'boolean', 'signal', 'must be an AbortSignal', signal);
  const sweep = sweepSpec(min, max, steps, mode);
  return { minLearningRate: min, maxLearningRate: max, steps, mode, smoothing, divergence, signal, sweep };
}

/**
 * The optimizer of a range test: `optimizer` (a stepsize optimizer or its JSON spec) with
 * `sweep` as its learning rate, every other option kept; a group with a `learningRate` of
 * its own is refused (error at `<path>.groups[<i>].learningRate`), as one sweep cannot
 * stand for two rates, and so is an optimizer without a JSON form.
 *
 * @example
 * ```ts
 * sweepOptimizer(adamW({ weightDecay: 0.01 }), sweepSpec(1e-7, 10, 100, 'exponential'), 'myRangeTest options.optimizer');
 * ```
 */
export function sweepOptimizer(optimizer: Optimizer | OptimizerSpec, sweep: ScheduleSpec, path: string): Optimizer {
  return optimizerFromJSON({ ...optimizerSpec(optimizer, path), learningRate: sweep });
}

/** Checks every option (errors name `findLearningRate options.<option>` and the bad value) and builds the sweep's optimizer. */
export function readFindOptions(options: FindLearningRateOptions): FindLearningRatePlan {
  if (!isPlainObject(options)) fail(where, 'must be an options object', options);
  const { backend, data, batchSize, seed = 0 } = options;
  if (typeof backend?.readParameters !== 'function') fail(`${where}.backend`, 'must be a training backend', backend);
  datasetWidths(data, `${where}.data`, backend.exampleWidths);
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1 && batchSize <= data.examples)) {
    fail(`${where}.batchSize`, `must be an integer from 1 to ${data.examples}`, batchSize);
  }
  if (!Number.isSafeInteger(seed)) fail(`${where}.seed`, 'must be an integer', seed);
  const { steps, signal, smoothing, divergence, sweep } = readRangeTestOptions(options, where);
  const optimizer = sweepOptimizer(options.optimizer, sweep, `${where}.optimizer`);
  return { training: { backend, data, batchSize, steps, seed, optimizer, signal }, smoothing, divergence };
}
