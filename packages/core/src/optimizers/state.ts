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
}

/** A record with every value mapped. */
export function mapRecord<A, B>(record: Readonly<Record<string, A>>, f: (value: A, key: string) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [key, value] of Object.entries(record)) out[key] = f(value, key);
  return out;
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

function readCount(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, 'must be an integer >= 0', value);
  return value as number;
}

function readValues(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}[${i}]`, 'must be a finite number', v);
  });
  return value as number[];
}

function readTensors<T>(value: unknown, path: string, fromValues: (values: number[]) => T): Record<string, T> {
  if (!isPlainObject(value)) fail(path, 'must be an object of arrays by name', value);
  return mapRecord(value, (v, key) => fromValues(readValues(v, `${path}.${key}`)));
}

/**
 * Reads optimizer state written by {@link stateToJSON}, validating its shape;
 * errors name the path (`state.params.w.expAvg[3]`). A compiled optimizer's
 * `checkState` (or `OptimizerRunner.loadState`) then checks that it fits the
 * parameters.
 *
 * @example
 * ```ts
 * const state = stateFromJSON(json, (values) => Float32Array.from(values));
 * ```
 */
export function stateFromJSON<T>(json: unknown, fromValues: (values: number[]) => T): OptimizerState<T> {
  const path = 'state';
  if (!isPlainObject(json)) fail(path, 'must be an optimizer state object', json);
  const groups = json.groups;
  if (!Array.isArray(groups)) fail(`${path}.groups`, 'must be an array', groups);
  const params = json.params;
  if (!isPlainObject(params)) fail(`${path}.params`, 'must be an object of slots by parameter name', params);
  return {
    step: readCount(json.step, `${path}.step`),
    skipped: readCount(json.skipped, `${path}.skipped`),
    microStep: readCount(json.microStep, `${path}.microStep`),
    groups: groups.map((g: unknown, i) => {
      if (!isPlainObject(g)) fail(`${path}.groups[${i}]`, 'must be an object of numbers', g);
      return mapRecord(g, (v, key) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.groups[${i}].${key}`, 'must be a finite number', v);
        return v;
      });
    }),
    params: mapRecord(params, (slots, name) => readTensors(slots, `${path}.params.${name}`, fromValues)),
    accumulated: readTensors(json.accumulated ?? {}, `${path}.accumulated`, fromValues),
    ema: readTensors(json.ema ?? {}, `${path}.ema`, fromValues),
  };
}
