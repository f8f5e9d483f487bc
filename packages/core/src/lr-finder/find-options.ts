import type { Optimizer, OptimizerSpec } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { TrainingBackend } from '../training/backend.js';
import { type Dataset, datasetWidths } from '../training/data.js';
import { type SweepMode, sweepSpec } from './sweep.js';

/** Options of {@link findLearningRate}. */
export interface FindLearningRateOptions {
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
  /** Seed of the batches' shuffles. Default 0. */
  readonly seed?: number | undefined;
  /** Stops the test after the current batch (the result says `'aborted'`; the backend is restored). */
  readonly signal?: AbortSignal | undefined;
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
function optimizerSpec(input: unknown): Record<string, unknown> {
  const path = `${where}.optimizer`;
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

/** Checks every option (errors name `findLearningRate options.<option>` and the bad value) and builds the sweep's optimizer. */
export function readFindOptions(options: FindLearningRateOptions): FindLearningRatePlan {
  if (!isPlainObject(options)) fail(where, 'must be an options object', options);
  const { backend, data, signal, batchSize, seed = 0, smoothing = 0.98, divergence = 5, mode = 'exponential' } = options;
  const { minLearningRate: min = 1e-7, maxLearningRate: max = 10, steps = 100 } = options;
  if (typeof backend?.readParameters !== 'function') fail(`${where}.backend`, 'must be a training backend', backend);
  datasetWidths(data, `${where}.data`, backend.exampleWidths);
  const check = (ok: boolean, name: string, problem: string, value: unknown): void => {
    if (!ok) fail(`${where}.${name}`, problem, value);
  };
  check(
    Number.isSafeInteger(batchSize) && batchSize >= 1 && batchSize <= data.examples,
    'batchSize',
    `must be an integer from 1 to ${data.examples}`,
    batchSize,
  );
  check(Number.isSafeInteger(seed), 'seed', 'must be an integer', seed);
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
  const optimizer = optimizerFromJSON({ ...optimizerSpec(options.optimizer), learningRate: sweepSpec(min, max, steps, mode) });
  return { training: { backend, data, batchSize, steps, seed, optimizer, signal }, smoothing, divergence };
}
