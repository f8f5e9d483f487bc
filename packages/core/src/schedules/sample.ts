import { StepsizeError, describeValue } from '../errors.js';
import { checkStep, rawValue, type Schedule } from './schedule.js';
import { fail } from './options.js';

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Number of values to produce, an integer >= 1 (at most 2^31 - 1). */
  readonly steps: number;
  /** First step. Default 0. */
  readonly start?: number;
  /** Distance between sampled steps, an integer >= 1. Default 1. */
  readonly every?: number;
}

/**
 * Evaluates a schedule at `steps` steps `start, start + every, ...` into a
 * `Float64Array`, without per-call overhead (for plots, tables and exports).
 *
 * @example
 * ```ts
 * const values = sample(cosineAnnealing({ initialValue: 1, steps: 10 }), { steps: 11 });
 * values[10]; // 0
 * ```
 */
export function sample(schedule: Schedule, options: SampleOptions): Float64Array {
  const { steps: count, start = 0, every = 1 } = options;
  if (!Number.isSafeInteger(count) || count < 1 || count > 2 ** 31 - 1) {
    fail('sample options.steps', 'must be an integer in [1, 2147483647]', count);
  }
  checkStep(start, 'sample options.start');
  if (!Number.isSafeInteger(every) || every < 1) fail('sample options.every', 'must be an integer >= 1', every);
  checkStep(start + (count - 1) * every, 'sample: the last step (start + (steps - 1) * every)');
  const value = rawValue(schedule);
  const out = new Float64Array(count);
  for (let i = 0, step = start; i < count; i += 1, step += every) {
    const v = value(step);
    if (!(v >= 0 && v <= Number.MAX_VALUE)) {
      throw new StepsizeError(`${schedule.type}(${step})`, `produced ${describeValue(v)}: a schedule value must be finite and >= 0`, v);
    }
    out[i] = v;
  }
  return out;
}
