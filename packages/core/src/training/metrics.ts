import { StepsizeError } from '../errors.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { isSchedule, type Schedule } from '../schedules/schedule.js';

/**
 * How predictions are scored: `'argmax'` compares the arg-max of each example's
 * outputs with its class (a class index, or the arg-max of a one-hot target row);
 * `'binary'` scores every output on its own, `output > threshold` against a 0/1
 * target (threshold 0 for logits, 0.5 for probabilities).
 */
export type AccuracyRule = 'argmax' | 'binary';

/**
 * Share of correct predictions of `outputs` (examples × width) against `targets`
 * (see {@link AccuracyRule}); for `'binary'`, the share of correct outputs.
 *
 * @example
 * ```ts
 * classificationAccuracy({ outputs: Float32Array.of(0.1, 0.9, 0.8, 0.2), targets: Float32Array.of(1, 1), examples: 2, rule: 'argmax' }); // 0.5
 * ```
 */
export function classificationAccuracy(args: {
  readonly outputs: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
  readonly examples: number;
  readonly rule: AccuracyRule;
  /** Threshold of `'binary'`. Default 0 (logits). */
  readonly threshold?: number | undefined;
}): number {
  const { outputs, targets, examples, rule } = args;
  const width = outputs.length / examples;
  const targetWidth = targets.length / examples;
  if (!Number.isInteger(width) || width < 1)
    throw new StepsizeError('outputs', `must hold a whole number of values per example (${examples})`, outputs.length);
  const argmax = (values: ArrayLike<number>, row: number, size: number): number => {
    let best = 0;
    for (let j = 1; j < size; j += 1) if ((values[row * size + j] as number) > (values[row * size + best] as number)) best = j;
    return best;
  };
  let correct = 0;
  if (rule === 'argmax') {
    if (targetWidth !== 1 && targetWidth !== width) {
      throw new StepsizeError(
        'targets',
        `must hold a class index or a one-hot row of ${width} per example for argmax accuracy`,
        targets.length,
      );
    }
    for (let b = 0; b < examples; b += 1) {
      const expected = targetWidth === 1 ? (targets[b] as number) : argmax(targets, b, targetWidth);
      if (argmax(outputs, b, width) === expected) correct += 1;
    }
    return correct / examples;
  }
  if (targetWidth !== width)
    throw new StepsizeError('targets', `must hold ${width} values per example for binary accuracy`, targets.length);
  const threshold = args.threshold ?? 0;
  for (let i = 0; i < outputs.length; i += 1) if (((outputs[i] as number) > threshold ? 1 : 0) === targets[i]) correct += 1;
  return correct / outputs.length;
}

/**
 * The global L2 norm `√(Σ g²)` of gradients held as host arrays, summed in float64
 * (the gradient norm training records and feeds to gradient-norm schedules).
 *
 * @example
 * ```ts
 * l2Norm([Float32Array.of(3), Float32Array.of(4)]); // 5
 * ```
 */
export function l2Norm(arrays: Iterable<ArrayLike<number>>): number {
  let squares = 0;
  for (const values of arrays) for (let i = 0; i < values.length; i += 1) squares += (values[i] as number) ** 2;
  return Math.sqrt(squares);
}

/** The metric-driven schedules among an optimizer's hyperparameters (each once). */
export function statefulSchedules(optimizer: Optimizer): Schedule[] {
  const found = new Set<Schedule>();
  for (const group of optimizer.groups) {
    for (const value of Object.values(group.options)) if (isSchedule(value) && value.stateful) found.add(value);
  }
  if (isSchedule(optimizer.emaDecay) && optimizer.emaDecay.stateful) found.add(optimizer.emaDecay);
  if (isSchedule(optimizer.decoupledWeightDecay) && optimizer.decoupledWeightDecay.stateful) found.add(optimizer.decoupledWeightDecay);
  return [...found];
}

/** The running training-loss mean the feeder keeps between evaluations (part of a checkpoint). */
export interface FeederState {
  readonly lossSum: number;
  readonly lossCount: number;
}

/**
 * Feeds an optimizer's metric-driven schedules during training, the same way on
 * every backend: the gradient norm after each backward pass, and at each regular
 * evaluation the validation loss (or the mean training loss since the last one).
 *
 * @example
 * ```ts
 * const feeder = new MetricFeeder({ optimizer, metric: 'validation', hasValidation: true, where: 'train options' });
 * feeder.gradientNorm(step, 1.5);
 * feeder.loss(0.7);
 * feeder.evaluated(step + 1, validationLoss);
 * ```
 */
export class MetricFeeder {
  private readonly schedules: Schedule[];
  readonly metric: 'validation' | 'training';
  private lossSum = 0;
  private lossCount = 0;

  constructor(options: {
    readonly optimizer: Optimizer;
    readonly metric: 'validation' | 'training' | undefined;
    readonly hasValidation: boolean;
    readonly where: string;
  }) {
    this.schedules = statefulSchedules(options.optimizer);
    this.metric = options.metric ?? (options.hasValidation ? 'validation' : 'training');
    if (this.metric !== 'validation' && this.metric !== 'training') {
      throw new StepsizeError(
        `${options.where}.plateauMetric`,
        `must be 'validation' or 'training', got ${JSON.stringify(this.metric)}`,
        this.metric,
      );
    }
    if (this.metric === 'validation' && !options.hasValidation && this.schedules.length > 0) {
      throw new StepsizeError(`${options.where}.plateauMetric`, "is 'validation' but no validation data was given", this.metric);
    }
  }

  /** Observes the gradient norm of a backward pass at update `step` (non-finite norms are not observed). */
  gradientNorm(step: number, norm: number): void {
    if (Number.isFinite(norm)) for (const schedule of this.schedules) schedule.observe({ step, gradientNorm: norm });
  }

  /** Adds an updated step's training loss to the running mean. */
  loss(value: number): void {
    this.lossSum += value;
    this.lossCount += 1;
  }

  /** At a regular evaluation (after update `done`): observes the metric and restarts the running mean. */
  evaluated(done: number, validationLoss: number | undefined): void {
    const metric = this.metric === 'validation' ? validationLoss : this.lossCount > 0 ? this.lossSum / this.lossCount : undefined;
    if (metric !== undefined) for (const schedule of this.schedules) schedule.observe({ step: done, metric });
    this.lossSum = 0;
    this.lossCount = 0;
  }

  /** The running mean, for a checkpoint. */
  get state(): FeederState {
    return { lossSum: this.lossSum, lossCount: this.lossCount };
  }

  /** Restores the running mean of a checkpoint. */
  restore(state: FeederState): void {
    this.lossSum = state.lossSum;
    this.lossCount = state.lossCount;
  }
}
