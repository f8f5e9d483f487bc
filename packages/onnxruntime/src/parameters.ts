import { StepsizeError } from '@stepsize/core';

/** A record with no prototype, keyed by parameter names: every name is data (`'toString' in record` only when set). */
export function byName<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

/**
 * Refuses `__proto__` as a parameter name (error at `where`): core's optimizer step keeps its
 * state in plain objects, where that key is the prototype. Other names (`constructor`, ...) train.
 */
export function refuseUnstorableName(name: string, where: string): void {
  if (name !== '__proto__') return;
  throw new StepsizeError(
    where,
    `is a parameter name stepsize cannot train: @stepsize/core keeps optimizer state in plain objects, where "${name}" is the prototype, not a key; rename the parameter (the model's input "${name}" and output "${name}_grad")`,
    name,
  );
}

/** `record[name]` when `name` is an own key (a missing `constructor` is missing, not `Object.prototype.constructor`). */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** A parameter: its float32 values (row-major) and shape. */
export interface ParameterData {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/**
 * Checks parameters given as `{ values, shape }` by name (errors name `where.<name>`):
 * float32 values, all finite, as many as the shape holds. Returns them in a record with no
 * prototype (the given objects, not copies), so that every name is data.
 */
export function readParameterData(params: unknown, where: string): Readonly<Record<string, ParameterData>> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    const got = Array.isArray(params) ? ', got an array (a record by parameter name is needed)' : '';
    throw new StepsizeError(where, `must be the parameters as { name: { values, shape } }${got}`, params);
  }
  const read = byName<ParameterData>();
  for (const [name, p] of Object.entries(params as Record<string, ParameterData | undefined>)) {
    refuseUnstorableName(name, `${where}.${name}`);
    if (!(p?.values instanceof Float32Array)) throw new StepsizeError(`${where}.${name}.values`, 'must be a Float32Array', p?.values);
    const { shape, values } = p;
    if (
      !Array.isArray(shape) ||
      shape.some((d) => !Number.isSafeInteger(d) || d < 1) ||
      shape.reduce((a, b) => a * b, 1) !== values.length
    ) {
      throw new StepsizeError(`${where}.${name}.shape`, `must be positive integers whose product is the ${values.length} values`, shape);
    }
    const index = values.findIndex((value) => !Number.isFinite(value));
    if (index >= 0) {
      const value = values[index] as number;
      throw new StepsizeError(
        `${where}.${name}.values[${index}]`,
        `must be finite, got ${value}: an initial parameter that is not finite makes every loss and gradient NaN`,
        value,
      );
    }
    read[name] = p;
  }
  return read;
}
