/**
 * The one error type stepsize throws for bad input: invalid options, invalid
 * JSON specs, steps out of range, misuse of stateful schedules.
 *
 * `path` locates the problem (`$.schedules[1].steps` for a JSON spec,
 * `cosineAnnealing options.steps` for a constructor call) and `value` is the
 * offending value, so a caller can report both without parsing the message.
 *
 * @example
 * ```ts
 * try {
 *   cosineAnnealing({ initialValue: 0.1, steps: -3 });
 * } catch (error) {
 *   if (error instanceof StepsizeError) console.error(error.path, error.value);
 * }
 * ```
 */
export class StepsizeError extends Error {
  /** Where the problem is: a JSON path (`$.schedule.steps`) or `<type> options.<key>`. */
  readonly path: string;
  /** The offending value, as received. */
  readonly value: unknown;

  constructor(path: string, problem: string, value?: unknown, options?: { cause?: unknown }) {
    super(`${path} ${problem}`, options);
    this.name = 'StepsizeError';
    this.path = path;
    this.value = value;
  }
}

/** Renders a received value for an error message: short, unambiguous, never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    return String(value);
  }
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'bigint') {
    return typeof value === 'bigint' ? `${value}n` : String(value);
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'symbol') return value.toString();
  return 'an object';
}
