import { StepsizeError, isSchedule, type Optimizer, type Schedule } from '@stepsize/core';
import { seededPermutation } from './random.js';

/** A dataset: row-major inputs, and targets (class indices for softmax cross-entropy). */
export interface Dataset {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly examples: number;
}

/**
 * The mini-batches of a training run, the same on every backend: each epoch
 * visits the examples in a seeded order (`seededPermutation(examples, seed ·
 * 1 000 003 + epoch)`), batch k of an epoch takes positions k·B ... k·B + B − 1,
 * and the last partial batch is dropped. Any step's batch is computed directly
 * (resume at any step).
 *
 * @example
 * ```ts
 * const sampler = new BatchSampler({ data, batchSize: 16, seed: 0 });
 * const { inputs, targets, epoch } = sampler.batch(step);
 * ```
 */
export class BatchSampler {
  readonly batchesPerEpoch: number;
  readonly inputWidth: number;
  readonly targetWidth: number;
  private readonly inputs: Float32Array;
  private readonly targets: Float32Array;
  private order: Uint32Array = new Uint32Array(0);
  private orderEpoch = -1;

  constructor(private readonly options: { readonly data: Dataset; readonly batchSize: number; readonly seed: number }) {
    const { data, batchSize } = options;
    if (!Number.isSafeInteger(data?.examples) || data.examples < 1)
      throw new StepsizeError('data.examples', 'must be an integer >= 1', data?.examples);
    if (batchSize > data.examples)
      throw new StepsizeError('batchSize', `must be at most the number of examples (${data.examples})`, batchSize);
    this.inputWidth = data.inputs.length / data.examples;
    this.targetWidth = data.targets.length / data.examples;
    if (!Number.isInteger(this.inputWidth) || !Number.isInteger(this.targetWidth)) {
      throw new StepsizeError('data', 'inputs and targets must hold a whole number of values per example', data.examples);
    }
    this.batchesPerEpoch = Math.floor(data.examples / batchSize);
    this.inputs = new Float32Array(batchSize * this.inputWidth);
    this.targets = new Float32Array(batchSize * this.targetWidth);
  }

  /** The batch of a step (buffers reused by the next call). */
  batch(step: number): { readonly inputs: Float32Array; readonly targets: Float32Array; readonly epoch: number } {
    const { data, batchSize, seed } = this.options;
    const epoch = Math.floor(step / this.batchesPerEpoch);
    if (epoch !== this.orderEpoch) {
      this.order = seededPermutation(data.examples, seed * 1_000_003 + epoch);
      this.orderEpoch = epoch;
    }
    const first = (step % this.batchesPerEpoch) * batchSize;
    const { inputWidth: iw, targetWidth: tw } = this;
    for (let i = 0; i < batchSize; i += 1) {
      const example = this.order[first + i] as number;
      this.inputs.set(data.inputs.subarray(example * iw, (example + 1) * iw), i * iw);
      this.targets.set(data.targets.subarray(example * tw, (example + 1) * tw), i * tw);
    }
    return { inputs: this.inputs, targets: this.targets, epoch };
  }
}

/** The metric-driven schedules among an optimizer's hyperparameters (each once). */
export function statefulSchedules(optimizer: Optimizer): Schedule[] {
  const found = new Set<Schedule>();
  for (const group of optimizer.groups) {
    for (const value of Object.values(group.options)) if (isSchedule(value) && value.stateful) found.add(value);
  }
  if (isSchedule(optimizer.emaDecay) && optimizer.emaDecay.stateful) found.add(optimizer.emaDecay);
  return [...found];
}

/**
 * Feeds an optimizer's metric-driven schedules during training, the same way
 * on every backend: the gradient norm after each backward pass, and at each
 * evaluation the validation loss (or the mean training loss since the last
 * evaluation).
 *
 * @example
 * ```ts
 * const feeder = new MetricFeeder({ optimizer, metric: 'validation', hasValidation: true, where: 'train options' });
 * feeder.gradients(step, gradients);
 * feeder.loss(loss);
 * feeder.evaluated(done, validationLoss);
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
    if (this.metric === 'validation' && !options.hasValidation && this.schedules.length > 0) {
      throw new StepsizeError(`${options.where}.plateauMetric`, "is 'validation' but no validation data was given", this.metric);
    }
  }

  /** Observes the gradient norm of a step; returns it. */
  gradients(step: number, gradients: Readonly<Record<string, Float32Array>>): number {
    let squares = 0;
    for (const g of Object.values(gradients)) for (let i = 0; i < g.length; i += 1) squares += (g[i] as number) ** 2;
    const gradientNorm = Math.sqrt(squares);
    if (Number.isFinite(gradientNorm)) for (const schedule of this.schedules) schedule.observe({ step, gradientNorm });
    return gradientNorm;
  }

  /** Adds an updated step's training loss to the running mean. */
  loss(value: number): void {
    this.lossSum += value;
    this.lossCount += 1;
  }

  /** At an evaluation (after update `done`): observes the metric and restarts the running mean. */
  evaluated(done: number, validationLoss: number | undefined): void {
    const metric = this.metric === 'validation' ? validationLoss : this.lossSum / this.lossCount;
    if (metric !== undefined) for (const schedule of this.schedules) schedule.observe({ step: done, metric });
    this.lossSum = 0;
    this.lossCount = 0;
  }
}
