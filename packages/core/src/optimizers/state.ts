import { fail, isPlainObject } from '../schedules/options.js';
import type { HostState, Slots } from './definition.js';

/**
 * Optimizer state: plain data keyed by parameter name, with integer counters.
 * Tensors are the backend's own (`Float32Array`, `tf.Variable`, ...); the rest
 * is numbers. {@link stateToJSON} and {@link stateFromJSON} convert it to JSON
 * and back, exactly.
 */
export interface OptimizerState<T> {
  /** Updates applied so far. */
  readonly step: number;
  /** Steps skipped because of non-finite gradients (`nonFinite: 'skip'`). */
  readonly skipped: number;
  /** Micro-steps accumulated towards the next update (`accumulationSteps`). */
  readonly microStep: number;
  /** Host-side numbers per group (e.g. NAdam's momentum product), in group order. */
  readonly groups: readonly HostState[];
  /** Slots per parameter (every parameter has an entry, possibly empty). */
  readonly params: Readonly<Record<string, Readonly<Slots<T>>>>;
  /** Gradient sums of the current accumulation cycle (meaningful while `microStep > 0`). */
  readonly accumulated: Readonly<Record<string, T>>;
  /** Exponential moving average of the weights (`emaDecay`). */
  readonly ema: Readonly<Record<string, T>>;
  /**
   * Every parameter's shape (row-major), recorded by `init` for optimizers whose math reads
   * shapes (Muon, Adafactor); absent for the others.
   */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}

/** JSON form of {@link OptimizerState}: tensors become arrays of numbers. */
export interface OptimizerStateJSON {
  readonly step: number;
  readonly skipped: number;
  readonly microStep: number;
  readonly groups: readonly HostState[];
  readonly params: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
  readonly accumulated: Readonly<Record<string, readonly number[]>>;
  readonly ema: Readonly<Record<string, readonly number[]>>;
  /** Parameter shapes (Muon, Adafactor). */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}

/**
 * `record[key]` if it is the record's own property, else undefined: parameter and slot names
 * are data, so a missing `constructor` must not find `Object.prototype.constructor`.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A record with every value mapped. */
export function mapRecord<A, B>(record: Readonly<Record<string, A>>, f: (value: A, key: string) => B): Record<string, B> {
  // fromEntries defines own properties: a key such as `__proto__` stays a key.
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value, key)]));
}

/**
 * Converts the tensors of a state with `f` (to another backend's tensors, or to
 * copies), keeping the counters.
 *
 * @example
 * ```ts
 * const copy = mapState(state, (t) => Float32Array.from(t));
 * ```
 */
export function mapState<A, B>(state: OptimizerState<A>, f: (tensor: A) => B): OptimizerState<B> {
  return {
    step: state.step,
    skipped: state.skipped,
    microStep: state.microStep,
    groups: state.groups.map((g) => ({ ...g })),
    params: mapRecord(state.params, (slots) => mapRecord(slots, f)),
    accumulated: mapRecord(state.accumulated, f),
    ema: mapRecord(state.ema, f),
    ...(state.shapes && { shapes: mapRecord(state.shapes, (shape) => [...shape]) }),
  };
}

/**
 * Every tensor of a state, slots first (by parameter), then the gradient
 * accumulators and the weight averages: what a backend frees or reads back.
 *
 * @example
 * ```ts
 * for (const tensor of stateTensors(state)) tensor.dispose();
 * ```
 */
export function stateTensors<T>(state: OptimizerState<T>): T[] {
  const tensors: T[] = [];
  for (const slots of Object.values(state.params)) tensors.push(...Object.values(slots));
  tensors.push(...Object.values(state.accumulated), ...Object.values(state.ema));
  return tensors;
}

/**
 * Serializes optimizer state to plain JSON data (float32 values survive the
 * round trip exactly: every float32 is a double that JSON prints exactly).
 *
 * @example
 * ```ts
 * const json = stateToJSON(runner.state, (t) => t);
 * ```
 */
export function stateToJSON<T>(state: OptimizerState<T>, toValues: (tensor: T) => ArrayLike<number>): OptimizerStateJSON {
  return mapState(state, (t) => Array.from(toValues(t)));
}

/** The largest finite float32, 3.4028234663852886e38: every tensor value of a state or checkpoint must be within ±this. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** What the math needs of a slot's values: any finite float32 (`'signed'`), or `>= 0` as well (`'nonNegative'`). */
export type SlotConstraint = 'signed' | 'nonNegative';

/**
 * The constraint of every slot of every built-in optimizer, by optimizer type and
 * slot name, decided from its math: second moments and accumulators of squares
 * (`expAvgSq`, `maxExpAvgSq`, Adagrad's `sum`, `squareAvg`, Adadelta's `accDelta`)
 * go under a square root, Adamax's `expInf` is a norm and divides, Rprop's
 * `stepSize` is a magnitude; first moments, momentum buffers, RMSprop's `gradAvg`
 * and Rprop's `prev` (a kept gradient) take either sign. A test checks that every
 * slot of every built-in optimizer is listed (slots of other types are `'signed'`).
 */
export const builtinSlotConstraints: Readonly<Record<string, Readonly<Record<string, SlotConstraint>>>> = {
  sgd: { momentumBuffer: 'signed' },
  adam: { expAvg: 'signed', expAvgSq: 'nonNegative', maxExpAvgSq: 'nonNegative' },
  adamW: { expAvg: 'signed', expAvgSq: 'nonNegative', maxExpAvgSq: 'nonNegative' },
  adamax: { expAvg: 'signed', expInf: 'nonNegative' },
  nadam: { expAvg: 'signed', expAvgSq: 'nonNegative' },
  radam: { expAvg: 'signed', expAvgSq: 'nonNegative' },
  lamb: { expAvg: 'signed', expAvgSq: 'nonNegative' },
  adagrad: { sum: 'nonNegative' },
  adadelta: { squareAvg: 'nonNegative', accDelta: 'nonNegative' },
  rmsprop: { squareAvg: 'nonNegative', momentumBuffer: 'signed', gradAvg: 'signed' },
  rprop: { prev: 'signed', stepSize: 'nonNegative' },
  lion: { expAvg: 'signed' },
  adabelief: { expAvg: 'signed', expAvgVar: 'nonNegative' },
  adopt: { expAvg: 'signed', expAvgSq: 'nonNegative' },
  ademamix: { expAvgFast: 'signed', expAvgSlow: 'signed', expAvgSq: 'nonNegative' },
  lars: { momentumBuffer: 'signed' },
  scheduleFreeAdamW: { z: 'signed', expAvgSq: 'nonNegative' },
  scheduleFreeSgd: { z: 'signed' },
  prodigy: { expAvg: 'signed', expAvgSq: 'nonNegative', gradSum: 'signed', initialParam: 'signed' },
  dAdaptAdamW: { expAvg: 'signed', expAvgSq: 'nonNegative', gradSum: 'signed' },
  dog: { initialParam: 'signed' },
  muon: { momentumBuffer: 'signed', expAvg: 'signed', expAvgSq: 'nonNegative' },
  adafactor: { rowVariance: 'nonNegative', columnVariance: 'nonNegative', variance: 'nonNegative' },
};

/** Options of {@link stateFromJSON}. */
export interface StateFromJSONOptions {
  /** Where errors point. Default `'state'` (`checkpoint.optimizerState` for a checkpoint's). */
  readonly path?: string | undefined;
  /** The optimizer type whose `builtinSlotConstraints` apply (none when left out or not built in). */
  readonly optimizerType?: string | undefined;
}

function readShapes(value: unknown, path: string): Record<string, readonly number[]> {
  if (!isPlainObject(value)) fail(path, 'must be an object of shapes by parameter name', value);
  return mapRecord(value, (shape, name) => {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`${path}.${name}`, 'must be an array of integers >= 0', shape);
    return [...(shape as number[])];
  });
}

function readCount(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, 'must be an integer >= 0', value);
  return value as number;
}

/**
 * Checks one number of a state or checkpoint: a number (not null, a boolean, a
 * string or an array), finite and within float32 range (`|v| <=` {@link FLOAT32_MAX}),
 * and `>= 0` under `'nonNegative'`. Errors name `path` and the value.
 *
 * @example
 * ```ts
 * readFloat32(json.values[3], 'checkpoint.params.w.values[3]');
 * ```
 */
export function readFloat32(value: unknown, path: string, constraint: SlotConstraint = 'signed'): number {
  const nonNegative = constraint === 'nonNegative';
  if (typeof value !== 'number' || !(Math.abs(value) <= FLOAT32_MAX) || (nonNegative && value < 0)) {
    fail(path, `must be a finite float32 number${nonNegative ? ' >= 0' : ''} (|v| <= ${FLOAT32_MAX})`, value);
  }
  return value;
}

/**
 * An array of `readFloat32` numbers; errors name the element (`path[3]`).
 *
 * @example
 * ```ts
 * const values = readFloat32Values(json.values, 'checkpoint.params.w.values');
 * ```
 */
export function readFloat32Values(value: unknown, path: string, constraint: SlotConstraint = 'signed'): number[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  value.forEach((v: unknown, i) => {
    readFloat32(v, `${path}[${i}]`, constraint);
  });
  return value as number[];
}

function readTensors(value: unknown, path: string, constraints: Readonly<Record<string, SlotConstraint>> = {}): Record<string, number[]> {
  if (!isPlainObject(value)) fail(path, 'must be an object of arrays by name', value);
  return mapRecord(value, (v, key) => readFloat32Values(v, `${path}.${key}`, constraints[key]));
}

/**
 * Reads optimizer state written by {@link stateToJSON}, validating it before any
 * value is converted: counters are integers >= 0, every number is finite and
 * within float32 range (`readFloat32`), and with `optimizerType` the slots
 * the math needs non-negative are (`builtinSlotConstraints`); errors name the
 * path and the value (`state.params.w.expAvgSq[3] must be a finite float32 number
 * >= 0 ..., got -1`). A compiled optimizer's `checkState` (or
 * `OptimizerRunner.loadState`) then checks that it fits the parameters.
 *
 * @example
 * ```ts
 * const state = stateFromJSON(json, (values) => Float32Array.from(values), { optimizerType: 'adam' });
 * ```
 */
export function stateFromJSON<T>(
  json: unknown,
  fromValues: (values: number[]) => T,
  options: StateFromJSONOptions = {},
): OptimizerState<T> {
  const { path = 'state', optimizerType } = options;
  const constraints =
    (optimizerType !== undefined && Object.hasOwn(builtinSlotConstraints, optimizerType) && builtinSlotConstraints[optimizerType]) || {};
  if (!isPlainObject(json)) fail(path, 'must be an optimizer state object', json);
  const groups = json.groups;
  if (!Array.isArray(groups)) fail(`${path}.groups`, 'must be an array', groups);
  const params = json.params;
  if (!isPlainObject(params)) fail(`${path}.params`, 'must be an object of slots by parameter name', params);
  // Every number is checked before the first tensor is made.
  const checked: OptimizerState<number[]> = {
    step: readCount(json.step, `${path}.step`),
    skipped: readCount(json.skipped, `${path}.skipped`),
    microStep: readCount(json.microStep, `${path}.microStep`),
    groups: groups.map((g: unknown, i) => {
      if (!isPlainObject(g)) fail(`${path}.groups[${i}]`, 'must be an object of numbers', g);
      return mapRecord(g, (v, key) => readFloat32(v, `${path}.groups[${i}].${key}`));
    }),
    params: mapRecord(params, (slots, name) => readTensors(slots, `${path}.params.${name}`, constraints)),
    accumulated: readTensors(json.accumulated ?? {}, `${path}.accumulated`),
    ema: readTensors(json.ema ?? {}, `${path}.ema`),
    ...(json.shapes !== undefined && { shapes: readShapes(json.shapes, `${path}.shapes`) }),
  };
  return mapState(checked, fromValues);
}
