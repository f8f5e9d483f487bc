import { type LearningRateSuggestion, type SuggestionName, suggestLearningRates } from './suggestions.js';
import { lossSmoother } from './sweep.js';

/** Why a range test ended. */
export type FindLearningRateStop = 'completed' | 'diverged' | 'notFinite' | 'aborted';

/** What {@link findLearningRate} returns: the curve of every update, and fastai's suggestions. */
export interface FindLearningRateResult {
  /** The sweep's learning rate of every update (the top-level rate; groups multiply it by their `learningRateScale`). */
  readonly learningRates: number[];
  /** Training loss of every update, before it (`train()`'s `StepRecord.loss`). */
  readonly losses: number[];
  /** The losses smoothed by the bias-corrected moving average (see `lossSmoother`). */
  readonly smoothedLosses: number[];
  /** True when fewer updates than `steps` ran. */
  readonly stoppedEarly: boolean;
  /**
   * `'completed'`; `'diverged'` (the smoothed loss exceeded `divergence` × the best);
   * `'notFinite'` (the smoothed loss, or under `nonFinite: 'throw'` a gradient, was not finite);
   * `'aborted'` (by `signal`).
   */
  readonly stopReason: FindLearningRateStop;
  /** The default suggestion: `suggestions.valley` (fastai's `lr_find` default). */
  readonly suggestion: LearningRateSuggestion | undefined;
  /** fastai's `valley`, `steep`, `minimum` and `slide`, indices into the arrays above (see `suggestLearningRates`). */
  readonly suggestions: Readonly<Record<SuggestionName, LearningRateSuggestion | undefined>>;
  /** Why a suggestion is undefined (the curve is too short for it), by name. */
  readonly missingSuggestions: Readonly<Partial<Record<SuggestionName, string>>>;
}

/** The curve of a range test as it runs (see {@link rangeTestRecorder}). */
export interface RangeTestRecorder {
  /** Records one update's learning rate and loss; returns why the test ends after it (`'diverged'`, `'notFinite'`), else undefined. */
  record(learningRate: number, loss: number): FindLearningRateStop | undefined;
  /** The result so far, ended for `stopReason` (default: the reason `record` returned, else `'completed'`). */
  result(stopReason?: FindLearningRateStop): FindLearningRateResult;
}

/**
 * The bookkeeping of every learning-rate range test, written once for each driver of the
 * updates (`findLearningRate` through `train()`, an adapter through its framework's
 * loop): each loss is smoothed (`lossSmoother`, β = `smoothing`), and `record` says to stop
 * after the update whose smoothed loss exceeds `divergence` × the best smoothed loss so far
 * (torch-lr-finder's rule) or is not finite; `result` adds fastai's suggestions
 * (`suggestLearningRates`, trimmed by the requested `steps`), `valley` the default.
 * Options are checked by the caller (`readRangeTestOptions`).
 *
 * @example
 * ```ts
 * const curve = rangeTestRecorder({ steps: 100, smoothing: 0.98, divergence: 5 });
 * for (let t = 0; t < 100; t += 1) if (curve.record(sweep(t), await update(sweep(t)))) break;
 * curve.result().suggestion?.learningRate;
 * ```
 */
export function rangeTestRecorder(options: {
  readonly steps: number;
  readonly smoothing: number;
  readonly divergence: number;
}): RangeTestRecorder {
  const { steps, divergence } = options;
  const learningRates: number[] = [];
  const losses: number[] = [];
  const smoothedLosses: number[] = [];
  const smooth = lossSmoother(options.smoothing);
  let best = Infinity;
  let stop: FindLearningRateStop | undefined;
  return {
    record(learningRate, loss) {
      const smoothed = smooth(loss);
      learningRates.push(learningRate);
      losses.push(loss);
      smoothedLosses.push(smoothed);
      best = Math.min(best, smoothed);
      if (!Number.isFinite(smoothed)) stop = 'notFinite';
      else if (smoothed > divergence * best) stop = 'diverged';
      return stop;
    },
    result(stopReason = stop ?? 'completed') {
      const { suggestions, missing } = suggestLearningRates(learningRates, smoothedLosses, { steps });
      return {
        learningRates,
        losses,
        smoothedLosses,
        stoppedEarly: losses.length < steps,
        stopReason,
        suggestion: suggestions.valley,
        suggestions,
        missingSuggestions: missing,
      };
    },
  };
}
