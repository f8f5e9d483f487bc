import { StepsizeError } from '../errors.js';
import type { OptimizerSpec } from '../optimizers/optimizer.js';
import { stateFromJSON, type OptimizerStateJSON } from '../optimizers/state.js';
import { fail, isPlainObject } from '../schedules/options.js';
import type { EarlyStoppingState } from './early-stopping.js';

/** The checkpoint format `train()` writes on every backend. */
export const CHECKPOINT_FORMAT = 'stepsize-checkpoint/1';

/** A parameter in a checkpoint: its shape and row-major values. */
export interface CheckpointParameter {
  /** Absent only in checkpoints migrated from the 0.1 formats (then only the size is checked). */
  readonly shape?: readonly number[] | undefined;
  readonly values: readonly number[];
}

/** The loop's own progress, so that a resumed run continues exactly. */
export interface LoopState {
  /** The training-loss sum and count since the last regular evaluation (the plateau metric `'training'`); a non-finite sum is written as null. */
  readonly lossSum: number;
  readonly lossCount: number;
  /** Skipped batches in a row (too many of them stop training). */
  readonly consecutiveSkips: number;
  /** The micro-batches of an accumulation cycle not yet applied: their loss and gradient-norm sums and count. */
  readonly cycle?: { readonly lossSum: number; readonly normSum: number; readonly batches: number } | undefined;
  readonly earlyStopping?: EarlyStoppingState | undefined;
}

/**
 * Everything needed to continue a run exactly, as JSON data, the same on every
 * backend: a checkpoint written by the engine resumes on tfjs or ONNX Runtime when
 * the parameter names and shapes match. Float32 values survive JSON exactly.
 *
 * Migration: `readCheckpoint` also reads the 0.1 formats
 * `stepsize-engine-checkpoint/1` and `stepsize-onnxruntime-checkpoint/1` (no
 * shapes, no loop state): their batch cursor is taken to be their step, which is
 * exact for runs without accumulation or skipped steps, and the running training
 * loss restarts at the resumed step.
 */
export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** Optimizer updates done. */
  readonly step: number;
  /** Batches drawn (the loop's cursor: micro-batches and skipped batches count). */
  readonly batches: number;
  /** The shuffle seed and batch size the run used (a resumed run must use the same). */
  readonly seed: number;
  readonly batchSize: number;
  readonly params: Readonly<Record<string, CheckpointParameter>>;
  /** The optimizer spec, metric-driven schedule state included. */
  readonly optimizer: OptimizerSpec;
  readonly optimizerState: OptimizerStateJSON;
  readonly loop: LoopState;
  /** The backend that wrote it (information only). */
  readonly backend?: string | undefined;
}

function count(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, 'must be an integer >= 0', value);
  return value as number;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a finite number', value);
  return value;
}

/** A sum that may have taken in a non-finite loss: JSON writes it as null. */
function sum(value: unknown, path: string): number {
  return value === null ? Number.NaN : finite(value, path);
}

function values(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  value.forEach((v: unknown, i) => {
    finite(v, `${path}[${i}]`);
  });
  return value as number[];
}

function readEarlyStoppingState(value: unknown, path: string): EarlyStoppingState | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(path, 'must be an object { best, bestStep, waited }', value);
  const best = value.best === null ? null : finite(value.best, `${path}.best`);
  const bestStep = value.bestStep;
  if (!Number.isSafeInteger(bestStep) || (bestStep as number) < -1) fail(`${path}.bestStep`, 'must be an integer >= -1', bestStep);
  const state: EarlyStoppingState = { best, bestStep: bestStep as number, waited: count(value.waited, `${path}.waited`) };
  if (value.bestParams === undefined) return state;
  if (!isPlainObject(value.bestParams)) fail(`${path}.bestParams`, 'must be an object of arrays by parameter name', value.bestParams);
  const bestParams: Record<string, number[]> = {};
  for (const [name, v] of Object.entries(value.bestParams)) bestParams[name] = values(v, `${path}.bestParams.${name}`);
  return { ...state, bestParams };
}

/**
 * Reads and validates a checkpoint (an object, or JSON text): every error is a
 * {@link StepsizeError} whose path starts at `checkpoint` (`checkpoint.params.w.values[3]`).
 * Reads the 0.1 per-backend formats too (see {@link Checkpoint}).
 *
 * @example
 * ```ts
 * const checkpoint = readCheckpoint(readFileSync('run.json', 'utf8'));
 * await train({ backend, data, batchSize: 16, steps: 600, resumeFrom: checkpoint });
 * ```
 */
export function readCheckpoint(input: unknown): Checkpoint {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new StepsizeError('checkpoint', `is not valid JSON (${(error as Error).message})`, input.slice(0, 80), { cause: error });
    }
  }
  const path = 'checkpoint';
  if (!isPlainObject(json)) fail(path, 'must be a checkpoint object', json);
  const format = json.format;
  const legacy = format === 'stepsize-engine-checkpoint/1' || format === 'stepsize-onnxruntime-checkpoint/1';
  if (format !== CHECKPOINT_FORMAT && !legacy) {
    fail(
      `${path}.format`,
      `must be "${CHECKPOINT_FORMAT}" (or a 0.1 format: stepsize-engine-checkpoint/1, stepsize-onnxruntime-checkpoint/1)`,
      format,
    );
  }
  const step = count(json.step, `${path}.step`);
  if (!Number.isSafeInteger(json.seed)) fail(`${path}.seed`, 'must be an integer', json.seed);
  const batchSize = json.batchSize;
  if (!Number.isSafeInteger(batchSize) || (batchSize as number) < 1) fail(`${path}.batchSize`, 'must be an integer >= 1', batchSize);
  if (!isPlainObject(json.params)) fail(`${path}.params`, 'must be an object of parameters by name', json.params);
  const params: Record<string, CheckpointParameter> = {};
  for (const [name, value] of Object.entries(json.params)) {
    const where = `${path}.params.${name}`;
    if (legacy) {
      params[name] = { values: values(value, where) };
      continue;
    }
    if (!isPlainObject(value)) fail(where, 'must be { shape, values }', value);
    const data = values(value.values, `${where}.values`);
    const shape = value.shape;
    if (shape === undefined) {
      // A checkpoint migrated from a 0.1 format, read again.
      params[name] = { values: data };
      continue;
    }
    if (!Array.isArray(shape) || shape.some((d: unknown) => !Number.isSafeInteger(d) || (d as number) < 1)) {
      fail(`${where}.shape`, 'must be an array of positive integers', shape);
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size)
      fail(`${where}.values`, `must hold ${size} values for shape [${(shape as number[]).join(', ')}]`, data.length);
    params[name] = { shape: [...(shape as number[])], values: data };
  }
  if (!isPlainObject(json.optimizer) || typeof json.optimizer.type !== 'string') {
    fail(`${path}.optimizer`, 'must be an optimizer spec { "type": ..., ...options }', json.optimizer);
  }
  // The state's shape is checked here; whether it fits the parameters, when it is loaded.
  stateFromJSON(json.optimizerState, (v) => v);
  let loop: LoopState = { lossSum: 0, lossCount: 0, consecutiveSkips: 0 };
  let batches = step;
  if (!legacy) {
    batches = count(json.batches, `${path}.batches`);
    if (!isPlainObject(json.loop)) fail(`${path}.loop`, 'must be an object { lossSum, lossCount, consecutiveSkips }', json.loop);
    const earlyStopping = readEarlyStoppingState(json.loop.earlyStopping, `${path}.loop.earlyStopping`);
    const cycle = json.loop.cycle;
    if (cycle !== undefined && !isPlainObject(cycle)) fail(`${path}.loop.cycle`, 'must be an object { lossSum, normSum, batches }', cycle);
    loop = {
      ...(cycle !== undefined && {
        cycle: {
          lossSum: sum(cycle.lossSum, `${path}.loop.cycle.lossSum`),
          normSum: sum(cycle.normSum, `${path}.loop.cycle.normSum`),
          batches: count(cycle.batches, `${path}.loop.cycle.batches`),
        },
      }),
      lossSum: sum(json.loop.lossSum, `${path}.loop.lossSum`),
      lossCount: count(json.loop.lossCount, `${path}.loop.lossCount`),
      consecutiveSkips: count(json.loop.consecutiveSkips, `${path}.loop.consecutiveSkips`),
      ...(earlyStopping && { earlyStopping }),
    };
  }
  if (json.backend !== undefined && typeof json.backend !== 'string') fail(`${path}.backend`, 'must be a string', json.backend);
  return {
    format: CHECKPOINT_FORMAT,
    step,
    batches,
    seed: json.seed as number,
    batchSize: batchSize as number,
    params,
    optimizer: json.optimizer as OptimizerSpec,
    optimizerState: json.optimizerState as OptimizerStateJSON,
    loop,
    ...(typeof json.backend === 'string' && { backend: json.backend }),
  };
}

/**
 * Checks that a checkpoint's parameters fit a backend's: the same names, and the
 * same shapes (the same sizes for a migrated checkpoint without shapes). Every
 * mismatch is listed in one error.
 */
export function checkCheckpointFits(checkpoint: Checkpoint, shapes: Readonly<Record<string, readonly number[]>>, backend: string): void {
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const saved = checkpoint.params[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (saved === undefined) problems.push(`${name} is missing`);
    else if (saved.shape !== undefined && saved.shape.join(',') !== shape.join(','))
      problems.push(`${name} has shape [${saved.shape.join(', ')}], the model [${shape.join(', ')}]`);
    else if (saved.values.length !== size) problems.push(`${name} holds ${saved.values.length} values, the model ${size}`);
  }
  for (const name of Object.keys(checkpoint.params)) if (!(name in shapes)) problems.push(`${name} is not a parameter of the model`);
  if (problems.length > 0) {
    throw new StepsizeError('checkpoint.params', `do not fit the ${backend} model: ${problems.join('; ')}`, Object.keys(checkpoint.params));
  }
}
