import { StepsizeError } from '../errors.js';
import type { Ops } from '../optimizers/ops.js';
import type { Optimizer, OptimizerSpec } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { mapRecord, type OptimizerStateJSON, ownValue, readFloat32Values, stateFromJSON } from '../optimizers/state.js';
import { compileOptimizer } from '../optimizers/step.js';
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
  /** A guarded run's guard state (`train` options `guard`): its cuts, actions, recent losses and snapshots, as the guard wrote it; the guard checks it when the run resumes. */
  readonly guard?: unknown;
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
 *
 * What {@link readCheckpoint} accepts (everything is checked before a resume
 * changes anything): every parameter, state and best-parameter value a number
 * (not null, a boolean, a string or an array), finite and within float32 range;
 * the second-moment and accumulator slots of the built-in optimizers `>= 0`
 * (`builtinSlotConstraints`); every tensor of its parameter's size; counters
 * integers `>= 0` that agree: `optimizerState.step` is `step`,
 * `optimizerState.microStep` is below the optimizer's `accumulationSteps` and
 * equals `loop.cycle.batches` (0 without a cycle), `loop.consecutiveSkips` is at
 * most `optimizerState.skipped`, `batches` at least `step + loop.consecutiveSkips`,
 * `loop.lossCount` and `loop.earlyStopping.bestStep` at most `step`.
 *
 * Writing: JSON has no NaN or Infinity, so a checkpoint whose parameters or
 * optimizer state hold one (a diverged run under `nonFinite: 'propagate'`) is
 * never written: `train()` throws `checkCheckpointFinite`'s error naming the
 * first such value instead of saving nulls. Only the loop's running loss sums may
 * be non-finite; they are written as null and read back as NaN.
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
  /**
   * The parameters to evaluate, predict and deploy with, for an optimizer that trains at
   * other ones (schedule-free's `x`, by name, row-major like `params`); absent otherwise.
   * `params` stay the training point a resume needs.
   */
  readonly evaluationParams?: Readonly<Record<string, readonly number[]>> | undefined;
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

/** checkState reads nothing but sizes: these give them for a checkpoint's arrays. */
const arraySizes = { name: 'checkpoint', size: (values: readonly number[]) => values.length } as unknown as Ops<readonly number[]>;

/** The checkpoint's optimizer spec, its errors under `path` (`checkpoint.optimizer.learningRate`). */
function readOptimizer(spec: unknown, path: string): Optimizer {
  try {
    return optimizerFromJSON(spec);
  } catch (error) {
    if (!(error instanceof StepsizeError) || !error.path.startsWith('$')) throw error;
    const problem = error.message.slice(error.path.length + 1);
    throw new StepsizeError(`${path}${error.path.slice(1)}`, problem, error.value, { cause: error });
  }
}

function readEarlyStoppingState(
  value: unknown,
  path: string,
  params: Readonly<Record<string, CheckpointParameter>>,
): EarlyStoppingState | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(path, 'must be an object { best, bestStep, waited }', value);
  const best = value.best === null ? null : finite(value.best, `${path}.best`);
  const bestStep = value.bestStep;
  if (!Number.isSafeInteger(bestStep) || (bestStep as number) < -1) fail(`${path}.bestStep`, 'must be an integer >= -1', bestStep);
  const state: EarlyStoppingState = { best, bestStep: bestStep as number, waited: count(value.waited, `${path}.waited`) };
  if (value.bestParams === undefined) return state;
  const saved = value.bestParams;
  const names = Object.keys(params);
  if (!isPlainObject(saved) || Object.keys(saved).length !== names.length || names.some((name) => !Object.hasOwn(saved, name))) {
    fail(`${path}.bestParams`, `must be an object of arrays by parameter name (${names.join(', ')})`, saved);
  }
  const bestParams = mapRecord(saved, (v, name) => {
    const data = readFloat32Values(v, `${path}.bestParams.${name}`);
    const size = params[name]?.values.length;
    if (data.length !== size) fail(`${path}.bestParams.${name}`, `must hold ${size} values like the parameter`, data.length);
    return data;
  });
  return { ...state, bestParams };
}

/**
 * Reads and validates a checkpoint (an object, or JSON text): the values, sizes
 * and counters {@link Checkpoint} lists, the optimizer spec, and that the
 * optimizer state fits the parameters. Every error is a {@link StepsizeError}
 * whose path starts at `checkpoint` and names the field, with the bad value
 * (`checkpoint.params.w.values[3]`, `checkpoint.optimizerState.params.w.expAvgSq[0]`).
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
  // A Map while reading (names are data, `__proto__` included), a record of own properties after.
  const read = new Map<string, CheckpointParameter>();
  for (const [name, value] of Object.entries(json.params)) {
    const where = `${path}.params.${name}`;
    if (legacy) {
      read.set(name, { values: readFloat32Values(value, where) });
      continue;
    }
    if (!isPlainObject(value)) fail(where, 'must be { shape, values }', value);
    const data = readFloat32Values(value.values, `${where}.values`);
    const shape = value.shape;
    if (shape === undefined) {
      // A checkpoint migrated from a 0.1 format, read again.
      read.set(name, { values: data });
      continue;
    }
    if (!Array.isArray(shape) || shape.some((d: unknown) => !Number.isSafeInteger(d) || (d as number) < 1)) {
      fail(`${where}.shape`, 'must be an array of positive integers', shape);
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size)
      fail(`${where}.values`, `must hold ${size} values for shape [${(shape as number[]).join(', ')}]`, data.length);
    read.set(name, { shape: [...(shape as number[])], values: data });
  }
  const params: Record<string, CheckpointParameter> = Object.fromEntries(read);
  if (!isPlainObject(json.optimizer) || typeof json.optimizer.type !== 'string') {
    fail(`${path}.optimizer`, 'must be an optimizer spec { "type": ..., ...options }', json.optimizer);
  }
  const optimizer = readOptimizer(json.optimizer, `${path}.optimizer`);
  const where = `${path}.optimizerState`;
  const state = stateFromJSON(json.optimizerState, (v) => v, { path: where, optimizerType: optimizer.definition.type });
  compileOptimizer(optimizer).checkState(
    arraySizes,
    mapRecord(params, (p) => p.values),
    state,
    { path: where },
  );
  if (state.step !== step) fail(`${where}.step`, `must equal checkpoint.step (${step})`, state.step);
  let loop: LoopState = { lossSum: 0, lossCount: 0, consecutiveSkips: 0 };
  let batches = step;
  if (!legacy) {
    batches = count(json.batches, `${path}.batches`);
    if (!isPlainObject(json.loop)) fail(`${path}.loop`, 'must be an object { lossSum, lossCount, consecutiveSkips }', json.loop);
    const earlyStopping = readEarlyStoppingState(json.loop.earlyStopping, `${path}.loop.earlyStopping`, params);
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
      ...(json.loop.guard !== undefined && { guard: json.loop.guard }),
    };
    // The loop's counters against the optimizer's (see Checkpoint).
    const atMost = (value: number | undefined, limit: number, field: string, what: string): void => {
      if (value !== undefined && value > limit) fail(`${path}.${field}`, `must be at most ${what} (${limit})`, value);
    };
    const opened = loop.cycle?.batches ?? 0;
    if (opened !== state.microStep) fail(`${path}.loop.cycle.batches`, `must equal optimizerState.microStep (${state.microStep})`, opened);
    atMost(loop.consecutiveSkips, state.skipped, 'loop.consecutiveSkips', 'optimizerState.skipped');
    const drawn = step + loop.consecutiveSkips;
    if (batches < drawn) fail(`${path}.batches`, `must be at least step + loop.consecutiveSkips (${drawn})`, batches);
    atMost(loop.lossCount, step, 'loop.lossCount', 'step');
    atMost(earlyStopping?.bestStep, step, 'loop.earlyStopping.bestStep', 'step');
  }
  if (json.backend !== undefined && typeof json.backend !== 'string') fail(`${path}.backend`, 'must be a string', json.backend);
  let evaluationParams: Record<string, readonly number[]> | undefined;
  if (json.evaluationParams !== undefined) {
    const given = json.evaluationParams;
    const at = `${path}.evaluationParams`;
    if (!isPlainObject(given)) fail(at, 'must be an object of parameter values by name', given);
    const values = new Map<string, readonly number[]>();
    for (const [name, parameter] of read) {
      if (!Object.hasOwn(given, name)) fail(`${at}.${name}`, 'is missing: every parameter needs its evaluation values', undefined);
      const data = readFloat32Values(given[name], `${at}.${name}`);
      if (data.length !== parameter.values.length)
        fail(`${at}.${name}`, `must hold ${parameter.values.length} values like the parameter`, data.length);
      values.set(name, data);
    }
    for (const name of Object.keys(given)) if (!read.has(name)) fail(`${at}.${name}`, 'is not a parameter of the checkpoint', name);
    evaluationParams = Object.fromEntries(values);
  }
  return {
    format: CHECKPOINT_FORMAT,
    step,
    batches,
    seed: json.seed as number,
    batchSize: batchSize as number,
    params,
    optimizer: json.optimizer as OptimizerSpec,
    optimizerState: state,
    loop,
    ...(evaluationParams && { evaluationParams }),
    ...(typeof json.backend === 'string' && { backend: json.backend }),
  };
}

/** Reads a checkpoint inside a checkpoint (a guard's snapshot), its errors under `path`. */
export function readNestedCheckpoint(input: unknown, path: string): Checkpoint {
  try {
    return readCheckpoint(input);
  } catch (error) {
    if (!(error instanceof StepsizeError) || !error.path.startsWith('checkpoint')) throw error;
    const problem = error.message.slice(error.path.length + 1);
    throw new StepsizeError(`${path}${error.path.slice('checkpoint'.length)}`, problem, error.value, { cause: error });
  }
}

/**
 * Checks that a checkpoint's parameters fit a backend's: the same names, and the
 * same shapes (the same sizes for a migrated checkpoint without shapes). Every
 * mismatch is listed in one error.
 */
export function checkCheckpointFits(checkpoint: Checkpoint, shapes: Readonly<Record<string, readonly number[]>>, backend: string): void {
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const saved = ownValue(checkpoint.params, name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (saved === undefined) problems.push(`${name} is missing`);
    else if (saved.shape !== undefined && saved.shape.join(',') !== shape.join(','))
      problems.push(`${name} has shape [${saved.shape.join(', ')}], the model [${shape.join(', ')}]`);
    else if (saved.values.length !== size) problems.push(`${name} holds ${saved.values.length} values, the model ${size}`);
  }
  for (const name of Object.keys(checkpoint.params))
    if (!Object.hasOwn(shapes, name)) problems.push(`${name} is not a parameter of the model`);
  if (problems.length > 0) {
    throw new StepsizeError('checkpoint.params', `do not fit the ${backend} model: ${problems.join('; ')}`, Object.keys(checkpoint.params));
  }
}

/**
 * Refuses to write a checkpoint that JSON cannot hold exactly: throws a
 * {@link StepsizeError} naming the first NaN or ±Infinity of its parameters, its
 * optimizer state or early stopping's best parameters (path
 * `checkpoint.params.w.values[3]`, `checkpoint.optimizerState.params.w.expAvgSq[0]`;
 * value the bad number): the run diverged, and a checkpoint with null in its place
 * would resume a different run. `train()` calls it before every save.
 *
 * @example
 * ```ts
 * checkCheckpointFinite(checkpoint); // throws "checkpoint.params.w.values[3] is NaN: the run diverged ..."
 * ```
 */
export function checkCheckpointFinite(checkpoint: Checkpoint): void {
  const state = checkpoint.optimizerState;
  const tensors: [string, readonly number[]][] = [];
  const add = (prefix: string, record: Readonly<Record<string, readonly number[]>>): void => {
    for (const [name, values] of Object.entries(record)) tensors.push([`${prefix}.${name}`, values]);
  };
  for (const [name, parameter] of Object.entries(checkpoint.params)) tensors.push([`params.${name}.values`, parameter.values]);
  for (const [name, slots] of Object.entries(state.params)) add(`optimizerState.params.${name}`, slots);
  add('optimizerState.accumulated', state.accumulated);
  add('optimizerState.ema', state.ema);
  add('loop.earlyStopping.bestParams', checkpoint.loop.earlyStopping?.bestParams ?? {});
  for (const [where, values] of tensors) {
    const index = values.findIndex((v) => !Number.isFinite(v));
    if (index < 0) continue;
    throw new StepsizeError(
      `checkpoint.${where}[${index}]`,
      `is ${values[index]}: the run diverged by update ${checkpoint.step}; no checkpoint is written (JSON has no NaN or Infinity)`,
      values[index],
    );
  }
}
