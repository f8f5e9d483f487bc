import { StepsizeError, describeValue } from '../errors.js';
import type { Schedule } from './schedule.js';

/** Shared fields of every option descriptor. */
interface OptionBase {
  /** One line for TSDoc-style docs, the JSON Schema and error messages. */
  readonly description: string;
  /** The option may be left out and has no fixed default (the definition derives one or does without). */
  readonly optional?: true;
}

/** A number option; `integer` means a safe integer. */
export interface NumberOption extends OptionBase {
  readonly kind: 'number';
  readonly integer?: true;
  readonly min?: number;
  readonly exclusiveMin?: true;
  readonly max?: number;
  readonly exclusiveMax?: true;
  readonly default?: number;
}

/** A list of numbers, optionally ordered. */
export interface NumberListOption extends OptionBase {
  readonly kind: 'numberList';
  readonly integer?: true;
  readonly min?: number;
  readonly exclusiveMin?: true;
  readonly max?: number;
  readonly order?: 'increasing' | 'nondecreasing';
  readonly minLength?: number;
  readonly default?: readonly number[];
}

export interface BooleanOption extends OptionBase {
  readonly kind: 'boolean';
  readonly default?: boolean;
}

export interface EnumOption extends OptionBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
  readonly default?: string;
}

export interface ScheduleOption extends OptionBase {
  readonly kind: 'schedule';
}

export interface ScheduleListOption extends OptionBase {
  readonly kind: 'scheduleList';
  readonly minLength: number;
}

/**
 * A hyperparameter: a number in range, or a schedule (a spec object in JSON)
 * whose values are checked against the same range when evaluated.
 */
export interface HyperparameterOption extends OptionBase {
  readonly kind: 'hyperparameter';
  readonly min?: number;
  readonly exclusiveMin?: true;
  readonly max?: number;
  readonly exclusiveMax?: true;
  readonly default?: number;
}

/**
 * A record from integer steps to numbers (optax's `{step: scale}` dicts): keys
 * are steps >= 0 written in decimal (JSON keys are strings), values in range.
 * Read back with its keys in increasing step order.
 */
export interface StepRecordOption extends OptionBase {
  readonly kind: 'stepRecord';
  readonly min?: number;
  readonly default?: Readonly<Record<string, number>>;
}

/** A list of non-empty strings (names, globs). */
export interface StringListOption extends OptionBase {
  readonly kind: 'stringList';
}

/** A function: allowed in code, refused in JSON. */
export interface FunctionOption extends OptionBase {
  readonly kind: 'function';
}

/** Describes one option of a schedule: its type, its range, its default. */
export type OptionSpec =
  | NumberOption
  | NumberListOption
  | StepRecordOption
  | BooleanOption
  | EnumOption
  | ScheduleOption
  | ScheduleListOption
  | HyperparameterOption
  | StringListOption
  | FunctionOption;

/** Where options come from: a constructor call in code, or a JSON spec. */
export interface ReadContext {
  readonly mode: 'code' | 'json';
  /** Path of the options object itself, e.g. `$.schedules[0]` or `cosineAnnealing options`. */
  readonly path: string;
  /** Turns a nested spec into a schedule (JSON mode) or checks a schedule object (code mode). */
  readonly readSchedule: (input: unknown, path: string) => Schedule;
  /**
   * Accept any finite magnitude instead of at most {@link MAX_OPTION_MAGNITUDE}:
   * for metric-driven state (an observed metric, a sum of squared gradient
   * norms), which is data rather than an option and must round-trip whatever it is.
   */
  readonly anyMagnitude?: true;
}

/** Keys that can never be option names: they would reach or shadow `Object.prototype`. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Joins a path and a key the way error messages show them. */
export function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/** True for `{}`-style objects (not arrays, class instances, functions or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** "an integer >= 1", "a number in [0, 1)", ... */
export function describeRange(spec: { integer?: true; min?: number; exclusiveMin?: true; max?: number; exclusiveMax?: true }): string {
  const noun = spec.integer ? 'an integer' : 'a finite number';
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) {
    return `${noun} in ${spec.exclusiveMin ? '(' : '['}${min}, ${max}${spec.exclusiveMax ? ')' : ']'}`;
  }
  if (min !== undefined) return `${noun} ${spec.exclusiveMin ? '>' : '>='} ${min}`;
  if (max !== undefined) return `${noun} ${spec.exclusiveMax ? '<' : '<='} ${max}`;
  return noun;
}

export function inRange(
  value: number,
  spec: { integer?: true; min?: number; exclusiveMin?: true; max?: number; exclusiveMax?: true },
): boolean {
  if (!Number.isFinite(value)) return false;
  if (spec.integer && !Number.isSafeInteger(value)) return false;
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) return false;
  if (spec.max !== undefined && (spec.exclusiveMax ? value >= spec.max : value > spec.max)) return false;
  return true;
}

/** Throws the library's error for one option. */
export function fail(path: string, problem: string, value: unknown): never {
  throw new StepsizeError(path, `${problem}, got ${describeValue(value)}`, value);
}

/**
 * Largest magnitude of a number option (1e280): products with a step (up to
 * 2^53) and sums and differences of options then stay finite. No schedule
 * needs a larger one. Metric-driven state is not capped.
 */
export const MAX_OPTION_MAGNITUDE = 1e280;

/** Refuses a magnitude above the cap (unless `anyMagnitude`) and turns -0 into 0. */
function checkMagnitude(value: number, path: string, context: ReadContext): number {
  if (!context.anyMagnitude && Math.abs(value) > MAX_OPTION_MAGNITUDE) {
    fail(path, `must be at most ${MAX_OPTION_MAGNITUDE} in magnitude (larger values overflow intermediate results)`, value);
  }
  return value + 0; // -0 becomes 0: JSON has no -0, so specs round-trip exactly
}

function readNumber(spec: NumberOption, value: unknown, path: string, context: ReadContext): number {
  if (typeof value !== 'number' || !inRange(value, spec)) fail(path, `must be ${describeRange(spec)}`, value);
  return checkMagnitude(value, path, context);
}

function readNumberList(spec: NumberListOption, value: unknown, path: string, context: ReadContext): number[] {
  const rule = describeRange(spec);
  if (!Array.isArray(value)) fail(path, `must be an array whose elements are each ${rule}`, value);
  const minLength = spec.minLength ?? 0;
  if (value.length < minLength) {
    fail(path, `must have at least ${minLength} element${minLength === 1 ? '' : 's'}`, value);
  }
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const item: unknown = value[i];
    const itemPath = childPath(path, i);
    if (typeof item !== 'number' || !inRange(item, spec)) fail(itemPath, `must be ${rule}`, item);
    checkMagnitude(item, itemPath, context);
    const previous = out[i - 1];
    if (previous !== undefined && spec.order === 'increasing' && item <= previous) {
      fail(itemPath, `must be greater than the element before it (${previous}): the list must be strictly increasing`, item);
    }
    if (previous !== undefined && spec.order === 'nondecreasing' && item < previous) {
      fail(itemPath, `must not be less than the element before it (${previous}): the list must be sorted`, item);
    }
    out.push(item + 0);
  }
  return out;
}

/** A step written in decimal, as JSON and JavaScript object keys hold it: `0` or no leading zero. */
const STEP_KEY = /^(0|[1-9]\d*)$/;

function readStepRecord(spec: StepRecordOption, value: unknown, path: string, context: ReadContext): Record<string, number> {
  const rule = describeRange(spec);
  if (!isPlainObject(value)) fail(path, `must be an object { step: value } with integer steps >= 0 as keys and values each ${rule}`, value);
  const entries: [number, number][] = [];
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}[${JSON.stringify(key)}]`;
    if (!(STEP_KEY.test(key) && Number.isSafeInteger(Number(key)))) {
      fail(itemPath, 'is not a step: keys must be integer steps >= 0 in decimal (at most 2^53 - 1)', key);
    }
    if (typeof item !== 'number' || !inRange(item, spec)) fail(itemPath, `must be ${rule}`, item);
    entries.push([Number(key), checkMagnitude(item, itemPath, context)]);
  }
  const out: Record<string, number> = {};
  for (const [step, item] of entries.sort((a, b) => a[0] - b[0])) out[step] = item;
  return out;
}

function readOne(spec: OptionSpec, value: unknown, path: string, context: ReadContext): unknown {
  switch (spec.kind) {
    case 'number':
      return readNumber(spec, value, path, context);
    case 'numberList':
      return readNumberList(spec, value, path, context);
    case 'stepRecord':
      return readStepRecord(spec, value, path, context);
    case 'boolean':
      if (typeof value !== 'boolean') fail(path, 'must be true or false', value);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        fail(path, `must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`, value);
      }
      return value;
    case 'schedule':
      return context.readSchedule(value, path);
    case 'hyperparameter':
      if (typeof value === 'number') {
        if (!inRange(value, spec)) fail(path, `must be ${describeRange(spec)} or a schedule`, value);
        return checkMagnitude(value, path, context);
      }
      if (context.mode === 'json' && !isPlainObject(value)) {
        fail(path, `must be ${describeRange(spec)} or a schedule spec object`, value);
      }
      if (context.mode === 'code' && typeof value !== 'function') {
        fail(path, `must be ${describeRange(spec)} or a schedule`, value);
      }
      return context.readSchedule(value, path);
    case 'stringList':
      if (!Array.isArray(value)) fail(path, 'must be an array of strings', value);
      value.forEach((item: unknown, i) => {
        if (typeof item !== 'string' || item === '') fail(childPath(path, i), 'must be a non-empty string', item);
      });
      return [...(value as string[])];
    case 'scheduleList': {
      if (!Array.isArray(value)) fail(path, 'must be an array of schedules', value);
      if (value.length < spec.minLength) fail(path, `must hold at least ${spec.minLength} schedules`, value);
      return value.map((item: unknown, i) => context.readSchedule(item, childPath(path, i)));
    }
    case 'function':
      if (context.mode === 'json') {
        fail(
          path,
          'is a custom function, which JSON cannot hold: functions are code, not data. Build this schedule in code, or express it with the built-in types',
          value,
        );
      }
      if (typeof value !== 'function') fail(path, 'must be a function (step) => number', value);
      return value;
  }
}

/**
 * Validates an options object against descriptors, applies defaults and returns
 * a fresh object holding exactly the known options. `extraKeys` are accepted and
 * skipped (`type`, `state` in JSON specs).
 */
export function readOptions(
  specs: Readonly<Record<string, OptionSpec>>,
  input: unknown,
  context: ReadContext,
  extraKeys: readonly string[] = [],
): Record<string, unknown> {
  if (!isPlainObject(input)) fail(context.path, 'must be a plain object of options', input);
  const known = Object.keys(specs);
  for (const key of Object.keys(input)) {
    if (FORBIDDEN_KEYS.has(key)) fail(childPath(context.path, key), 'is a forbidden key (it could reach Object.prototype)', key);
    if (!Object.hasOwn(specs, key) && !extraKeys.includes(key)) {
      fail(childPath(context.path, key), `is not a known option; known options: ${known.join(', ')}`, key);
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of known) {
    const spec = specs[key] as OptionSpec;
    const path = childPath(context.path, key);
    const given = input[key];
    if (given === undefined) {
      const fallback = 'default' in spec ? spec.default : undefined;
      if (fallback !== undefined) {
        out[key] = Array.isArray(fallback) ? [...(fallback as number[])] : isPlainObject(fallback) ? { ...fallback } : fallback;
      } else if (!spec.optional) {
        throw new StepsizeError(path, `is required (${spec.description})`, undefined);
      }
      continue;
    }
    out[key] = readOne(spec, given, path, context);
  }
  return out;
}
