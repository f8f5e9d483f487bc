import { fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** Value at step 0 (PyTorch: the optimizer's base lr). */
  readonly initialValue: number;
  /** Steps between two decays (PyTorch `step_size`), an integer >= 1. */
  readonly stepSize: number;
  /** Multiplier applied every `stepSize` steps. Default 0.1. */
  readonly gamma?: number;
}

export const stepDecayDefinition = defineSchedule<Required<StepDecayOptions>>({
  type: 'stepDecay',
  summary: 'value(t) = initialValue * gamma^floor(t / stepSize) (PyTorch StepLR).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    stepSize: { kind: 'number', integer: true, min: 1, description: 'steps between two decays' },
    gamma: { kind: 'number', min: 0, default: 0.1, description: 'multiplier applied every stepSize steps' },
  },
  build: ({ initialValue, stepSize, gamma }) => ({
    // A zero start stays 0 (with gamma > 1, 0 * Infinity would be NaN at far steps).
    value: initialValue === 0 ? () => 0 : (t) => initialValue * gamma ** Math.floor(t / stepSize),
  }),
});

/**
 * Step decay: `value(t) = initialValue * gamma ^ floor(t / stepSize)`.
 *
 * Follows PyTorch `StepLR` (defaults: `gamma = 0.1`). Closed form: PyTorch
 * multiplies the previous rate by `gamma` at each boundary, which rounds
 * differently in the last bits (relative difference below 1e-15 per decay).
 * A `gamma` above 1 grows without bound; evaluating past float64's range throws.
 *
 * @example
 * ```ts
 * const lr = stepDecay({ initialValue: 0.1, stepSize: 30 });
 * lr(29); // 0.1
 * lr(30); // 0.01
 * ```
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  return createSchedule(stepDecayDefinition, options);
}

/** Number of sorted `boundaries` that are `<= t` (`inclusive`) or `< t`. */
export function countBoundaries(boundaries: readonly number[], t: number, inclusive: boolean): number {
  let low = 0;
  let high = boundaries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const b = boundaries[middle] as number;
    if (inclusive ? b <= t : b < t) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Options of {@link multiStep}. */
export interface MultiStepOptions {
  /** Value at step 0. */
  readonly initialValue: number;
  /** Steps at which `gamma` is applied, sorted integers >= 0; a repeated milestone applies `gamma` once per occurrence (as PyTorch). */
  readonly milestones: readonly number[];
  /** Multiplier applied at each milestone. Default 0.1. */
  readonly gamma?: number;
}

export const multiStepDefinition = defineSchedule<Required<MultiStepOptions>>({
  type: 'multiStep',
  summary: 'value(t) = initialValue * gamma^(number of milestones <= t) (PyTorch MultiStepLR).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    milestones: {
      kind: 'numberList',
      integer: true,
      min: 0,
      order: 'nondecreasing',
      minLength: 1,
      description: 'sorted steps at which gamma is applied',
    },
    gamma: { kind: 'number', min: 0, default: 0.1, description: 'multiplier applied at each milestone' },
  },
  build: ({ initialValue, milestones, gamma }) => ({
    // A zero start stays 0 (with gamma > 1, 0 * Infinity would be NaN past many milestones).
    value: initialValue === 0 ? () => 0 : (t) => initialValue * gamma ** countBoundaries(milestones, t, true),
  }),
});

/**
 * Multi-step decay: `value(t) = initialValue * gamma ^ (number of milestones <= t)`.
 *
 * Follows PyTorch `MultiStepLR` (defaults: `gamma = 0.1`): the value changes
 * AT each milestone, and a repeated milestone applies `gamma` twice. O(log m)
 * in the number of milestones, independent of the step.
 *
 * @example
 * ```ts
 * const lr = multiStep({ initialValue: 0.1, milestones: [30, 80] });
 * lr(30); // 0.01
 * lr(80); // 0.001
 * ```
 */
export function multiStep(options: MultiStepOptions): Schedule {
  return createSchedule(multiStepDefinition, options);
}

/** Options of {@link piecewiseConstant}. */
export interface PiecewiseConstantOptions {
  /** Strictly increasing integer steps where the value changes. */
  readonly boundaries: readonly number[];
  /** One value per interval: `boundaries.length + 1` values >= 0. */
  readonly values: readonly number[];
  /**
   * Which value holds AT a boundary step. `'previous'` (default, Keras
   * `PiecewiseConstantDecay`: `values[i]` while `step <= boundaries[i]`, so the
   * change happens on the step after the boundary) or `'next'` (optax
   * `piecewise_constant_schedule` and PyTorch `MultiStepLR`: the change happens
   * at the boundary step itself).
   */
  readonly atBoundary?: 'previous' | 'next';
}

export const piecewiseConstantDefinition = defineSchedule<Required<PiecewiseConstantOptions>>({
  type: 'piecewiseConstant',
  summary: 'values[i] on the i-th interval between boundaries (Keras PiecewiseConstantDecay; atBoundary chooses the side).',
  options: {
    boundaries: {
      kind: 'numberList',
      integer: true,
      min: 0,
      order: 'increasing',
      minLength: 1,
      description: 'strictly increasing steps where the value changes',
    },
    values: { kind: 'numberList', min: 0, minLength: 2, description: 'one value per interval (boundaries.length + 1)' },
    atBoundary: {
      kind: 'enum',
      values: ['previous', 'next'],
      default: 'previous',
      description: "value at a boundary step: 'previous' (Keras) or 'next' (optax, PyTorch)",
    },
  },
  check: (o, path) => {
    if (o.values.length !== o.boundaries.length + 1) {
      fail(`${path}.values`, `must have boundaries.length + 1 = ${o.boundaries.length + 1} elements`, o.values);
    }
  },
  build: ({ boundaries, values, atBoundary }) => {
    const inclusive = atBoundary === 'next';
    return { value: (t) => values[countBoundaries(boundaries, t, inclusive)] as number };
  },
});

/**
 * Piecewise constant: `values[i]` on the i-th interval delimited by `boundaries`.
 *
 * Follows Keras `PiecewiseConstantDecay` by default (`atBoundary: 'previous'`:
 * the value at step `boundaries[i]` is still `values[i]`, it changes at
 * `boundaries[i] + 1`). optax's `piecewise_constant_schedule` and PyTorch's
 * `MultiStepLR` change AT the boundary: use `atBoundary: 'next'`.
 *
 * @example
 * ```ts
 * const lr = piecewiseConstant({ boundaries: [100, 200], values: [1, 0.5, 0.1] });
 * lr(100); // 1   (Keras side)
 * lr(101); // 0.5
 * ```
 */
export function piecewiseConstant(options: PiecewiseConstantOptions): Schedule {
  return createSchedule(piecewiseConstantDefinition, options);
}
