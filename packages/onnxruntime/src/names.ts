import { StepsizeError } from '@stepsize/core';

/**
 * A record keyed by parameter names, with no prototype: every name is data (`constructor`,
 * `toString` and `__proto__` are ordinary keys), and `name in record` is true only for a
 * name set in it.
 *
 * @internal
 * @example
 * ```ts
 * const shapes = byName<number[]>([['constructor', [3]]]);
 * 'toString' in shapes; // false
 * ```
 */
export function byName<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

/**
 * Names a parameter cannot have: `@stepsize/core`'s optimizer step keeps its state in
 * ordinary objects, where writing the key `__proto__` replaces the object's prototype
 * instead of storing the parameter. Other names (`constructor`, `toString`, ...) train.
 */
const UNSTORABLE = new Set(['__proto__']);

/**
 * Refuses a parameter name the optimizer step cannot hold (see {@link UNSTORABLE}), with
 * an error at `where` (the parameter's path).
 *
 * @internal
 * @example
 * ```ts
 * refuseUnstorableName('__proto__', 'params.__proto__'); // throws
 * ```
 */
export function refuseUnstorableName(name: string, where: string): void {
  if (!UNSTORABLE.has(name)) return;
  throw new StepsizeError(
    where,
    `is a parameter name stepsize cannot train: @stepsize/core keeps optimizer state in plain objects, where "${name}" is the prototype, not a key; rename the parameter (the model's input "${name}" and output "${name}_grad")`,
    name,
  );
}

/**
 * `record[name]` when `name` is an own key of `record`, else undefined: a missing
 * `constructor` is missing, not `Object.prototype.constructor`.
 *
 * @internal
 * @example
 * ```ts
 * own({}, 'constructor'); // undefined
 * ```
 */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
