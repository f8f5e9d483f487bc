import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link cyclic}. */
export interface CyclicOptions {
  /** Value at the bottom of each cycle (PyTorch `base_lr`). */
  readonly baseValue: number;
  /** Value at the top of the first cycle (PyTorch `max_lr`); below `baseValue` it inverts the wave (PyTorch's momentum cycling). */
  readonly maxValue: number;
  /** Steps from bottom to top (> 0). Default 2000. */
  readonly stepSizeUp?: number;
  /** Steps from top to bottom (> 0). Default `stepSizeUp`. */
  readonly stepSizeDown?: number;
  /** `'triangular'` (constant height), `'triangular2'` (height halves each cycle), `'expRange'` (height times `gamma^t`). Default `'triangular'`. */
  readonly mode?: 'triangular' | 'triangular2' | 'expRange';
  /** Per-step factor of `'expRange'`, in (0, 1]. Default 1. */
  readonly gamma?: number;
  /** What the height scaling reads: the cycle number or the step. Default: `'cycle'` for the triangular modes, `'iterations'` for `'expRange'` (as PyTorch). */
  readonly scaleMode?: 'cycle' | 'iterations';
}

type CyclicResolved = Required<Omit<CyclicOptions, 'stepSizeDown' | 'scaleMode'>> & {
  stepSizeDown?: number;
  scaleMode?: 'cycle' | 'iterations';
};

export const cyclicDefinition = defineSchedule<CyclicResolved>({
  type: 'cyclic',
  summary:
    'CLR (Smith 2017): a triangular wave between baseValue and maxValue with separate up/down lengths, height scaled per mode (PyTorch CyclicLR).',
  options: {
    baseValue: { kind: 'number', min: 0, description: 'value at the bottom of each cycle' },
    maxValue: { kind: 'number', min: 0, description: 'value at the top of the first cycle' },
    stepSizeUp: { kind: 'number', min: 0, exclusiveMin: true, default: 2000, description: 'steps from bottom to top' },
    stepSizeDown: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      optional: true,
      description: 'steps from top to bottom (default stepSizeUp)',
    },
    mode: {
      kind: 'enum',
      values: ['triangular', 'triangular2', 'expRange'],
      default: 'triangular',
      description: 'how the height changes from cycle to cycle',
    },
    gamma: { kind: 'number', min: 0, exclusiveMin: true, max: 1, default: 1, description: "per-step factor of 'expRange'" },
    scaleMode: {
      kind: 'enum',
      values: ['cycle', 'iterations'],
      optional: true,
      description: "what the height scaling reads (default 'cycle', or 'iterations' for expRange)",
    },
  },
  check: (o) => {
    if (o.stepSizeDown === undefined) o.stepSizeDown = o.stepSizeUp;
    if (o.scaleMode === undefined) o.scaleMode = o.mode === 'expRange' ? 'iterations' : 'cycle';
  },
  build: ({ baseValue, maxValue, stepSizeUp, stepSizeDown, mode, gamma, scaleMode }) => {
    const totalSize = stepSizeUp + (stepSizeDown as number);
    const stepRatio = stepSizeUp / totalSize;
    const height = maxValue - baseValue;
    // A gamma of 1 never scales: 1 ** Infinity is NaN, and the cycle count is infinite at far
    // steps when the step sizes are tiny.
    const scale =
      mode === 'triangular' || (mode === 'expRange' && gamma === 1)
        ? () => 1
        : mode === 'triangular2'
          ? (x: number) => 1 / 2 ** (x - 1)
          : (x: number) => gamma ** x;
    const byCycle = scaleMode === 'cycle';
    return {
      value: (t) => {
        // PyTorch computes x = 1 + t / total - cycle, which loses the position within the
        // cycle at large t; reducing t modulo the cycle length first (exact) keeps it exact.
        const position = t % totalSize;
        const cycle = Math.round((t - position) / totalSize) + 1;
        const x = position / totalSize;
        // stepRatio is 0 only when stepSizeUp is negligible next to stepSizeDown: the top comes at once.
        const factor = x <= stepRatio ? (stepRatio > 0 ? x / stepRatio : 1) : (x - 1) / (stepRatio - 1);
        return baseValue + height * factor * scale(byCycle ? cycle : t);
      },
    };
  },
});

/**
 * Cyclical learning rate (Smith 2017, "Cyclical Learning Rates for Training
 * Neural Networks"): a triangular wave from `baseValue` up to `maxValue` in
 * `stepSizeUp` steps and back down in `stepSizeDown` steps, its height
 * multiplied by `1` (`triangular`), `1 / 2^(cycle - 1)` (`triangular2`) or
 * `gamma^t` (`expRange`).
 *
 * Follows PyTorch `CyclicLR` (defaults:
 * `stepSizeUp = 2000`, `stepSizeDown = stepSizeUp`, `mode = 'triangular'`,
 * `gamma = 1`), to ~1e-15 relative over PyTorch's golden trajectories; unlike
 * PyTorch, the position within a cycle is computed modulo the cycle length, so
 * it stays exact at any step (PyTorch's `t / total` loses it past ~1e9). PyTorch ignores `scale_mode` unless a custom `scale_fn` is
 * given; here `scaleMode` always applies. Momentum cycling as in PyTorch is the
 * same schedule with `baseValue = max_momentum` and `maxValue = base_momentum`.
 * Custom scale functions are code: use {@link lambdaFactor}.
 *
 * @example
 * ```ts
 * const lr = cyclic({ baseValue: 0.001, maxValue: 0.006, stepSizeUp: 2000 });
 * lr(2000); // 0.006
 * lr(4000); // 0.001
 * ```
 */
export function cyclic(options: CyclicOptions): Schedule {
  return createSchedule(cyclicDefinition, options);
}
