import { fail } from './options.js';
import { countBoundaries } from './stepwise.js';
import { createSchedule, defineSchedule, rawObserve, rawValue, type Schedule, type ScheduleSignal } from './schedule.js';

/** Options of {@link warmup}. */
export interface WarmupOptions {
  /** The schedule that runs after the warmup, with steps re-based to start at 0. */
  readonly schedule: Schedule;
  /** Warmup length, an integer >= 1. */
  readonly steps: number;
  /** `'linear'` ramps from `startValue` to `schedule(0)`; `'constant'` holds `startValue`. Default `'linear'`. */
  readonly mode?: 'linear' | 'constant';
  /** Value at step 0 (and during a constant warmup). Default 0 (linear); required for `'constant'`. */
  readonly startValue?: number;
}

type WarmupResolved = Required<Omit<WarmupOptions, 'startValue'>> & { startValue?: number };

/** Re-bases a signal's step by `offset`. */
function shifted(signal: ScheduleSignal, offset: number): ScheduleSignal {
  return { ...signal, step: signal.step - offset };
}

export const warmupDefinition = defineSchedule<WarmupResolved>({
  type: 'warmup',
  summary: 'For t < steps: linear from startValue to schedule(0) (or constant startValue); then schedule(t - steps) (optax warmup joins).',
  options: {
    schedule: { kind: 'schedule', description: 'the schedule after the warmup (re-based steps)' },
    steps: { kind: 'number', integer: true, min: 1, description: 'warmup length' },
    mode: { kind: 'enum', values: ['linear', 'constant'], default: 'linear', description: 'shape of the warmup' },
    startValue: {
      kind: 'number',
      min: 0,
      optional: true,
      description: "value at step 0 (default 0 for linear; required for 'constant')",
    },
  },
  check: (o, path) => {
    if (o.startValue === undefined) {
      if (o.mode === 'constant') fail(`${path}.startValue`, "is required when mode is 'constant'", undefined);
      o.startValue = 0;
    }
  },
  build: ({ schedule, steps, mode, startValue }) => {
    const inner = rawValue(schedule);
    const innerObserve = rawObserve(schedule);
    const start = startValue as number;
    return {
      value:
        mode === 'linear'
          ? (t) => (t < steps ? start + ((inner(0) - start) * t) / steps : inner(t - steps))
          : (t) => (t < steps ? start : inner(t - steps)),
      stateful: schedule.stateful,
      ...(innerObserve && {
        observe: (signal: ScheduleSignal) => {
          if (signal.step >= steps) innerObserve(shifted(signal, steps));
        },
      }),
    };
  },
});

/**
 * Warmup before any schedule: for `t < steps`, linear from `startValue` to
 * `schedule(0)` (or a constant `startValue`); from `steps` on,
 * `schedule(t - steps)`: the inner schedule starts at its own step 0.
 *
 * Follows optax's warmup joins (`warmup_cosine_decay_schedule` is
 * `warmup({ schedule: cosineAnnealing(...) })`) and Hugging Face's
 * `get_*_schedule_with_warmup` (inner steps re-based after the warmup).
 * Metric-driven inner schedules (a plateau after warmup, which PyTorch cannot
 * express) receive signals only after the warmup, with re-based steps.
 * Defaults: `mode = 'linear'`, `startValue = 0`.
 *
 * @example
 * ```ts
 * const lr = warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-3, steps: 900 }) });
 * lr(50);  // 0.0005
 * lr(100); // 0.001
 * ```
 */
export function warmup(options: WarmupOptions): Schedule {
  return createSchedule(warmupDefinition, options);
}

/** Options of {@link sequence}. */
export interface SequenceOptions {
  /** Two or more schedules, run one after another. */
  readonly schedules: readonly Schedule[];
  /** Strictly increasing steps (>= 1) where the next schedule starts: `schedules.length - 1` of them. */
  readonly boundaries: readonly number[];
}

export const sequenceDefinition = defineSchedule<SequenceOptions>({
  type: 'sequence',
  summary: 'schedules[i](t - boundaries[i - 1]) on [boundaries[i - 1], boundaries[i]) (optax join_schedules, PyTorch SequentialLR).',
  options: {
    schedules: { kind: 'scheduleList', minLength: 2, description: 'schedules run one after another' },
    boundaries: {
      kind: 'numberList',
      integer: true,
      min: 1,
      order: 'increasing',
      minLength: 1,
      description: 'steps where the next schedule starts',
    },
  },
  check: (o, path) => {
    if (o.boundaries.length !== o.schedules.length - 1) {
      fail(
        `${path}.boundaries`,
        `must have schedules.length - 1 = ${o.schedules.length - 1} element${o.schedules.length === 2 ? '' : 's'}`,
        o.boundaries,
      );
    }
  },
  build: ({ schedules, boundaries }) => {
    const values = schedules.map(rawValue);
    const observers = schedules.map(rawObserve);
    const offsets = [0, ...boundaries];
    const locate = (t: number): number => countBoundaries(boundaries, t, true);
    const stateful = schedules.some((s) => s.stateful);
    return {
      value: (t) => {
        const i = locate(t);
        return (values[i] as (step: number) => number)(t - (offsets[i] as number));
      },
      stateful,
      ...(stateful && {
        observe: (signal: ScheduleSignal) => {
          const i = locate(signal.step);
          observers[i]?.(shifted(signal, offsets[i] as number));
        },
      }),
    };
  },
});

/**
 * Joins schedules in time: `schedules[i]` runs from `boundaries[i - 1]` (or 0)
 * up to `boundaries[i]`, evaluated at the re-based step `t - boundaries[i - 1]`.
 *
 * Follows optax `join_schedules` and PyTorch `SequentialLR` (which re-bases each
 * child by calling `step(0)` at its milestone). Signals for metric-driven parts
 * go to the part active at the signal's step only.
 *
 * @example
 * ```ts
 * const lr = sequence({
 *   schedules: [linear({ initialValue: 0, endValue: 0.1, steps: 5 }), exponential({ initialValue: 0.1, gamma: 0.9 })],
 *   boundaries: [5],
 * });
 * lr(6); // 0.09
 * ```
 */
export function sequence(options: SequenceOptions): Schedule {
  return createSchedule(sequenceDefinition, options);
}

/** Options of {@link product}. */
export interface ProductOptions {
  /** Two or more schedules multiplied together at each step. */
  readonly schedules: readonly Schedule[];
}

export const productDefinition = defineSchedule<ProductOptions>({
  type: 'product',
  summary: 'value(t) = product of schedules[i](t) (PyTorch ChainedScheduler of multiplicative factors).',
  options: {
    schedules: { kind: 'scheduleList', minLength: 2, description: 'schedules multiplied together' },
  },
  build: ({ schedules }) => {
    const values = schedules.map(rawValue);
    const observers = schedules.map(rawObserve).filter((f) => f !== undefined);
    const stateful = schedules.some((s) => s.stateful);
    return {
      value: productOf(values),
      stateful,
      ...(stateful && {
        observe: (signal: ScheduleSignal) => {
          for (const observe of observers) observe(signal);
        },
      }),
    };
  },
});

/** Multiplies value functions; the common two- and three-factor cases avoid the loop. */
function productOf(values: readonly ((step: number) => number)[]): (step: number) => number {
  const [a, b, c] = values as [(step: number) => number, (step: number) => number, (step: number) => number];
  if (values.length === 2) return (t) => a(t) * b(t);
  if (values.length === 3) return (t) => a(t) * b(t) * c(t);
  return (t) => {
    let result = 1;
    for (let i = 0; i < values.length; i += 1) result *= (values[i] as (step: number) => number)(t);
    return result;
  };
}

/**
 * The product of schedules at the same step: `value(t) = s1(t) * s2(t) * ...`.
 *
 * Expresses PyTorch `ChainedScheduler` (each child multiplies the rate by its
 * factor: write the base value in one child and factors in the others) and a
 * plateau scaling any schedule (`reduceOnPlateau({ initialValue: 1 })` times a
 * cosine, which PyTorch cannot do; pytorch issue 68978). Signals go to every
 * metric-driven part.
 *
 * @example
 * ```ts
 * const lr = product({
 *   schedules: [cosineAnnealing({ initialValue: 0.1, steps: 1000 }), reduceOnPlateau({ initialValue: 1, patience: 5 })],
 * });
 * lr.observe({ step: 10, metric: validationLoss });
 * ```
 */
export function product(options: ProductOptions): Schedule {
  return createSchedule(productDefinition, options);
}

/** Options of {@link scale}. */
export interface ScaleOptions {
  /** The schedule to scale. */
  readonly schedule: Schedule;
  /** Constant factor (>= 0). */
  readonly factor: number;
}

export const scaleDefinition = defineSchedule<ScaleOptions>({
  type: 'scale',
  summary: 'value(t) = factor * schedule(t).',
  options: {
    schedule: { kind: 'schedule', description: 'the schedule to scale' },
    factor: { kind: 'number', min: 0, description: 'constant factor' },
  },
  build: ({ schedule, factor }) => {
    const inner = rawValue(schedule);
    const innerObserve = rawObserve(schedule);
    return {
      value: (t) => factor * inner(t),
      stateful: schedule.stateful,
      ...(innerObserve && { observe: innerObserve }),
    };
  },
});

/**
 * A constant multiple of a schedule: `value(t) = factor * schedule(t)`, e.g. to
 * give a parameter group a fraction of the main rate.
 *
 * @example
 * ```ts
 * const headRate = scale({ schedule: baseRate, factor: 10 });
 * ```
 */
export function scale(options: ScaleOptions): Schedule {
  return createSchedule(scaleDefinition, options);
}
