import { StepsizeError } from '@stepsize/core';

/** A parameter's initial value. */
export interface TensorData {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/**
 * One conformance case in stepsize's own format: an optimizer spec (stepsize
 * JSON, schedules included), initial parameters, the gradient fed at each
 * step, and the expected parameters after each step.
 */
export interface ConformanceCase {
  readonly name: string;
  /** A stepsize optimizer spec (see `optimizerFromJSON`). */
  readonly optimizer: Record<string, unknown>;
  readonly params: Readonly<Record<string, TensorData>>;
  /** gradients[t][name]: the gradient of each parameter at step t (before clipping). */
  readonly gradients: readonly Readonly<Record<string, readonly number[]>>[];
  /** trajectory[t][name]: expected parameter values after step t. */
  readonly trajectory: readonly Readonly<Record<string, readonly number[]>>[];
  /**
   * evalTrajectory[t][name]: expected evaluation parameters after step t, for optimizers
   * that evaluate elsewhere than they train (schedule-free's `x`). Optional.
   */
  readonly evalTrajectory?: readonly Readonly<Record<string, readonly number[]>>[];
  /** Expected learning rate of the first group at each step (optional). */
  readonly learningRates?: readonly number[];
  /** Relative tolerance for this case (default: the file's, else 1e-5). */
  readonly tolerance?: number;
}

/** A case file: `{ "format": "stepsize-conformance/1", "cases": [...] }`. */
export interface ConformanceFile {
  readonly format: 'stepsize-conformance/1';
  /** Where the expected values come from (e.g. "PyTorch 1.13"). */
  readonly source?: string;
  readonly tolerance?: number;
  readonly cases: readonly ConformanceCase[];
}

function fail(path: string, problem: string, value: unknown): never {
  throw new StepsizeError(
    path,
    `${problem}, got ${typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : String(value)}`,
    value,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkNumbers(value: unknown, length: number, path: string): void {
  if (!Array.isArray(value)) fail(path, 'must be an array of numbers', value);
  if (value.length !== length) fail(path, `must have ${length} values`, value.length);
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}[${i}]`, 'must be a finite number', v);
  });
}

/**
 * Validates a case file (parsed JSON), with errors naming the JSON path, and
 * returns it typed. Every gradient and trajectory entry must hold one array per
 * parameter with the parameter's size.
 */
export function readConformanceFile(input: unknown): ConformanceFile {
  if (!isObject(input)) fail('$', 'must be a conformance file object', input);
  if (input.format !== 'stepsize-conformance/1') fail('$.format', 'must be "stepsize-conformance/1"', input.format);
  if (input.tolerance !== undefined && !(typeof input.tolerance === 'number' && input.tolerance > 0)) {
    fail('$.tolerance', 'must be a number > 0', input.tolerance);
  }
  if (!Array.isArray(input.cases) || input.cases.length === 0) fail('$.cases', 'must be a non-empty array', input.cases);
  input.cases.forEach((c: unknown, i) => {
    const path = `$.cases[${i}]`;
    if (!isObject(c)) fail(path, 'must be an object', c);
    if (typeof c.name !== 'string' || c.name === '') fail(`${path}.name`, 'must be a non-empty string', c.name);
    if (!isObject(c.optimizer)) fail(`${path}.optimizer`, 'must be a stepsize optimizer spec object', c.optimizer);
    if (!isObject(c.params) || Object.keys(c.params).length === 0) fail(`${path}.params`, 'must be an object of tensors by name', c.params);
    const sizes: Record<string, number> = {};
    for (const [name, tensor] of Object.entries(c.params)) {
      const at = `${path}.params.${name}`;
      if (!isObject(tensor) || !Array.isArray(tensor.shape)) fail(at, 'must be { shape, values }', tensor);
      const shape = tensor.shape as unknown[];
      shape.forEach((d, j) => {
        if (!Number.isSafeInteger(d) || (d as number) < 1) fail(`${at}.shape[${j}]`, 'must be an integer >= 1', d);
      });
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      checkNumbers(tensor.values, size, `${at}.values`);
      sizes[name] = size;
    }
    for (const key of ['gradients', 'trajectory', 'evalTrajectory'] as const) {
      const list = c[key];
      if (key === 'evalTrajectory' && list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) fail(`${path}.${key}`, 'must be a non-empty array of steps', list);
      list.forEach((entry: unknown, t) => {
        if (!isObject(entry)) fail(`${path}.${key}[${t}]`, 'must be an object of arrays by parameter name', entry);
        for (const [name, size] of Object.entries(sizes)) checkNumbers(entry[name], size, `${path}.${key}[${t}].${name}`);
        for (const name of Object.keys(entry))
          if (!(name in sizes)) fail(`${path}.${key}[${t}].${name}`, 'is not a parameter of this case', name);
      });
    }
    const steps = (c.gradients as unknown[]).length;
    for (const key of ['trajectory', 'evalTrajectory'] as const) {
      const list = c[key] as unknown[] | undefined;
      if (list !== undefined && list.length !== steps) fail(`${path}.${key}`, `must have one entry per gradient (${steps})`, list.length);
    }
    if (c.learningRates !== undefined) checkNumbers(c.learningRates, steps, `${path}.learningRates`);
    if (c.tolerance !== undefined && !(typeof c.tolerance === 'number' && c.tolerance > 0))
      fail(`${path}.tolerance`, 'must be a number > 0', c.tolerance);
  });
  return input as unknown as ConformanceFile;
}
