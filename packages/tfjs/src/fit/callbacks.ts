import { StepsizeError, reduceOnPlateau, type ReduceOnPlateauOptions, type Schedule, statefulSchedules } from '@stepsize/core';
import type * as tf from '@tensorflow/tfjs-core';
import { Callback, CustomCallback, type CustomCallbackArgs, type Logs } from '@tensorflow/tfjs-layers';
import { loggedNumber } from '../tfjs/logs.js';
import { StepsizeOptimizer } from '../optimizer.js';

/**
 * Sets the learning rate of one of tfjs's own optimizers. `tf.train.sgd` and
 * `tf.train.momentum` cache their rate as a tensor and only change through
 * `setLearningRate`; Adam, Adagrad, Adadelta, Adamax and RMSProp read their
 * `learningRate` field at every step (and have no setter).
 *
 * @example
 * ```ts
 * setTfjsLearningRate(tf.train.sgd(0.1), 0.05);
 * ```
 */
export function setTfjsLearningRate(optimizer: tf.Optimizer, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new StepsizeError('setTfjsLearningRate(value)', `must be a finite number >= 0, got ${String(value)}`, value);
  }
  const target = optimizer as unknown as { setLearningRate?: (v: number) => void; learningRate?: unknown };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(value);
  else if (typeof target.learningRate === 'number') target.learningRate = value;
  else
    throw new StepsizeError(
      'setTfjsLearningRate(optimizer)',
      `is a ${optimizer.getClassName()}, which has no learning rate stepsize knows how to set`,
      optimizer,
    );
}

/** Options of {@link learningRateScheduler}. */
export interface LearningRateSchedulerOptions {
  /**
   * The schedule for a tfjs built-in optimizer (required then). For a
   * {@link StepsizeOptimizer} leave it out: its own schedules apply, and this
   * callback feeds their metric and records the rate.
   */
  readonly schedule?: Schedule;
  /** Step the schedule per `'batch'` (default) or per `'epoch'`. */
  readonly per?: 'batch' | 'epoch';
  /** The logged metric fed to metric-driven schedules at the end of each epoch, e.g. `'val_loss'`. */
  readonly monitor?: string;
}

async function readMetric(logs: Logs | undefined, monitor: string, epoch: number): Promise<number> {
  const value = await loggedNumber(logs, monitor);
  if (!Number.isFinite(value)) {
    const known = Object.keys(logs ?? {}).join(', ') || 'none';
    throw new StepsizeError(
      `learningRateScheduler: monitor "${monitor}"`,
      `has no finite value at the end of epoch ${epoch} (logged: ${known}); pass validationData or validationSplit for val_* metrics`,
      value,
    );
  }
  return value;
}

/** The error when tfjs wrapped a stepsize callback as a plain one (it then never gets the model). */
function wrappedError(caller: string): StepsizeError {
  return new StepsizeError(
    caller,
    'was given to model.fit after a plain-object callback: tfjs then treats every callback in the list as a plain object, and this one cannot reach the model; put tf.Callback objects first or pass callbacks: fitCallbacks(...) (which accepts any mix)',
    undefined,
  );
}

class LearningRateScheduler extends Callback {
  private readonly caller: string;
  private readonly schedule: Schedule | undefined;
  private readonly per: 'batch' | 'epoch';
  private readonly monitor: string | undefined;
  private batches = 0;
  private epochs = 0;
  private current = Number.NaN;

  constructor(options: LearningRateSchedulerOptions, caller = 'learningRateScheduler') {
    super();
    this.caller = caller;
    if (typeof options !== 'object' || options === null)
      throw new StepsizeError(`${caller} options`, 'must be an options object (or {})', options);
    this.schedule = options.schedule;
    this.per = options.per ?? 'batch';
    this.monitor = options.monitor;
    if (this.per !== 'batch' && this.per !== 'epoch') {
      throw new StepsizeError('learningRateScheduler options.per', `must be "batch" or "epoch", got ${JSON.stringify(this.per)}`, this.per);
    }
  }

  private get optimizer(): tf.Optimizer {
    const optimizer = (this.model as unknown as { optimizer?: tf.Optimizer } | undefined)?.optimizer;
    if (!optimizer) throw new StepsizeError(this.caller, 'needs a compiled model (model.compile({ optimizer }))', undefined);
    return optimizer;
  }

  private schedules(): Schedule[] {
    const optimizer = this.optimizer;
    // Core's list, the one train() feeds: every group's stateful schedules and the EMA decay's.
    if (StepsizeOptimizer.is(optimizer)) return statefulSchedules(optimizer.optimizer);
    return this.schedule?.stateful ? [this.schedule] : [];
  }

  override async onTrainBegin(): Promise<void> {
    // tfjs calls this hook with another `this` when it wrapped the callback as a plain-object one.
    if (!(this instanceof LearningRateScheduler)) throw wrappedError('a stepsize model.fit callback (learningRateScheduler)');
    const optimizer = this.optimizer;
    const stepsize = StepsizeOptimizer.is(optimizer);
    if (!stepsize && this.schedule === undefined) {
      throw new StepsizeError(
        `${this.caller} options.schedule`,
        `is required for tfjs's own ${optimizer.getClassName()} optimizer`,
        undefined,
      );
    }
    if (stepsize && this.caller === 'reduceLearningRateOnPlateau') {
      throw new StepsizeError(
        'reduceLearningRateOnPlateau',
        "drives tfjs's own optimizers; for a StepsizeOptimizer put reduceOnPlateau in its learningRate (it composes: warmup({ steps, schedule: reduceOnPlateau(...) })) and pass learningRateScheduler({ monitor: 'val_loss' })",
        undefined,
      );
    }
    if (stepsize && this.schedule !== undefined) {
      throw new StepsizeError(
        `${this.caller} options.schedule`,
        "must be left out for a StepsizeOptimizer: give the schedule to the optimizer's learningRate",
        this.schedule,
      );
    }
    if (stepsize && this.per === 'epoch') {
      const { samples, batchSize, steps } = (this.params ?? {}) as { samples?: number; batchSize?: number; steps?: number };
      const perEpoch = steps ?? (samples && batchSize ? Math.ceil(samples / batchSize) : undefined);
      throw new StepsizeError(
        `${this.caller} options.per`,
        `cannot be 'epoch' for a StepsizeOptimizer: its schedules count updates (batches), so write their steps in updates${perEpoch ? ` (${perEpoch} per epoch here)` : ''} and leave per out`,
        this.per,
      );
    }
  }

  private apply(step: number): void {
    const optimizer = this.optimizer;
    if (StepsizeOptimizer.is(optimizer)) {
      this.current = optimizer.learningRate;
      return;
    }
    this.current = (this.schedule as Schedule)(step);
    setTfjsLearningRate(optimizer, this.current);
  }

  override async onEpochBegin(): Promise<void> {
    if (this.per === 'epoch') this.apply(this.epochs);
  }

  override async onBatchBegin(): Promise<void> {
    if (this.per === 'batch') this.apply(this.batches);
  }

  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    this.batches += 1;
    if (logs) logs.lr = this.current;
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if (logs) logs.lr = this.current; // recorded by model.fit's History (it runs after user callbacks)
    this.epochs += 1;
    if (this.monitor === undefined) return;
    const schedules = this.schedules();
    if (schedules.length === 0) return;
    const metric = await readMetric(logs, this.monitor, epoch);
    const step = this.per === 'batch' ? this.batches : this.epochs;
    for (const schedule of schedules) schedule.observe({ step, metric });
  }
}

/**
 * A `model.fit` callback that drives the learning rate from a stepsize
 * schedule, per batch or per epoch, and records it as `lr` in the training
 * history. For tfjs's built-in optimizers it sets their rate (see
 * {@link setTfjsLearningRate}); for a {@link StepsizeOptimizer} its own
 * schedules apply. With `monitor`, metric-driven schedules (reduce-on-plateau)
 * observe that logged metric at the end of each epoch.
 *
 * @example
 * ```ts
 * await model.fit(xs, ys, { epochs: 20, callbacks: [learningRateScheduler({ schedule: cosineAnnealing({ initialValue: 0.1, steps: 20 }), per: 'epoch' })] });
 * ```
 */
export function learningRateScheduler(options: LearningRateSchedulerOptions): Callback {
  return new LearningRateScheduler(options);
}

/**
 * Reduce-on-plateau for `model.fit` (Keras `ReduceLROnPlateau`, PyTorch
 * semantics via core's {@link reduceOnPlateau}) on any monitored metric, e.g.
 * `val_loss`, for tfjs's built-in optimizers. For a {@link StepsizeOptimizer},
 * put `reduceOnPlateau` in its learning rate (it composes with warmup and
 * cosine) and use {@link learningRateScheduler} with `monitor`.
 *
 * @example
 * ```ts
 * callbacks: [reduceLearningRateOnPlateau({ initialValue: 0.01, monitor: 'val_loss', patience: 3, factor: 0.5 })]
 * ```
 */
export function reduceLearningRateOnPlateau(options: ReduceOnPlateauOptions & { readonly monitor: string }): Callback {
  const { monitor, ...plateau } = options;
  return new LearningRateScheduler({ schedule: reduceOnPlateau(plateau), per: 'epoch', monitor }, 'reduceLearningRateOnPlateau');
}

/**
 * A `model.fit` callback list from any mix of `tf.Callback`s (stepsize's, tfjs's
 * `tf.callbacks.earlyStopping`) and plain-object callbacks (`{ onEpochEnd }`,
 * tfjs-vis's): the plain ones are wrapped as tfjs wraps them. tfjs itself treats
 * a whole list by its first element (a plain object first wraps every
 * `tf.Callback` as if it were plain, which breaks them; a `tf.Callback` first
 * leaves plain objects unwrapped, which crashes in `setParams`).
 *
 * @example
 * ```ts
 * await model.fit(xs, ys, { epochs: 5, callbacks: fitCallbacks(learningRateScheduler({}), { onEpochEnd: (epoch, logs) => console.log(epoch, logs?.lr) }) });
 * ```
 */
export function fitCallbacks(...callbacks: readonly (Callback | CustomCallbackArgs)[]): Callback[] {
  return callbacks.map((callback, i) => {
    if (callback instanceof Callback || typeof (callback as Partial<Callback>)?.setParams === 'function') return callback as Callback;
    if (typeof callback !== 'object' || callback === null)
      throw new StepsizeError(
        `fitCallbacks(callbacks[${i}])`,
        'must be a tf.Callback or a plain object of hooks ({ onEpochEnd, ... })',
        callback,
      );
    return new CustomCallback(callback) as unknown as Callback;
  });
}
