import {
  OptimizerRunner,
  StepsizeError,
  optimizerFromJSON,
  stateFromJSON,
  stateToJSON,
  type Optimizer,
  type OptimizerSpec,
  type OptimizerStateJSON,
} from '@stepsize/core';
import { fastKernels } from './wasm/fast-kernels.js';
import type { LossName } from './model/losses.js';
import type { Mlp } from './model/mlp.js';
import { float32Ops } from './ops.js';
import { BatchSampler, MetricFeeder, type Dataset } from './loop.js';

export type { Dataset } from './loop.js';

/** What the trainer records per update. */
export interface StepRecord {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly gradientNorm: number;
}

/** A validation evaluation. */
export interface EvaluationRecord {
  readonly step: number;
  readonly loss: number;
  /** Share of correct predictions (classification losses only). */
  readonly accuracy: number | undefined;
}

/** Everything needed to continue a run exactly: JSON data. */
export interface Checkpoint {
  readonly format: 'stepsize-engine-checkpoint/1';
  readonly step: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly params: Readonly<Record<string, readonly number[]>>;
  /** The optimizer spec, metric-driven schedule state included. */
  readonly optimizer: OptimizerSpec;
  readonly optimizerState: OptimizerStateJSON;
}

/** Options of {@link train}. */
export interface TrainOptions {
  readonly model: Mlp;
  /** The optimizer (ignored when resuming: the checkpoint's optimizer, with its schedule state, is used). */
  readonly optimizer: Optimizer;
  readonly loss: LossName;
  readonly data: Dataset;
  readonly validation?: Dataset;
  /** Examples per mini-batch (the last partial batch of an epoch is dropped). */
  readonly batchSize: number;
  /** Total optimizer updates to reach (counting those before a resume). */
  readonly steps: number;
  /** Seed of the per-epoch shuffles. Default 0. */
  readonly seed?: number;
  /** Steps between validation evaluations (and plateau observations). Default: one epoch. */
  readonly evaluateEvery?: number;
  /** The metric fed to metric-driven schedules: validation loss (default when validation data is given) or the mean training loss since the last evaluation. */
  readonly plateauMetric?: 'validation' | 'training';
  /**
   * Use the fused kernels (default: `fastKernels`, WebAssembly SIMD for SGD, Adam and AdamW,
   * bit-for-bit equal to the JS `fusedKernels`) or core's generic composition (`false`).
   */
  readonly fused?: boolean;
  /** Called after every update. */
  /** Called after every update with its record. */
  readonly onStep?: (record: StepRecord) => void;
  /** Called after every evaluation. */
  /** Called after every validation evaluation. */
  readonly onEvaluate?: (record: EvaluationRecord) => void;
  /** Checkpoints every `every` steps, handed to `save`. */
  readonly checkpoint?: {
    /** Steps between checkpoints. */
    readonly every: number;
    /** Receives each checkpoint (write it with `writeJsonFileAtomic` from `@stepsize/core/node`). */
    readonly save: (checkpoint: Checkpoint) => void;
  };
  /** Continue from a checkpoint. */
  readonly resumeFrom?: Checkpoint;
}

/** What {@link train} returns. */
export interface TrainResult {
  readonly history: StepRecord[];
  readonly evaluations: EvaluationRecord[];
  readonly runner: OptimizerRunner<Float32Array>;
}

function positiveInteger(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new StepsizeError(`train options.${name}`, `must be an integer >= 1, got ${String(value)}`, value);
  }
  return value as number;
}

function checkDataset(data: Dataset, model: Mlp, loss: LossName, name: string): void {
  positiveInteger(data.examples, `${name}.examples`);
  if (data.inputs.length !== data.examples * model.inputSize) {
    throw new StepsizeError(
      `train options.${name}.inputs`,
      `must hold examples * inputSize = ${data.examples * model.inputSize} values, got ${data.inputs.length}`,
      data.inputs.length,
    );
  }
  const width = loss === 'softmaxCrossEntropy' ? 1 : model.outputSize;
  if (data.targets.length !== data.examples * width) {
    throw new StepsizeError(
      `train options.${name}.targets`,
      `must hold ${data.examples * width} values, got ${data.targets.length}`,
      data.targets.length,
    );
  }
}

/** Mean loss and accuracy of the model on a dataset. */
export function evaluate(model: Mlp, data: Dataset, loss: LossName): { loss: number; accuracy: number | undefined } {
  const batch = data.examples;
  const outputs = model.predict(data.inputs, batch);
  const result = model.lossAndGradients({ inputs: data.inputs, targets: data.targets, batch, loss });
  if (loss === 'mse') return { loss: result.loss, accuracy: undefined };
  const width = model.outputSize;
  let correct = 0;
  for (let b = 0; b < batch; b += 1) {
    if (loss === 'softmaxCrossEntropy') {
      let best = 0;
      for (let j = 1; j < width; j += 1) if ((outputs[b * width + j] as number) > (outputs[b * width + best] as number)) best = j;
      if (best === data.targets[b]) correct += 1;
    } else {
      for (let j = 0; j < width; j += 1)
        if (((outputs[b * width + j] as number) > 0 ? 1 : 0) === data.targets[b * width + j]) correct += 1 / width;
    }
  }
  return { loss: result.loss, accuracy: correct / batch };
}

/**
 * Trains an {@link Mlp} with any core optimizer and schedule on the engine:
 * seeded per-epoch shuffles, mini-batches, per-step loss and learning rate,
 * metric-driven schedules fed from validation (or training) loss and from the
 * gradient norm, checkpoints that are plain JSON, and exact resume: a run
 * resumed from a checkpoint continues bit for bit (the shuffle of any epoch is
 * derived from the seed, the optimizer state and schedule state are restored).
 *
 * @example
 * ```ts
 * const result = train({
 *   model, loss: 'softmaxCrossEntropy', data, batchSize: 16, steps: 300,
 *   optimizer: adamW({ learningRate: warmup({ steps: 30, schedule: cosineAnnealing({ initialValue: 0.01, steps: 270 }) }) }),
 * });
 * ```
 */
export function train(options: TrainOptions): TrainResult {
  const { model, loss, data, validation, onStep, onEvaluate, checkpoint, resumeFrom } = options;
  const batchSize = positiveInteger(options.batchSize, 'batchSize');
  const steps = positiveInteger(options.steps, 'steps');
  const seed = options.seed ?? 0;
  checkDataset(data, model, loss, 'data');
  if (validation) checkDataset(validation, model, loss, 'validation');
  if (batchSize > data.examples) {
    throw new StepsizeError(
      'train options.batchSize',
      `must be at most the number of examples (${data.examples}), got ${batchSize}`,
      batchSize,
    );
  }
  const batchesPerEpoch = Math.floor(data.examples / batchSize);
  const evaluateEvery = options.evaluateEvery === undefined ? batchesPerEpoch : positiveInteger(options.evaluateEvery, 'evaluateEvery');
  if (checkpoint) positiveInteger(checkpoint.every, 'checkpoint.every');

  let optimizer = options.optimizer;
  if (resumeFrom) {
    if (resumeFrom.format !== 'stepsize-engine-checkpoint/1') {
      throw new StepsizeError(
        'checkpoint.format',
        `must be "stepsize-engine-checkpoint/1", got ${JSON.stringify(resumeFrom.format)}`,
        resumeFrom.format,
      );
    }
    if (resumeFrom.seed !== seed || resumeFrom.batchSize !== batchSize) {
      throw new StepsizeError(
        'checkpoint',
        `was written with seed ${resumeFrom.seed} and batchSize ${resumeFrom.batchSize}; resume with the same (got ${seed}, ${batchSize})`,
        resumeFrom,
      );
    }
    // Validate everything before touching the model: a bad checkpoint changes nothing.
    optimizer = optimizerFromJSON(resumeFrom.optimizer);
    for (const [name, param] of Object.entries(model.params)) {
      const values = resumeFrom.params[name];
      if (!Array.isArray(values) || values.length !== param.length) {
        throw new StepsizeError(`checkpoint.params.${name}`, `must hold ${param.length} values for this model`, values);
      }
    }
    for (const name of Object.keys(resumeFrom.params)) {
      if (!(name in model.params)) throw new StepsizeError(`checkpoint.params.${name}`, 'is not a parameter of this model', name);
    }
  }
  const runner = new OptimizerRunner({
    optimizer,
    ops: float32Ops,
    params: model.params,
    ...(options.fused !== false && { kernels: fastKernels }),
  });
  if (resumeFrom) {
    runner.loadState(stateFromJSON(resumeFrom.optimizerState, (values) => Float32Array.from(values)));
    for (const [name, param] of Object.entries(model.params)) param.set(resumeFrom.params[name] as readonly number[]);
  }
  const feeder = new MetricFeeder({
    optimizer,
    metric: options.plateauMetric,
    hasValidation: validation !== undefined,
    where: 'train options',
  });
  const sampler = new BatchSampler({ data, batchSize, seed });
  const history: StepRecord[] = [];
  const evaluations: EvaluationRecord[] = [];
  while (runner.state.step < steps) {
    const step = runner.state.step;
    const { inputs, targets, epoch } = sampler.batch(step);
    const { loss: value, gradients } = model.lossAndGradients({ inputs, targets, batch: batchSize, loss });
    const gradientNorm = feeder.gradients(step, gradients);
    const report = runner.step(gradients);
    if (report.outcome !== 'updated') continue;
    const record = { step, epoch, loss: value, learningRate: report.learningRate ?? Number.NaN, gradientNorm };
    history.push(record);
    onStep?.(record);
    feeder.loss(value);
    const done = runner.state.step;
    if (done % evaluateEvery === 0) {
      const result = validation ? evaluate(model, validation, loss) : undefined;
      if (result) {
        const evaluation = { step: done, loss: result.loss, accuracy: result.accuracy };
        evaluations.push(evaluation);
        onEvaluate?.(evaluation);
      }
      feeder.evaluated(done, result?.loss);
    }
    if (checkpoint && done % checkpoint.every === 0) checkpoint.save(makeCheckpoint(model, optimizer, runner, seed, batchSize));
  }
  return { history, evaluations, runner };
}

/** The checkpoint of a run at its current step (JSON data). */
export function makeCheckpoint(
  model: Mlp,
  optimizer: Optimizer,
  runner: OptimizerRunner<Float32Array>,
  seed: number,
  batchSize: number,
): Checkpoint {
  const params: Record<string, number[]> = {};
  for (const [name, param] of Object.entries(model.params)) params[name] = Array.from(param);
  return {
    format: 'stepsize-engine-checkpoint/1',
    step: runner.state.step,
    seed,
    batchSize,
    params,
    optimizer: optimizer.toJSON(),
    optimizerState: stateToJSON(runner.state, (t) => t),
  };
}
