import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link constant}. */
export interface ConstantOptions {
  /** The value at every step (>= 0). */
  readonly value: number;
}

/** The `constant` spec type. */
export const constantDefinition = defineSchedule<ConstantOptions>({
  type: 'constant',
  summary: 'value(t) = value.',
  options: { value: { kind: 'number', min: 0, description: 'the value at every step' } },
  build: ({ value }) => ({ value: () => value }),
});

/**
 * A constant schedule: `value(t) = value`.
 *
 * Same as optax `constant_schedule` and a PyTorch optimizer without a scheduler.
 *
 * @example
 * ```ts
 * const lr = constant({ value: 3e-4 });
 * lr(12345); // 0.0003
 * ```
 */
export function constant(options: ConstantOptions): Schedule {
  return createSchedule(constantDefinition, options);
}
