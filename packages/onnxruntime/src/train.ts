import {
  StepsizeError,
  optimizerFromJSON,
  stateFromJSON,
  stateToJSON,
  type Optimizer,
  type OptimizerSpec,
  type OptimizerStateJSON,
} from '@stepsize/core';
import { BatchSampler, MetricFeeder, type Dataset, type EvaluationRecord, type StepRecord } from '@stepsize/engine';
import { OnnxTrainingSession, type OnnxTrainingSessionOptions } from './training-session.js';

/** Everything needed to continue an ONNX Runtime run exactly: JSON data. */
export interface OnnxCheckpoint {
  readonly format: 'stepsize-onnxruntime-checkpoint/1';
  readonly step: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly params: Readonly<Record<string, readonly number[]>>;
  /** The optimizer spec, metric-driven schedule state included. */
  readonly optimizer: OptimizerSpec;
  readonly optimizerState: OptimizerStateJSON;
}

/** How validation predictions are scored: the arg-max class (targets are class indices) or `output > 0` per element (binary targets). */
export type AccuracyRule = 'argmax' | 'threshold';

/** Options of {@link trainOnnx}. */
export interface OnnxTrainOptions extends OnnxTrainingSessionOptions {
  readonly data: Dataset;
  readonly validation?: Dataset;
  /** How to score `output` on validation data (accuracy is left out when absent). */
  readonly accuracy?: AccuracyRule;
  /** Examples per mini-batch (the last partial batch of an epoch is dropped). */
  readonly batchSize: number;
  /** Total optimizer updates to reach (counting those before a resume). */
  readonly steps: number;
  /** Seed of the per-epoch shuffles (the engine's, so both backends see the same batches). Default 0. */
  readonly seed?: number;
  /** Steps between validation evaluations (and plateau observations). Default: one epoch. */
  readonly evaluateEvery?: number;
  /** The metric fed to metric-driven schedules (default `'validation'` when validation data is given). */
  readonly plateauMetric?: 'validation' | 'training';
  /** Called after every update with its record. */
  readonly onStep?: (record: StepRecord) => void;
  /** Called after every validation evaluation. */
  readonly onEvaluate?: (record: EvaluationRecord) => void;
  /** Checkpoints every `every` steps, handed to `save` (awaited). */
  readonly checkpoint?: {
    /** Steps between checkpoints. */
    readonly every: number;
    /** Receives each checkpoint (write it with `writeJsonFileAtomic` from `@stepsize/core/node`). */
    readonly save: (checkpoint: OnnxCheckpoint) => void | Promise<void>;
  };
  /** Continue from a checkpoint (its optimizer, with schedule state, replaces `optimizer`). */
  readonly resumeFrom?: OnnxCheckpoint;
}

/** What {@link trainOnnx} returns (release the session when done). */
export interface OnnxTrainResult {
  readonly history: StepRecord[];
  readonly evaluations: EvaluationRecord[];
  readonly session: OnnxTrainingSession;
}

function positiveInteger(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    throw new StepsizeError(`trainOnnx options.${name}`, `must be an integer >= 1, got ${String(value)}`, value);
  return value as number;
}

/** Mean loss (and accuracy) of the session's model on a whole dataset, in one batch. */
export async function evaluateOnnx(
  session: OnnxTrainingSession,
  data: Dataset,
  accuracy?: AccuracyRule,
): Promise<{ loss: number; accuracy: number | undefined }> {
  const result = await session.forwardBackward({ inputs: data.inputs, targets: data.targets, batch: data.examples });
  if (accuracy === undefined || result.output === undefined) return { loss: result.loss, accuracy: undefined };
  const output = result.output;
  const width = output.length / data.examples;
  let correct = 0;
  for (let b = 0; b < data.examples; b += 1) {
    if (accuracy === 'argmax') {
      let best = 0;
      for (let j = 1; j < width; j += 1) if ((output[b * width + j] as number) > (output[b * width + best] as number)) best = j;
      if (best === data.targets[b]) correct += 1;
    } else {
      for (let j = 0; j < width; j += 1)
        if (((output[b * width + j] as number) > 0 ? 1 : 0) === data.targets[b * width + j]) correct += 1 / width;
    }
  }
  return { loss: result.loss, accuracy: correct / data.examples };
}

/** The checkpoint of a session at its current step (JSON data). */
export function onnxCheckpoint(session: OnnxTrainingSession, seed: number, batchSize: number): OnnxCheckpoint {
  const { updater } = session;
  const params: Record<string, number[]> = {};
  for (const name of updater.names) params[name] = Array.from(updater.values(name));
  return {
    format: 'stepsize-onnxruntime-checkpoint/1',
    step: updater.state.step,
    seed,
    batchSize,
    params,
    optimizer: updater.optimizer.toJSON(),
    optimizerState: stateToJSON(updater.state, (t) => t),
  };
}

function checkResume(checkpoint: OnnxCheckpoint, seed: number, batchSize: number): Optimizer {
  if (checkpoint?.format !== 'stepsize-onnxruntime-checkpoint/1') {
    throw new StepsizeError('checkpoint.format', 'must be "stepsize-onnxruntime-checkpoint/1"', checkpoint?.format);
  }
  if (checkpoint.seed !== seed || checkpoint.batchSize !== batchSize) {
    throw new StepsizeError(
      'checkpoint',
      `was written with seed ${checkpoint.seed} and batchSize ${checkpoint.batchSize}; resume with the same (got ${seed}, ${batchSize})`,
      checkpoint,
    );
  }
  return optimizerFromJSON(checkpoint.optimizer);
}

/**
 * Trains a model with ONNX Runtime: the same loop as the engine's `train`
 * (seeded per-epoch shuffles, per-step loss and learning rate, metric-driven
 * schedules fed from validation or training loss and from the gradient norm,
 * JSON checkpoints and resume), with forward + backward in ONNX Runtime and
 * the update in ONNX Runtime or the engine's kernels.
 *
 * @example
 * ```ts
 * const { history, session } = await trainOnnx({ model: buildMlpTrainingModel(spec).model, params, data, batchSize: 16, steps: 300,
 *   optimizer: adamW({ learningRate: warmup({ steps: 30, schedule: cosineAnnealing({ initialValue: 0.01, steps: 270 }) }) }) });
 * await session.release();
 * ```
 */
export async function trainOnnx(options: OnnxTrainOptions): Promise<OnnxTrainResult> {
  const { data, validation, onStep, onEvaluate, checkpoint, resumeFrom } = options;
  const batchSize = positiveInteger(options.batchSize, 'batchSize');
  const steps = positiveInteger(options.steps, 'steps');
  const seed = options.seed ?? 0;
  positiveInteger(data?.examples, 'data.examples');
  if (batchSize > data.examples)
    throw new StepsizeError('trainOnnx options.batchSize', `must be at most the number of examples (${data.examples})`, batchSize);
  const batchesPerEpoch = Math.floor(data.examples / batchSize);
  const evaluateEvery = options.evaluateEvery === undefined ? batchesPerEpoch : positiveInteger(options.evaluateEvery, 'evaluateEvery');
  if (checkpoint) positiveInteger(checkpoint.every, 'checkpoint.every');
  const optimizer = resumeFrom ? checkResume(resumeFrom, seed, batchSize) : options.optimizer;
  const session = await OnnxTrainingSession.create({ ...options, optimizer });
  try {
    if (resumeFrom) {
      const params: Record<string, Float32Array> = {};
      for (const [name, values] of Object.entries(resumeFrom.params ?? {})) params[name] = Float32Array.from(values);
      session.updater.load(
        params,
        stateFromJSON(resumeFrom.optimizerState, (values) => Float32Array.from(values)),
      );
    }
    const feeder = new MetricFeeder({
      optimizer,
      metric: options.plateauMetric,
      hasValidation: validation !== undefined,
      where: 'trainOnnx options',
    });
    const sampler = new BatchSampler({ data, batchSize, seed });
    const history: StepRecord[] = [];
    const evaluations: EvaluationRecord[] = [];
    while (session.updater.state.step < steps) {
      const step = session.updater.state.step;
      const { inputs, targets, epoch } = sampler.batch(step);
      const { loss, gradients } = await session.forwardBackward({ inputs, targets, batch: batchSize });
      const gradientNorm = feeder.gradients(step, gradients);
      const report = await session.updater.step(gradients);
      if (report.outcome !== 'updated') continue;
      const record = { step, epoch, loss, learningRate: report.learningRate ?? Number.NaN, gradientNorm };
      history.push(record);
      onStep?.(record);
      feeder.loss(loss);
      const done = session.updater.state.step;
      if (done % evaluateEvery === 0) {
        const result = validation ? await evaluateOnnx(session, validation, options.accuracy) : undefined;
        if (result) {
          const evaluation = { step: done, loss: result.loss, accuracy: result.accuracy };
          evaluations.push(evaluation);
          onEvaluate?.(evaluation);
        }
        feeder.evaluated(done, result?.loss);
      }
      if (checkpoint && done % checkpoint.every === 0) await checkpoint.save(onnxCheckpoint(session, seed, batchSize));
    }
    return { history, evaluations, session };
  } catch (error) {
    await session.release();
    throw error;
  }
}
