import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Value at and before `beginStep`. */
  readonly initialValue: number;
  /** Value at and after `beginStep + steps`. */
  readonly endValue: number;
  /** Length of the ramp, an integer >= 1. */
  readonly steps: number;
  /** Step at which the ramp starts. Default 0. */
  readonly beginStep?: number;
}

export const linearDefinition = defineSchedule<Required<LinearOptions>>({
  type: 'linear',
  summary: 'initialValue + (endValue - initialValue) * clamp(t - beginStep, 0, steps) / steps (optax linear_schedule).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at and before beginStep' },
    endValue: { kind: 'number', min: 0, description: 'value at and after beginStep + steps' },
    steps: { kind: 'number', integer: true, min: 1, description: 'length of the ramp' },
    beginStep: { kind: 'number', integer: true, min: 0, default: 0, description: 'step at which the ramp starts' },
  },
  build: ({ initialValue, endValue, steps, beginStep }) => ({
    value: (t) => {
      const count = t - beginStep;
      if (count <= 0) return initialValue;
      // The end is returned exactly: interpolation rounding could otherwise step past it (below 0).
      if (count >= steps) return endValue;
      return initialValue + ((endValue - initialValue) * count) / steps;
    },
  }),
});

/**
 * A linear ramp: `initialValue + (endValue - initialValue) * clamp(t - beginStep, 0, steps) / steps`.
 *
 * Follows optax `linear_schedule(init_value, end_value, transition_steps, transition_begin)`:
 * constant before `beginStep`, then a straight line reaching `endValue` at
 * `beginStep + steps`, constant after. Default `beginStep = 0`.
 *
 * @example
 * ```ts
 * const lr = linear({ initialValue: 0, endValue: 1e-3, steps: 100 });
 * lr(50); // 0.0005
 * ```
 */
export function linear(options: LinearOptions): Schedule {
  return createSchedule(linearDefinition, options);
}

/** Options of {@link constantFactor}. */
export interface ConstantFactorOptions {
  /** The base value (PyTorch: the optimizer's lr). */
  readonly initialValue: number;
  /** Factor applied during the first `steps` steps, in [0, 1]. Default 1/3. */
  readonly factor?: number;
  /** Number of steps the factor applies (PyTorch `total_iters`), an integer >= 0. Default 5. */
  readonly steps?: number;
}

export const constantFactorDefinition = defineSchedule<Required<ConstantFactorOptions>>({
  type: 'constantFactor',
  summary: 'initialValue * factor for t < steps, then initialValue (PyTorch ConstantLR).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'the base value' },
    factor: { kind: 'number', min: 0, max: 1, default: 1 / 3, description: 'factor during the first steps' },
    steps: { kind: 'number', integer: true, min: 0, default: 5, description: 'number of steps the factor applies' },
  },
  build: ({ initialValue, factor, steps }) => ({
    value: (t) => (t < steps ? initialValue * factor : initialValue),
  }),
});

/**
 * A constant factor for the first steps: `initialValue * factor` while
 * `t < steps`, then `initialValue`.
 *
 * Follows PyTorch `ConstantLR` (defaults: `factor = 1/3`, `total_iters = 5`,
 * here `steps`). PyTorch returns to the base by multiplying by `1 / factor`,
 * which can differ from the base in the last bit; the closed form returns the
 * base exactly.
 *
 * @example
 * ```ts
 * const lr = constantFactor({ initialValue: 0.1, factor: 0.5, steps: 4 });
 * lr(3); // 0.05
 * lr(4); // 0.1
 * ```
 */
export function constantFactor(options: ConstantFactorOptions): Schedule {
  return createSchedule(constantFactorDefinition, options);
}

/** Options of {@link linearFactor}. */
export interface LinearFactorOptions {
  /** The base value (PyTorch: the optimizer's lr). */
  readonly initialValue: number;
  /** Factor at step 0, in (0, 1]. Default 1/3. */
  readonly startFactor?: number;
  /** Factor from `steps` on, in [0, 1]. Default 1. */
  readonly endFactor?: number;
  /** Steps to go from `startFactor` to `endFactor` (PyTorch `total_iters`), an integer >= 1. Default 5. */
  readonly steps?: number;
}

export const linearFactorDefinition = defineSchedule<Required<LinearFactorOptions>>({
  type: 'linearFactor',
  summary: 'initialValue * (startFactor + (endFactor - startFactor) * min(t, steps) / steps) (PyTorch LinearLR).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'the base value' },
    startFactor: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      max: 1,
      default: 1 / 3,
      description: 'factor at step 0',
    },
    endFactor: { kind: 'number', min: 0, max: 1, default: 1, description: 'factor from steps on' },
    steps: { kind: 'number', integer: true, min: 1, default: 5, description: 'steps from startFactor to endFactor' },
  },
  build: ({ initialValue, startFactor, endFactor, steps }) => ({
    value: (t) => initialValue * (t >= steps ? endFactor : startFactor + ((endFactor - startFactor) * t) / steps),
  }),
});

/**
 * A linearly changing factor:
 * `initialValue * (startFactor + (endFactor - startFactor) * min(t, steps) / steps)`.
 *
 * Follows PyTorch `LinearLR` (defaults: `start_factor = 1/3`, `end_factor = 1`,
 * `total_iters = 5`). PyTorch updates the rate recursively by the ratio of
 * consecutive factors; this closed form is PyTorch's own `_get_closed_form_lr`
 * and agrees with the recursion to ~1e-15 relative.
 *
 * @example
 * ```ts
 * const lr = linearFactor({ initialValue: 0.1, startFactor: 0.1, steps: 10 });
 * lr(0);  // 0.01
 * lr(10); // 0.1
 * ```
 */
export function linearFactor(options: LinearFactorOptions): Schedule {
  return createSchedule(linearFactorDefinition, options);
}

/** Options of {@link polynomial}. */
export interface PolynomialOptions {
  /** Value at and before `beginStep`. */
  readonly initialValue: number;
  /** Value reached after `steps` decay steps. Default 0 (PyTorch, optax; Keras defaults to 0.0001). */
  readonly endValue?: number;
  /** Length of the decay, an integer >= 1 (Keras `decay_steps`, PyTorch `total_iters`). */
  readonly steps: number;
  /** Exponent (>= 0). Default 1 (linear). */
  readonly power?: number;
  /** Keras `cycle`: after `steps`, restart with a period stretched to the next multiple of `steps`. Default false. */
  readonly cycle?: boolean;
  /** Step at which the decay starts (optax `transition_begin`). Default 0. */
  readonly beginStep?: number;
}

export const polynomialDefinition = defineSchedule<Required<PolynomialOptions>>({
  type: 'polynomial',
  summary:
    '(initialValue - endValue) * (1 - c / d)^power + endValue with c = min(t - beginStep, steps), d = steps, or Keras cycle (PyTorch PolynomialLR, Keras PolynomialDecay, optax polynomial_schedule).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at and before beginStep' },
    endValue: { kind: 'number', min: 0, default: 0, description: 'value reached after steps decay steps' },
    steps: { kind: 'number', integer: true, min: 1, description: 'length of the decay' },
    power: { kind: 'number', min: 0, default: 1, description: 'exponent of the decay' },
    cycle: { kind: 'boolean', default: false, description: 'Keras cycle: restart with a stretched period' },
    beginStep: { kind: 'number', integer: true, min: 0, default: 0, description: 'step at which the decay starts' },
  },
  build: ({ initialValue, endValue, steps, power, cycle, beginStep }) => ({
    value: (t) => {
      const count = t - beginStep;
      if (count <= 0) return initialValue;
      let period = steps;
      let done = count;
      if (cycle) period = steps * Math.max(1, Math.ceil(count / steps));
      else done = Math.min(count, steps);
      return (initialValue - endValue) * (1 - done / period) ** power + endValue;
    },
  }),
});

/**
 * Polynomial decay from `initialValue` to `endValue` over `steps` steps:
 * `(initialValue - endValue) * (1 - c / d) ^ power + endValue`, with
 * `c = min(t - beginStep, steps)` and `d = steps`; with `cycle` (Keras),
 * `c = t - beginStep` and `d = steps * ceil(c / steps)`, so the decay restarts
 * from a lower peak each period.
 *
 * Follows Keras `PolynomialDecay` (`cycle`), PyTorch `PolynomialLR`
 * (`endValue = 0`; this is PyTorch's closed form, its recursive update agrees
 * to ~1e-15) and optax `polynomial_schedule` (`beginStep`). Defaults:
 * `endValue = 0`, `power = 1`, `cycle = false`, `beginStep = 0`.
 *
 * @example
 * ```ts
 * const lr = polynomial({ initialValue: 0.1, steps: 100, power: 2 });
 * lr(50);  // 0.025
 * lr(200); // 0
 * ```
 */
export function polynomial(options: PolynomialOptions): Schedule {
  return createSchedule(polynomialDefinition, options);
}
