import { StepsizeError } from '../errors.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { type OptimizerStateJSON, ownValue } from '../optimizers/state.js';
import type { StepReport } from '../optimizers/step.js';
import type { Dataset } from './data.js';
import type { AccuracyScoring } from './backend-options.js';

/** A value, or a promise of it: backends may answer synchronously (the engine) or not (ONNX Runtime). */
export type Awaitable<T> = T | Promise<T>;

/** What a backward pass gives the loop: the batch's mean loss, the gradients' L2 norm, and the gradients (the backend's own). */
export interface BackwardResult<G = unknown> {
  readonly loss: number;
  /** √(Σ g²) over every gradient element (NaN or Infinity when a gradient is not finite). */
  readonly gradientNorm: number;
  /** Opaque to the loop: handed back to {@link TrainingBackend.applyGradients}. */
  readonly gradients: G;
}

/** What an evaluation gives the loop: the mean loss and, for accuracy, the model's outputs. */
export interface EvaluationResult {
  readonly loss: number;
  /** Outputs (examples × width), when the model has them; the loop scores accuracy from them. */
  readonly outputs?: Float32Array | undefined;
}

/**
 * What `train()` needs of a stack: the small interface every adapter implements
 * (`engineTrainingBackend`, `tfjsTrainingBackend`, `onnxruntimeTrainingBackend`).
 * The loop owns everything else: batches, accumulation, the non-finite policy,
 * metric feeding, evaluation, early stopping, checkpoints and history. Parameters
 * are named float32 tensors of fixed shapes; values cross the interface as
 * Float32Arrays (checkpoints, restoring the best weights), gradients stay in the
 * backend. Any method may return a promise.
 *
 * @example
 * ```ts
 * const backend = await engineTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy' } });
 * await train({ backend, optimizer: adamW(), data, batchSize: 16, steps: 300 });
 * ```
 */
export interface TrainingBackend<G = unknown> {
  /** A short name for reports (`engine`, `tfjs (wasm)`, `onnxruntime (update graph)`). */
  readonly name: string;
  /** Parameter shapes by name, in a fixed order. */
  readonly parameterShapes: Readonly<Record<string, readonly number[]>>;
  /** Values per example of the model's input and target, when the backend knows them (datasets are checked against them). */
  readonly exampleWidths?: { readonly input?: number | undefined; readonly target?: number | undefined } | undefined;
  /** How the model's outputs are scored by default (its loss decides; undefined: no accuracy). */
  readonly accuracy?: AccuracyScoring | undefined;
  /** Starts using `optimizer` with fresh state (before any update, or before writing a checkpoint's state). */
  setOptimizer(optimizer: Optimizer): Awaitable<void>;
  /** Loss and gradients of a batch at the current parameters (parameters unchanged). */
  lossAndGradients(batch: Dataset): Awaitable<BackwardResult<G>>;
  /** Applies the optimizer to gradients of the latest `lossAndGradients` (core's pure step). */
  applyGradients(gradients: G): Awaitable<StepReport>;
  /** Mean loss (and outputs) on a whole dataset, parameters unchanged. */
  evaluate(data: Dataset): Awaitable<EvaluationResult>;
  /** Copies of the current parameters. */
  readParameters(): Awaitable<Record<string, Float32Array>>;
  /** Replaces every parameter (values row-major, of the parameter's size). */
  writeParameters(values: Readonly<Record<string, ArrayLike<number>>>): Awaitable<void>;
  /** The optimizer state as JSON data. */
  readOptimizerState(): Awaitable<OptimizerStateJSON>;
  /** Replaces the optimizer state (checked against the parameters first: a bad state changes nothing). */
  writeOptimizerState(state: OptimizerStateJSON): Awaitable<void>;
  /** Frees what the backend holds (tfjs tensors, ONNX Runtime sessions); `train` never calls it, its creator does. */
  dispose?(): Awaitable<void>;
}

/**
 * Checks parameter values against the parameters' shapes before a backend writes
 * them: every parameter given, with as many values as its shape holds, and no
 * other. Errors are `StepsizeError`s naming `where.<name>` (`where` when `values` is no object).
 *
 * @example
 * ```ts
 * checkParameterValues({ w: [1, 2] }, { w: [2] }, 'parameters'); // fine
 * checkParameterValues({ w: [1] }, { w: [2] }, 'parameters'); // throws "parameters.w must hold 2 values, got 1"
 * ```
 */
export function checkParameterValues(
  values: Readonly<Record<string, ArrayLike<number>>>,
  shapes: Readonly<Record<string, readonly number[]>>,
  where: string,
): void {
  if (typeof values !== 'object' || values === null) {
    throw new StepsizeError(where, 'must be the values of every parameter, by name', values);
  }
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const given = ownValue(values, name);
    if (given === undefined) throw new StepsizeError(`${where}.${name}`, `is missing: every parameter needs its ${size} values`, undefined);
    if (typeof given.length !== 'number' || given.length !== size) {
      throw new StepsizeError(`${where}.${name}`, `must hold ${size} values`, given?.length);
    }
  }
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(shapes, name))
      throw new StepsizeError(`${where}.${name}`, `is not a parameter (${Object.keys(shapes).join(', ')})`, name);
  }
}
