import { StepsizeError } from '../errors.js';
import { scheduleDefinitions } from './catalogue.js';
import { FORBIDDEN_KEYS, childPath, fail, isPlainObject } from './options.js';
import { MAX_NESTING_DEPTH, createFromSpec, type AnyScheduleDefinition, type Schedule, type ScheduleSpec } from './schedule.js';

const byType = new Map<string, AnyScheduleDefinition>(scheduleDefinitions.map((d) => [d.type, d]));

/** Types that have a JSON form (every built-in except custom functions). */
export const scheduleTypes: readonly string[] = scheduleDefinitions.filter((d) => !d.codeOnly).map((d) => d.type);

/** Deepest nesting of composite specs accepted (protects the parser's stack); code constructors keep the same limit. */
export const MAX_SPEC_DEPTH = MAX_NESTING_DEPTH;

function read(input: unknown, path: string, depth: number): Schedule {
  if (depth > MAX_SPEC_DEPTH) fail(path, `is nested deeper than ${MAX_SPEC_DEPTH} levels`, input);
  if (!isPlainObject(input)) fail(path, 'must be a schedule spec object { "type": ..., ...options }', input);
  if (Object.hasOwn(input, '__proto__'))
    fail(childPath(path, '__proto__'), 'is a forbidden key (it could reach Object.prototype)', '__proto__');
  const type = input.type;
  const typePath = childPath(path, 'type');
  if (type === undefined) fail(typePath, `is required; known types: ${scheduleTypes.join(', ')}`, type);
  if (typeof type !== 'string') fail(typePath, 'must be a string', type);
  const definition = FORBIDDEN_KEYS.has(type) ? undefined : byType.get(type);
  if (definition === undefined) fail(typePath, `is not a known schedule type; known types: ${scheduleTypes.join(', ')}`, type);
  if (definition.codeOnly) {
    fail(
      typePath,
      'is a custom-function schedule, which JSON cannot hold: functions are code, not data. Build it in code, or use a built-in type',
      type,
    );
  }
  return createFromSpec(definition, input, path, (child, childAt) => read(child, childAt, depth + 1));
}

/** Reads a nested schedule spec found at `path` of a larger document (e.g. an optimizer's learning rate). */
export function readScheduleSpec(input: unknown, path: string): Schedule {
  return read(input, path, 1);
}

/**
 * Builds a schedule from its JSON spec (an object or a JSON string), validating
 * every option. Errors are {@link StepsizeError}s whose `path` is the JSON path
 * of the problem (`$.schedules[1].steps`); unknown types list the known ones,
 * unknown keys list the known options, `__proto__`-style keys are refused and
 * custom functions are refused with the reason.
 *
 * Round trip: `scheduleFromJSON(JSON.stringify(schedule))` rebuilds the same
 * schedule, metric-driven state included.
 *
 * @example
 * ```ts
 * const lr = scheduleFromJSON({
 *   type: 'warmup', steps: 100,
 *   schedule: { type: 'cosineAnnealing', initialValue: 0.001, steps: 900 },
 * });
 * lr(100); // 0.001
 * ```
 */
export function scheduleFromJSON(spec: ScheduleSpec | string | unknown): Schedule {
  let value: unknown = spec;
  if (typeof spec === 'string') {
    try {
      value = JSON.parse(spec);
    } catch (error) {
      throw new StepsizeError('$', `is not valid JSON (${(error as Error).message})`, spec, { cause: error });
    }
  }
  return read(value, '$', 0);
}
