import type { ScheduleSpec } from '../schedules/schedule.js';

/** How the range test spaces its learning rates: evenly in log space (`exponential`) or evenly (`linear`). */
export type SweepMode = 'exponential' | 'linear';

/**
 * The learning rates of a range test of `steps` updates as a core schedule spec,
 * reaching `max` exactly at step `steps − 1`:
 *
 * - `exponential`: `min · (max/min)^(t/(n−1))`, an `exponentialDecay` spec with
 *   `decayRate = max/min`, `decaySteps = n − 1` and `endValue = max` (so rounding
 *   never passes the maximum);
 * - `linear`: `min + (max − min) · t/(n−1)`, a `linear` spec.
 *
 * Follows torch-lr-finder's `ExponentialLR` and `LinearLR` (torch_lr_finder/lr_finder.py:
 * `r = iteration / (num_iter − 1)`, the last rate is `end_lr`); fastai's `LRFinder`
 * uses `t/n`, so its last rate stays one step short of `end_lr`. Options are checked by
 * the caller.
 *
 * @example
 * ```ts
 * sweepSpec(1e-4, 1, 5, 'exponential'); // 1e-4, 1e-3, 1e-2, 1e-1, 1 at steps 0 to 4
 * ```
 */
export function sweepSpec(min: number, max: number, steps: number, mode: SweepMode): ScheduleSpec {
  return mode === 'linear'
    ? { type: 'linear', initialValue: min, endValue: max, steps: steps - 1 }
    : { type: 'exponentialDecay', initialValue: min, decayRate: max / min, decaySteps: steps - 1, endValue: max };
}

/**
 * The bias-corrected exponential moving average of a loss curve, one loss at a time:
 * `a_t = β a_(t−1) + (1 − β) loss_t` from `a_(−1) = 0`, reported as `a_t / (1 − β^(t+1))`
 * (fastai's `AvgSmoothLoss`, default β 0.98; β = 0 gives the losses back; the caller checks
 * 0 ≤ β < 1). A non-finite loss makes every later value non-finite.
 *
 * @example
 * ```ts
 * [2, 1].map(lossSmoother(0.5)); // [2, 1.333...]: (0.25·2 + 0.5·1) / 0.75
 * ```
 */
export function lossSmoother(smoothing: number): (loss: number) => number {
  let average = 0;
  let count = 0;
  return (loss) => {
    average = smoothing * average + (1 - smoothing) * loss;
    count += 1;
    return average / (1 - smoothing ** count);
  };
}
