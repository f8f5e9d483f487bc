import { fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link inverseTime}. */
export interface InverseTimeOptions {
  /** Value at step 0. */
  readonly initialValue: number;
  /** Rate of decay (>= 0). */
  readonly decayRate: number;
  /** Time scale (> 0). Default 1. */
  readonly decaySteps?: number;
  /** Floor `t / decaySteps`. Default false. */
  readonly staircase?: boolean;
}

export const inverseTimeDefinition = defineSchedule<Required<InverseTimeOptions>>({
  type: 'inverseTime',
  summary: 'initialValue / (1 + decayRate * t / decaySteps), floored ratio if staircase (Keras InverseTimeDecay).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    decayRate: { kind: 'number', min: 0, description: 'rate of decay' },
    decaySteps: { kind: 'number', min: 0, exclusiveMin: true, default: 1, description: 'time scale' },
    staircase: { kind: 'boolean', default: false, description: 'floor t / decaySteps' },
  },
  build: ({ initialValue, decayRate, decaySteps, staircase }) => ({
    value: (t) => {
      const ratio = staircase ? Math.floor(t / decaySteps) : t / decaySteps;
      // A zero rate never decays (and 0 * Infinity, for a tiny decaySteps at a far step, is NaN).
      return decayRate === 0 ? initialValue : initialValue / (1 + decayRate * ratio);
    },
  }),
});

/**
 * Inverse time decay: `initialValue / (1 + decayRate * t / decaySteps)`, with
 * `floor(t / decaySteps)` when `staircase`.
 *
 * Follows Keras `InverseTimeDecay` (defaults here: `decaySteps = 1`,
 * `staircase = false`).
 *
 * @example
 * ```ts
 * const lr = inverseTime({ initialValue: 0.1, decayRate: 0.5, decaySteps: 10 });
 * lr(20); // 0.05
 * ```
 */
export function inverseTime(options: InverseTimeOptions): Schedule {
  return createSchedule(inverseTimeDefinition, options);
}

/** Options of {@link inverseSqrt}. */
export interface InverseSqrtOptions {
  /** Peak value, reached at `warmupSteps`. */
  readonly initialValue: number;
  /** Linear warmup from 0, an integer >= 0. Default 0. */
  readonly warmupSteps?: number;
  /** Time scale (> 0). Default `warmupSteps`, or 10 000 when `warmupSteps` is 0 (as Hugging Face). */
  readonly timescale?: number;
}

export const inverseSqrtDefinition = defineSchedule<Required<Omit<InverseSqrtOptions, 'timescale'>> & { timescale?: number }>({
  type: 'inverseSqrt',
  summary:
    'initialValue * t / warmupSteps during warmup, then initialValue / sqrt((t - warmupSteps + timescale) / timescale) (Hugging Face get_inverse_sqrt_schedule).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'peak value, reached at warmupSteps' },
    warmupSteps: { kind: 'number', integer: true, min: 0, default: 0, description: 'linear warmup length' },
    timescale: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      optional: true,
      description: 'time scale of the decay (default warmupSteps, or 10000 without warmup)',
    },
  },
  check: (o, path) => {
    if (o.timescale === undefined) o.timescale = o.warmupSteps > 0 ? o.warmupSteps : 10_000;
    if (!(o.timescale > 0)) fail(`${path}.timescale`, 'must be > 0', o.timescale);
  },
  build: ({ initialValue, warmupSteps, timescale }) => {
    const scale = timescale as number;
    return {
      value: (t) => {
        if (t < warmupSteps) return (initialValue * t) / Math.max(1, warmupSteps);
        // Hugging Face adds shift = timescale - warmupSteps to t; t - warmupSteps first is exact
        // (integers below 2^53), so the sum is the same for integer timescales and is not lost
        // when the timescale is tiny next to a huge warmup (where the shift rounds to -warmupSteps).
        return initialValue / Math.sqrt((t - warmupSteps + scale) / scale);
      },
    };
  },
});

/**
 * Inverse square root with linear warmup:
 * `initialValue * t / warmupSteps` for `t < warmupSteps`, then
 * `initialValue / sqrt((t - warmupSteps + timescale) / timescale)`.
 *
 * Follows Hugging Face transformers `get_inverse_sqrt_schedule(num_warmup_steps,
 * timescale)`: the value is `initialValue` at `t = warmupSteps` and decays as
 * `1 / sqrt(t)` after. Defaults: `warmupSteps = 0`, `timescale = warmupSteps || 10000`.
 *
 * @example
 * ```ts
 * const lr = inverseSqrt({ initialValue: 1e-3, warmupSteps: 4000 });
 * lr(4000);  // 0.001
 * lr(16000); // 0.0005 = 1e-3 / sqrt((16000 - 4000 + 4000) / 4000)
 * ```
 */
export function inverseSqrt(options: InverseSqrtOptions): Schedule {
  return createSchedule(inverseSqrtDefinition, options);
}
