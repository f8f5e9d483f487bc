import { StepsizeError, describeValue } from '../errors.js';
import { type OptionSpec, type ReadContext, isPlainObject, readOptions, fail, childPath } from './options.js';

/**
 * A signal a metric-driven schedule learns from: the validation metric for
 * {@link reduceOnPlateau}, the gradient norm for {@link adaGradNorm}.
 * `step` is the step the signal belongs to (composites use it to route the
 * signal to the part of the schedule active at that step, with re-based steps).
 */
export interface ScheduleSignal {
  /** The integer step (>= 0) the signal was measured at. */
  readonly step: number;
  /** A monitored metric (e.g. validation loss), read by reduce-on-plateau. */
  readonly metric?: number;
  /** The global gradient norm of this step, read by AdaGrad-Norm. */
  readonly gradientNorm?: number;
}

/** The JSON form of a schedule: `{ "type": "...", ...options, "state"?: {...} }`. */
export interface ScheduleSpec {
  readonly type: string;
  readonly [option: string]: unknown;
}

/**
 * A learning-rate (or any hyperparameter) schedule: call it with an integer step
 * to get the value at that step.
 *
 * Pure schedules are closed-form functions of the step: O(1) at any step, no
 * recursion from a previous value, so evaluating step 10^9 is exact and instant.
 * Metric-driven schedules (reduce-on-plateau, AdaGrad-Norm) also hold plain
 * state that {@link Schedule.observe} updates; composites that contain one are
 * stateful too.
 *
 * @example
 * ```ts
 * const lr = warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-3, steps: 900 }) });
 * lr(0);    // 0
 * lr(100);  // 0.001
 * JSON.stringify(lr); // its spec, ready for scheduleFromJSON
 * ```
 */
export interface Schedule {
  /** The value at `step` (a safe integer >= 0). Throws {@link StepsizeError} for a bad step. */
  (step: number): number;
  /** The spec type, e.g. `"cosineAnnealing"`. */
  readonly type: string;
  /** True when the schedule (or one of its parts) holds metric-driven state. */
  readonly stateful: boolean;
  /**
   * Feeds a signal to every metric-driven part active at `signal.step`
   * (a no-op for pure schedules). Throws {@link StepsizeError} for a
   * non-finite or missing signal.
   */
  observe(signal: ScheduleSignal): void;
  /** The JSON spec, state included; `scheduleFromJSON(schedule.toJSON())` rebuilds it exactly. */
  toJSON(): ScheduleSpec;
}

/** What a definition builds: the raw value function and, for metric-driven schedules, state handling. */
export interface ScheduleRuntime {
  /** Value at a validated step. */
  readonly value: (step: number) => number;
  /** Updates state from a validated signal (only stateful schedules need it). */
  readonly observe?: (signal: ScheduleSignal) => void;
  /** Plain JSON state (stateful leaves only). */
  readonly getState?: () => Record<string, unknown>;
  /** Whether this schedule holds state; defaults to `getState !== undefined`. */
  readonly stateful?: boolean;
}

/** Reads and validates the `state` object of a stateful schedule's spec. */
export interface StateReader<O, S> {
  /** Fresh state for given options. */
  initial(options: O): S;
  /** Validates a JSON state object (throws {@link StepsizeError} with `path`). */
  read(input: unknown, path: string, options: O): S;
  /** JSON Schema of the state object. */
  readonly schema: Record<string, unknown>;
}

/** Everything stepsize knows about one schedule type. */
export interface ScheduleDefinition<O = Record<string, unknown>, S = undefined> {
  readonly type: string;
  /** One sentence: formula and convention (used in the JSON Schema). */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Code-only schedules (custom functions) have no JSON form. */
  readonly codeOnly?: true;
  readonly state?: StateReader<O, S>;
  /** Cross-option checks and derived defaults; may fill optional options in place. */
  readonly check?: (options: O, path: string) => void;
  readonly build: (options: O, state: S) => ScheduleRuntime;
}

/** Type-erased definition, as the catalogue holds them. */
// biome-ignore lint/suspicious/noExplicitAny: type erasure; a definition both takes and returns O and S, so only any accepts every ScheduleDefinition<O, S> (unknown and never are rejected)
export type AnyScheduleDefinition = ScheduleDefinition<any, any>;

const runtimes = new WeakMap<object, ScheduleRuntime>();

/** True for schedules made by this library. */
export function isSchedule(value: unknown): value is Schedule {
  return typeof value === 'function' && runtimes.has(value);
}

/** The unchecked value function of a schedule (for composites; read once at build time). */
export function rawValue(schedule: Schedule): (step: number) => number {
  return (runtimes.get(schedule) as ScheduleRuntime).value;
}

/** The unchecked observe function of a schedule, or undefined for pure schedules. */
export function rawObserve(schedule: Schedule): ((signal: ScheduleSignal) => void) | undefined {
  return (runtimes.get(schedule) as ScheduleRuntime).observe;
}

/** Checks a step: a safe integer >= 0. */
export function checkStep(step: unknown, path: string): asserts step is number {
  if (!(Number.isSafeInteger(step) && (step as number) >= 0)) {
    fail(path, 'must be an integer step >= 0 (at most 2^53 - 1)', step);
  }
}

const SIGNAL_KEYS = new Set(['step', 'metric', 'gradientNorm']);

function checkSignal(signal: unknown, type: string): asserts signal is ScheduleSignal {
  const path = `${type}.observe(signal)`;
  if (!isPlainObject(signal)) fail(path, 'must be an object { step, metric?, gradientNorm? }', signal);
  for (const key of Object.keys(signal)) {
    if (!SIGNAL_KEYS.has(key)) fail(childPath(path, key), 'is not a signal field; known fields: step, metric, gradientNorm', key);
  }
  checkStep(signal.step, childPath(path, 'step'));
  if (signal.metric === undefined && signal.gradientNorm === undefined) {
    fail(path, 'must carry a metric or a gradientNorm', signal);
  }
  if (signal.metric !== undefined && (typeof signal.metric !== 'number' || !Number.isFinite(signal.metric))) {
    fail(childPath(path, 'metric'), 'must be a finite number (a NaN or infinite metric would corrupt the schedule state)', signal.metric);
  }
  const norm = signal.gradientNorm;
  if (norm !== undefined && (typeof norm !== 'number' || !Number.isFinite(norm) || norm < 0)) {
    fail(childPath(path, 'gradientNorm'), 'must be a finite number >= 0', norm);
  }
}

/**
 * Deepest nesting of schedules, JSON specs and code alike: a leaf wrapped in at
 * most 64 composites, so parsing and `toJSON` never come near the stack limit.
 */
export const MAX_NESTING_DEPTH = 64;
const depths = new WeakMap<object, number>();

/**
 * Levels of schedules in a new schedule with these options: 1 for a leaf, 1 +
 * the deepest part for a composite. Refuses nesting past {@link MAX_NESTING_DEPTH}.
 */
function nestingDepth(type: string, options: unknown): number {
  let deepest = 0;
  for (const value of Object.values(options as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if ((typeof item === 'function' || typeof item === 'object') && item !== null) deepest = Math.max(deepest, depths.get(item) ?? 0);
    }
  }
  // As in JSON: a leaf wrapped in at most MAX_NESTING_DEPTH composites.
  if (deepest > MAX_NESTING_DEPTH) {
    fail(
      `${type} options`,
      `would nest schedules deeper than ${MAX_NESTING_DEPTH} levels, the limit of JSON specs (levels of the deepest part given)`,
      deepest,
    );
  }
  return deepest + 1;
}

/** Turns validated options into the public callable schedule. */
function instantiate<O, S>(definition: ScheduleDefinition<O, S>, options: O, state: S): Schedule {
  const depth = nestingDepth(definition.type, options);
  const runtime = definition.build(options, state);
  const { type } = definition;
  const value = runtime.value;
  const stateful = runtime.stateful ?? runtime.getState !== undefined;
  const stepPath = `${type}(step): step`;
  const schedule = function evaluate(step: number): number {
    if (!(Number.isSafeInteger(step) && step >= 0)) checkStep(step, stepPath);
    const result = value(step);
    if (!(result >= 0 && result <= Number.MAX_VALUE)) {
      throw new StepsizeError(
        `${type}(${step})`,
        `produced ${describeValue(result)}: a schedule value must be finite and >= 0 (a growth factor above 1 overflows at large steps; a custom function must return a finite non-negative number)`,
        result,
      );
    }
    return result;
  } as Schedule;
  const observe = runtime.observe;
  Object.defineProperties(schedule, {
    type: { value: type, enumerable: true },
    stateful: { value: stateful, enumerable: true },
    observe: {
      value: (signal: ScheduleSignal) => {
        checkSignal(signal, type);
        observe?.(signal);
      },
    },
    toJSON: {
      value: () => specOf(definition, options as Record<string, unknown>, runtime),
    },
  });
  runtimes.set(schedule, runtime);
  depths.set(schedule, depth);
  return schedule;
}

function specOf(definition: AnyScheduleDefinition, options: Record<string, unknown>, runtime: ScheduleRuntime): ScheduleSpec {
  const spec: Record<string, unknown> = { type: definition.type };
  for (const [key, optionSpec] of Object.entries(definition.options)) {
    const value = options[key];
    if (value === undefined) continue;
    if (optionSpec.kind === 'function') {
      throw new StepsizeError(
        `${definition.type} options.${key}`,
        'is a custom function, which JSON cannot hold: functions are code, not data. Keep this schedule in code, or express it with the built-in types',
        value,
      );
    }
    if (optionSpec.kind === 'schedule') spec[key] = (value as Schedule).toJSON();
    else if (optionSpec.kind === 'hyperparameter' && typeof value !== 'number') spec[key] = (value as Schedule).toJSON();
    else if (optionSpec.kind === 'scheduleList') spec[key] = (value as Schedule[]).map((s) => s.toJSON());
    else if (Array.isArray(value)) spec[key] = [...(value as unknown[])];
    else if (isPlainObject(value)) spec[key] = { ...value };
    else spec[key] = value;
  }
  if (runtime.getState) spec.state = runtime.getState();
  return spec as ScheduleSpec;
}

function codeContext(type: string): ReadContext {
  return {
    mode: 'code',
    path: `${type} options`,
    readSchedule: (input, path) => {
      if (!isSchedule(input)) fail(path, 'must be a schedule made by stepsize (e.g. cosineAnnealing({...}))', input);
      return input;
    },
  };
}

/** Builds a schedule from options given in code. */
export function createSchedule<O, S>(definition: ScheduleDefinition<O, S>, input: unknown): Schedule {
  const context = codeContext(definition.type);
  const options = readOptions(definition.options, input, context) as O;
  definition.check?.(options, context.path);
  const state = definition.state ? definition.state.initial(options) : (undefined as S);
  return instantiate(definition, options, state);
}

/** Builds a schedule from a JSON spec object (already known to be of `definition.type`). */
export function createFromSpec<O, S>(
  definition: ScheduleDefinition<O, S>,
  spec: Record<string, unknown>,
  path: string,
  readSchedule: (input: unknown, path: string) => Schedule,
): Schedule {
  // `$schema` lets a spec file name its JSON Schema for editors; it is accepted and ignored.
  const extra = definition.state ? ['type', '$schema', 'state'] : ['type', '$schema'];
  const options = readOptions(definition.options, spec, { mode: 'json', path, readSchedule }, extra) as O;
  definition.check?.(options, path);
  let state: S;
  if (definition.state) {
    state =
      spec.state === undefined ? definition.state.initial(options) : definition.state.read(spec.state, childPath(path, 'state'), options);
  } else {
    state = undefined as S;
  }
  return instantiate(definition, options, state);
}

/** Declares a schedule type (identity function that fixes the generic types). */
export function defineSchedule<O, S = undefined>(definition: ScheduleDefinition<O, S>): ScheduleDefinition<O, S> {
  return definition;
}
