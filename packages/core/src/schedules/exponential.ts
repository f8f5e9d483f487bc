import { fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link exponential}. */
export interface ExponentialOptions {
  /** Value at step 0. */
  readonly initialValue: number;
  /** Per-step multiplier (>= 0). */
  readonly gamma: number;
}

export const exponentialDefinition = defineSchedule<ExponentialOptions>({
  type: 'exponential',
  summary: 'value(t) = initialValue * gamma^t (PyTorch ExponentialLR).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    gamma: { kind: 'number', min: 0, description: 'per-step multiplier' },
  },
  // A zero start stays 0 (with gamma > 1, 0 * Infinity would be NaN at far steps).
  build: ({ initialValue, gamma }) => ({ value: initialValue === 0 ? () => 0 : (t) => initialValue * gamma ** t }),
});

/**
 * Per-step exponential decay: `value(t) = initialValue * gamma ^ t`.
 *
 * Follows PyTorch `ExponentialLR` (no default for `gamma`). PyTorch multiplies
 * the previous rate by `gamma` each step; the closed form differs from that
 * product only by float rounding (relative ~1e-16 per step, below 1e-12 over
 * thousands of steps). A `gamma` above 1 grows without bound: evaluating where
 * it overflows float64 throws; bound it with {@link exponentialDecay}'s `endValue`.
 *
 * @example
 * ```ts
 * const lr = exponential({ initialValue: 0.1, gamma: 0.99 });
 * lr(100); // 0.1 * 0.99^100 ≈ 0.0366
 * ```
 */
export function exponential(options: ExponentialOptions): Schedule {
  return createSchedule(exponentialDefinition, options);
}

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** Value before and at `beginStep`. */
  readonly initialValue: number;
  /** Multiplier per `decaySteps` steps (> 0; above 1 grows). */
  readonly decayRate: number;
  /** Steps over which the value is multiplied by `decayRate` once (> 0). */
  readonly decaySteps: number;
  /** Use an integer exponent (decay in discrete jumps). Default false. */
  readonly staircase?: boolean;
  /** Step at which decay begins (optax `transition_begin`). Default 0. */
  readonly beginStep?: number;
  /** Bound the value: a floor when decaying, a ceiling when growing (optax `end_value`). Default: none. */
  readonly endValue?: number;
}

type ExponentialDecayResolved = Required<Omit<ExponentialDecayOptions, 'endValue'>> & { endValue?: number };

export const exponentialDecayDefinition = defineSchedule<ExponentialDecayResolved>({
  type: 'exponentialDecay',
  summary:
    'value(t) = initialValue * decayRate^((t - beginStep) / decaySteps), floored exponent if staircase, clipped at endValue (Keras ExponentialDecay, optax exponential_decay).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value before and at beginStep' },
    decayRate: { kind: 'number', min: 0, exclusiveMin: true, description: 'multiplier per decaySteps steps' },
    decaySteps: { kind: 'number', min: 0, exclusiveMin: true, description: 'steps per decayRate factor' },
    staircase: { kind: 'boolean', default: false, description: 'integer exponent (discrete jumps)' },
    beginStep: { kind: 'number', integer: true, min: 0, default: 0, description: 'step at which decay begins' },
    endValue: { kind: 'number', min: 0, optional: true, description: 'floor when decaying, ceiling when growing' },
  },
  check: (o, path) => {
    if (o.endValue === undefined) return;
    if (o.decayRate < 1 && o.endValue > o.initialValue) {
      fail(`${path}.endValue`, `must be <= initialValue (${o.initialValue}) when decayRate < 1`, o.endValue);
    }
    if (o.decayRate === 1 && o.endValue !== o.initialValue) {
      fail(`${path}.endValue`, `must equal initialValue (${o.initialValue}) when decayRate is 1 (the value never changes)`, o.endValue);
    }
    if (o.decayRate > 1 && o.endValue < o.initialValue) {
      fail(`${path}.endValue`, `must be >= initialValue (${o.initialValue}) when decayRate > 1`, o.endValue);
    }
  },
  build: ({ initialValue, decayRate, decaySteps, staircase, beginStep, endValue }) => {
    const decaying = decayRate < 1;
    return {
      value: (t) => {
        const count = t - beginStep;
        // A rate of 1 or a zero start never changes the value (and 1^Infinity, 0 * Infinity are NaN).
        if (count <= 0 || decayRate === 1 || initialValue === 0) return initialValue;
        const exponent = staircase ? Math.floor(count / decaySteps) : count / decaySteps;
        const v = initialValue * decayRate ** exponent;
        if (endValue === undefined) return v;
        return decaying ? Math.max(v, endValue) : Math.min(v, endValue);
      },
    };
  },
});

/**
 * Exponential decay with a time scale (Keras / optax form):
 * `value(t) = initialValue * decayRate ^ ((t - beginStep) / decaySteps)`,
 * the exponent floored when `staircase`, equal to `initialValue` for
 * `t <= beginStep`, and clipped at `endValue` (a floor when `decayRate < 1`,
 * a ceiling when `decayRate > 1`).
 *
 * Follows optax `exponential_decay` (`transition_steps` → `decaySteps`,
 * `transition_begin` → `beginStep`, `end_value` → `endValue`); with
 * `beginStep = 0` and no `endValue` it is Keras `ExponentialDecay`.
 * Defaults: `staircase = false`, `beginStep = 0`, no `endValue`.
 *
 * @example
 * ```ts
 * const lr = exponentialDecay({ initialValue: 0.1, decayRate: 0.5, decaySteps: 1000, staircase: true });
 * lr(1999); // 0.05
 * ```
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  return createSchedule(exponentialDecayDefinition, options);
}
