import {
  type FindLearningRateResult,
  type FindLearningRateStop,
  type RangeTestOptions,
  rangeTestRecorder,
  readRangeTestOptions,
  scheduleFromJSON,
  StepsizeError,
  sweepOptimizer,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { Callback, type LayersModel, type Logs } from '@tensorflow/tfjs-layers';
import { setTfjsLearningRate } from './callbacks.js';
import { loggedNumber } from '../tfjs/logs.js';
import { StepsizeOptimizer } from '../optimizer.js';

const where = 'findLearningRateWithFit options';
/** A received value in an error message, as core shows it (strings quoted). */
const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));
const modelPath = 'findLearningRateWithFit model';

/** Options of {@link findLearningRateWithFit}: `model.fit`'s batching, and core's range-test options. */
export interface FindLearningRateWithFitOptions extends RangeTestOptions {
  /** Examples per batch, an integer >= 1 (`model.fit`'s `batchSize`; the last batch of an epoch may be smaller, as in `fit`). Default 32 (`model.fit`'s). */
  readonly batchSize?: number | undefined;
  /**
   * Shuffle the examples before each epoch (`model.fit`'s `shuffle`). tfjs shuffles with
   * `Math.random`, unseeded: pass `false` for a test that repeats exactly. Default true (`model.fit`'s).
   */
  readonly shuffle?: boolean | undefined;
}

/** tfjs's own optimizers, which the test copies through their `getConfig` / `fromConfig` (a subclass could not be copied that way). */
const TFJS_OPTIMIZERS = [
  tf.SGDOptimizer,
  tf.MomentumOptimizer,
  tf.AdamOptimizer,
  tf.AdamaxOptimizer,
  tf.AdagradOptimizer,
  tf.AdadeltaOptimizer,
  tf.RMSPropOptimizer,
] as const;

/** What a compiled `LayersModel` holds that the test reads (a Sequential keeps its compiled state in an inner model). */
interface Fitted {
  isTraining?: boolean;
  isOptimizerOwned?: boolean | undefined;
  loss?: unknown;
  model?: Fitted | null;
}

/** A fresh optimizer of the same class and configuration as one of tfjs's own, or a StepsizeError. */
function copyOfTfjsOptimizer(optimizer: tf.Optimizer, minLearningRate: number): tf.Optimizer {
  const name = typeof optimizer.getClassName === 'function' ? optimizer.getClassName() : String(optimizer);
  const refuse = (why: string): never => {
    throw new StepsizeError(
      `${modelPath}.optimizer`,
      `is a ${name}, ${why}: compile the model with a StepsizeOptimizer or one of tf.train's optimizers (sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop)`,
      optimizer,
    );
  };
  const cls = TFJS_OPTIMIZERS.find((candidate) => optimizer.constructor === candidate);
  if (cls === undefined) return refuse("which the test cannot copy (not one of tfjs's own optimizers)");
  const config = optimizer.getConfig();
  const copy = cls.fromConfig(cls as unknown as tf.serialization.SerializableConstructor<tf.Optimizer>, config);
  if (JSON.stringify(copy.getConfig()) !== JSON.stringify(config)) {
    copy.dispose();
    return refuse('whose copy from getConfig() differs from it');
  }
  try {
    setTfjsLearningRate(copy, minLearningRate);
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy;
}

/** Swaps the model's optimizer for the test's; the returned function puts the compiled one back, with tfjs's ownership flags. */
function installOptimizer(model: LayersModel, optimizer: tf.Optimizer): () => void {
  const original = model.optimizer;
  // model.optimizer's setter marks the new optimizer as not the model's own, so that
  // model.dispose() would leave the compiled one (made by compile('adam')) undisposed: keep the flags.
  const holders = [model as unknown as Fitted, (model as unknown as Fitted).model].filter((m): m is Fitted => m != null);
  const owned = holders.map((holder) => holder.isOptimizerOwned);
  model.optimizer = optimizer;
  return () => {
    model.optimizer = original;
    holders.forEach((holder, i) => {
      holder.isOptimizerOwned = owned[i];
    });
  };
}

/** Examples in `x` (and `y`): the first dimension, the same in every tensor. */
function exampleCount(x: unknown, y: unknown): number {
  const tensors = (value: unknown, name: string): tf.Tensor[] => {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || !list.every((t) => t instanceof tf.Tensor && t.rank >= 1 && !t.isDisposed)) {
      throw new StepsizeError(
        `findLearningRateWithFit ${name}`,
        'must be a tf.Tensor or an array of them (as model.fit takes), not disposed',
        value,
      );
    }
    return list as tf.Tensor[];
  };
  const all = [...tensors(x, 'x'), ...tensors(y, 'y')];
  const examples = (all[0] as tf.Tensor).shape[0] as number;
  const other = all.find((t) => t.shape[0] !== examples);
  if (other !== undefined || examples < 1) {
    throw new StepsizeError(
      'findLearningRateWithFit x, y',
      `must hold the same number (>= 1) of examples along their first dimension, got ${all.map((t) => t.shape[0]).join(', ')}`,
      all.map((t) => t.shape[0]),
    );
  }
  return examples;
}

/**
 * The learning-rate range test (Smith 2017, "Cyclical learning rates", §3.3; as fastai's
 * `lr_find` and torch-lr-finder's `range_test`) for a model you train with `model.fit`:
 * core's `findLearningRate`, driven by `model.fit(x, y, { batchSize, shuffle, epochs, callbacks })`
 * instead of `train()`. The model must be compiled (`model.compile({ optimizer, loss })`); the
 * test runs a fresh copy of its optimizer (its state starts empty, as in `findLearningRate`),
 * whose learning rate at update `t` is the sweep's, `min · (max/min)^(t/(n−1))` or
 * `min + (max − min) · t/(n−1)` (core's `sweepSpec`):
 *
 * - a {@link StepsizeOptimizer}: the same stepsize optimizer with the sweep as its
 *   `learningRate` (core's `sweepOptimizer`: every other option kept, groups scale the
 *   sweep by their `learningRateScale`, a group with its own `learningRate` is refused),
 *   so the schedule lives in the optimizer as in training (the way `learningRateScheduler`
 *   treats it). Accumulation counts as in `train()`: an update's loss is the mean of its
 *   micro-batches'; a batch skipped under `nonFinite: 'skip'` is not recorded (a whole
 *   epoch of them in a row throws, as `train()`); a gradient refused under
 *   `nonFinite: 'throw'` ends the test as `'notFinite'`.
 * - tfjs's own optimizers (`tf.train.sgd`, `momentum`, `adam`, `adamax`, `adagrad`,
 *   `adadelta`, `rmsprop`, or the name given to `compile`): a copy from their
 *   `getConfig()`, whose rate is set before each batch by {@link setTfjsLearningRate}
 *   (as `learningRateScheduler` sets it).
 *
 * Each update's loss is `model.fit`'s batch loss (the compiled loss plus the layers'
 * regularizer penalties, before the update). Smoothing, the stop rule and the suggestions
 * are core's (`rangeTestRecorder`): the loss is smoothed by the bias-corrected moving average
 * (β = `smoothing`), the test stops (`model.stopTraining = true`) after the update whose
 * smoothed loss exceeds `divergence` × the best smoothed loss so far (torch-lr-finder's rule)
 * or is not finite, after `steps` updates, or after the batch during which `signal` aborted;
 * fastai's suggestions (`valley` the default) are made on the curve trimmed as `lr_find` trims it.
 *
 * Afterwards the model is as it was, also when `fit` throws: every weight (trainable or
 * not) is written back from a copy taken before, bit for bit; the compiled optimizer is put
 * back as `model.optimizer`, never having run, so its state (`getWeights()`) and learning
 * rate are unchanged; the test's copy is disposed, and the tensor count is what it was
 * (`tf.memory().numTensors`; tfjs itself leaks a few tensors when an error escapes `fit`).
 * Every option is checked before anything changes (errors name
 * `findLearningRateWithFit options.<option>` and the bad value).
 *
 * Defaults: rates 1e-7 to 10 over 100 updates, exponential, smoothing 0.98 (fastai),
 * divergence 5 (torch-lr-finder), batch size 32 and shuffling (`model.fit`'s).
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new StepsizeOptimizer(adamW({ weightDecay: 0.01 })), loss: 'categoricalCrossentropy' });
 * const result = await findLearningRateWithFit(model, xs, ys, { batchSize: 16 });
 * result.suggestion?.learningRate; // fastai's valley
 * ```
 */
export async function findLearningRateWithFit(
  model: LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  options: FindLearningRateWithFitOptions = {},
): Promise<FindLearningRateResult> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StepsizeError(where, 'must be an options object (or left out)', options);
  }
  if (typeof model?.fit !== 'function' || typeof model.getWeights !== 'function') {
    throw new StepsizeError(modelPath, 'must be a tf.LayersModel (tf.sequential or tf.model)', model);
  }
  const fitted = model as unknown as Fitted;
  const compiled = model.optimizer;
  if (compiled == null || (fitted.loss ?? fitted.model?.loss) == null) {
    throw new StepsizeError(
      modelPath,
      `must be compiled: call model.compile({ optimizer, loss }) first, got the uncompiled model "${model.name}"`,
      model,
    );
  }
  if (fitted.isTraining === true || fitted.model?.isTraining === true) {
    throw new StepsizeError(modelPath, `is training: another model.fit() call on "${model.name}" is running`, model);
  }
  const examples = exampleCount(x, y);
  const { batchSize = 32, shuffle = true } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    throw new StepsizeError(`${where}.batchSize`, `must be an integer >= 1, got ${shown(batchSize)}`, batchSize);
  }
  if (typeof shuffle !== 'boolean') throw new StepsizeError(`${where}.shuffle`, `must be a boolean, got ${shown(shuffle)}`, shuffle);
  const plan = readRangeTestOptions(options, where);
  const { steps, signal } = plan;
  const stepsize = StepsizeOptimizer.is(compiled) ? compiled.optimizer : undefined;
  // A refused gradient changes nothing under 'skip' as under 'throw', and never throws through model.fit
  // (tfjs leaks tensors when an error escapes fit): the test's copy skips, and a skip under 'throw' ends it.
  const optimizer =
    stepsize === undefined
      ? copyOfTfjsOptimizer(compiled, plan.minLearningRate)
      : new StepsizeOptimizer(
          sweepOptimizer(
            { ...stepsize.toJSON(), nonFinite: stepsize.nonFinite === 'throw' ? 'skip' : stepsize.nonFinite },
            plan.sweep,
            `${modelPath}.optimizer`,
          ),
        );

  const batchesPerEpoch = Math.ceil(examples / batchSize);
  const batches = steps * (stepsize?.accumulationSteps ?? 1);
  // Skipped batches need more of them than the updates: fit then runs until the test stops it.
  const epochs = stepsize?.nonFinite === 'skip' ? Number.MAX_SAFE_INTEGER : Math.ceil(batches / batchesPerEpoch);
  const sweep = scheduleFromJSON(plan.sweep);
  const curve = rangeTestRecorder(plan);
  let stopReason: FindLearningRateStop | undefined;
  let failure: StepsizeError | undefined;
  let updates = 0;
  let learningRate = plan.minLearningRate;
  let cycle = { loss: 0, batches: 0 };
  let skips = 0;

  class RangeTest extends Callback {
    private stop(reason: FindLearningRateStop | undefined): void {
      stopReason = reason;
      model.stopTraining = true;
    }

    override async onBatchBegin(): Promise<void> {
      if (stepsize === undefined) {
        learningRate = sweep(updates);
        setTfjsLearningRate(optimizer, learningRate);
      }
    }

    override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
      const reason = this.record(await loggedNumber(logs, 'loss'));
      if (reason !== undefined || failure !== undefined || updates >= steps) this.stop(reason);
      else if (signal?.aborted) this.stop('aborted'); // train() checks its signal before each batch
    }

    /** Records the batch (an update, or a micro-batch of one); returns why the test ends, if it does. */
    private record(batchLoss: number): FindLearningRateStop | undefined {
      let loss = batchLoss;
      if (StepsizeOptimizer.is(optimizer)) {
        const report = optimizer.lastReport;
        if (report?.outcome === 'skipped') {
          if (stepsize?.nonFinite === 'throw') return 'notFinite';
          skips += 1;
          if (skips >= batchesPerEpoch) {
            failure = new StepsizeError(
              'findLearningRateWithFit',
              `skipped ${skips} batches in a row (non-finite gradients under nonFinite: 'skip'): the model has diverged or the data holds NaN`,
              skips,
            );
          }
          return undefined;
        }
        skips = 0;
        cycle = { loss: cycle.loss + loss, batches: cycle.batches + 1 };
        if (report?.outcome !== 'updated') return undefined;
        // train()'s StepRecord.loss: the mean over the update's micro-batches.
        loss = cycle.loss / cycle.batches;
        cycle = { loss: 0, batches: 0 };
        // The default group (last, learningRateScale 1) runs at the sweep's rate itself.
        learningRate = report.learningRates?.at(-1) ?? Number.NaN;
      }
      updates += 1;
      return curve.record(learningRate, loss);
    }
  }

  const snapshot = model.getWeights().map((weight) => tf.clone(weight));
  const restore = installOptimizer(model, optimizer);
  try {
    if (signal?.aborted) stopReason = 'aborted';
    else await model.fit(x, y, { batchSize, epochs, shuffle, verbose: 0, callbacks: [new RangeTest()] });
  } finally {
    model.setWeights(snapshot);
    tf.dispose(snapshot);
    restore();
    optimizer.dispose();
  }
  if (failure !== undefined) throw failure;
  return curve.result(stopReason);
}
