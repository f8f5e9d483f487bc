import { fail } from '../schedules/options.js';

/** A suggested learning rate and the index of the curve's point it comes from. */
export interface LearningRateSuggestion {
  readonly learningRate: number;
  readonly index: number;
}

/** fastai's suggestion methods (fastai/callback/schedule.py). */
export type SuggestionName = 'valley' | 'steep' | 'minimum' | 'slide';

function checkCurve(learningRates: readonly number[], losses: readonly number[], where: string): void {
  if (!(Array.isArray(learningRates) && Array.isArray(losses) && losses.length === learningRates.length)) {
    fail(`${where} losses`, 'must be an array as long as learningRates', losses);
  }
}

/** The first index of the smallest value (`argmin`, ties to the first as numpy and torch). */
function argmin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if ((values[i] as number) < (values[best] as number)) best = i;
  return best;
}

/**
 * fastai's `valley` (fastai/callback/schedule.py, the default of `lr_find`): the longest
 * valley is the longest strictly decreasing subsequence of the losses, found by
 * dynamic programming (`lds[i] = 1 + max lds[j]` over `j < i` with `loss[i] < loss[j]`);
 * `end` is the first index where it is longest and `start = end − lds[end]`. The
 * suggestion is at `start + ⌊(end − start)/3⌋ + ⌊(end − start)/6⌋`, two thirds of the way
 * down the valley's first half (`int(sections) + int(sections/2)` with `sections = (end − start)/3`).
 * As in fastai, `start` is one before the subsequence's first point, so `start` is −1
 * when the valley begins at the first point, and the index −1 that a two-point valley
 * starting there gives is Python's: the last point of the curve.
 * Undefined for an empty curve.
 *
 * @example
 * ```ts
 * // lds = [1, 2, 3, 4, 1]: end = 3, start = −1, index = −1 + ⌊4/3⌋ + ⌊4/6⌋ = 0
 * suggestValley([1e-3, 1e-2, 1e-1, 1, 10], [4, 3, 2, 1, 9]); // { learningRate: 1e-3, index: 0 }
 * ```
 */
export function suggestValley(learningRates: readonly number[], losses: readonly number[]): LearningRateSuggestion | undefined {
  checkCurve(learningRates, losses, 'suggestValley');
  const n = losses.length;
  if (n === 0) return undefined;
  const lengths = new Array<number>(n).fill(1);
  let start = 0;
  let end = 0;
  for (let i = 1; i < n; i += 1) {
    for (let j = 0; j < i; j += 1) {
      if ((losses[i] as number) < (losses[j] as number) && (lengths[i] as number) < (lengths[j] as number) + 1) {
        lengths[i] = (lengths[j] as number) + 1;
      }
      // fastai updates the longest valley inside the inner loop; lengths only grow, so this equals doing it after.
      if ((lengths[end] as number) < (lengths[i] as number)) {
        end = i;
        start = end - (lengths[end] as number);
      }
    }
  }
  const sections = (end - start) / 3;
  const found = start + Math.floor(sections) + Math.floor(sections / 2);
  const index = found < 0 ? n + found : found;
  return { learningRate: learningRates[index] as number, index };
}

/**
 * fastai's `steep`: the learning rate where the loss falls fastest against the log of
 * the learning rate, the left point `i` of the most negative slope
 * `(loss[i+1] − loss[i]) / (ln lr[i+1] − ln lr[i])` (first one on ties).
 * Undefined below 2 points.
 *
 * @example
 * ```ts
 * // slopes per ln 10: −1, −3, +5 → the steepest is between points 1 and 2
 * suggestSteep([1e-3, 1e-2, 1e-1, 1], [5, 4, 1, 6]); // { learningRate: 1e-2, index: 1 }
 * ```
 */
export function suggestSteep(learningRates: readonly number[], losses: readonly number[]): LearningRateSuggestion | undefined {
  checkCurve(learningRates, losses, 'suggestSteep');
  if (losses.length < 2) return undefined;
  const slopes = losses
    .slice(1)
    .map((loss, i) => (loss - (losses[i] as number)) / (Math.log(learningRates[i + 1] as number) - Math.log(learningRates[i] as number)));
  const index = argmin(slopes);
  return { learningRate: learningRates[index] as number, index };
}

/**
 * fastai's `minimum`: one tenth of the learning rate at the lowest loss
 * (`lr_min / 10`; `index` is the lowest loss's, the first on ties). Undefined for an empty curve.
 *
 * @example
 * ```ts
 * suggestMinimum([1e-3, 1e-2, 1e-1], [3, 1, 2]); // { learningRate: 1e-3, index: 1 }
 * ```
 */
export function suggestMinimum(learningRates: readonly number[], losses: readonly number[]): LearningRateSuggestion | undefined {
  checkCurve(learningRates, losses, 'suggestMinimum');
  if (losses.length === 0) return undefined;
  const index = argmin(losses);
  return { learningRate: (learningRates[index] as number) / 10, index };
}

/**
 * fastai's `slide` (the interval slide rule) with its defaults (`lr_diff = 15`,
 * `thresh = 0.005`, `adjust_value = 1`): with `g` the loss's gradient per point (numpy's
 * `gradient`: `(loss[i+1] − loss[i−1]) / 2` inside, one-sided differences at the ends),
 * an interval of 15 points slides from the end of the curve towards its start while the
 * gradients at its ends differ by more than 0.005 (`|g[r] − g[r − 15]|`, in loss units);
 * the suggestion is the learning rate at the interval's left end when the slide stops
 * (the last left end that still differed, or the first one, `n − 16`, when none did).
 * Undefined below 16 points.
 *
 * @example
 * ```ts
 * // 18 points: g = [0, −0.5, −1, ..., 0, 0, 0]; |g17 − g2| = 1 → left end 2; |g16 − g1| = 0.5 → 1; |g15 − g0| = 0 stops.
 * const losses = [10, 10, 9, 8, 7, 6, 5, 4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2];
 * suggestSlide(losses.map((_, i) => 10 ** (i - 10)), losses); // { learningRate: 1e-9, index: 1 }
 * ```
 */
export function suggestSlide(learningRates: readonly number[], losses: readonly number[]): LearningRateSuggestion | undefined {
  checkCurve(learningRates, losses, 'suggestSlide');
  const n = losses.length;
  if (n < 16) return undefined;
  // numpy's gradient with unit spacing: central differences inside, one-sided at the ends.
  const gradient = (i: number): number =>
    ((losses[Math.min(i + 1, n - 1)] as number) - (losses[Math.max(i - 1, 0)] as number)) / (i > 0 && i < n - 1 ? 2 : 1);
  const differs = (left: number): boolean => Math.abs(gradient(left + 15) - gradient(left)) > 0.005;
  // fastai moves the left end on while the pair at it differs and it is inside the curve: it ends on the last left end that differed.
  let left = n - 16;
  while (left > 0 && differs(left) && differs(left - 1)) left -= 1;
  return { learningRate: learningRates[left] as number, index: left };
}

/** What {@link suggestLearningRates} returns. */
export interface LearningRateSuggestions {
  /** Each suggestion, its index into the recorded curve (undefined when the trimmed curve is too short for it). */
  readonly suggestions: Readonly<Record<SuggestionName, LearningRateSuggestion | undefined>>;
  /** Why a suggestion is undefined, by name. */
  readonly missing: Readonly<Partial<Record<SuggestionName, string>>>;
}

const MINIMUM_POINTS: Readonly<Record<SuggestionName, number>> = { valley: 1, steep: 2, minimum: 1, slide: 16 };

/**
 * fastai's four suggestions on a range test's smoothed loss curve, trimmed as fastai's
 * `lr_find` trims the recorder's curve before calling them (fastai/callback/schedule.py):
 * the first `⌊steps/10⌋` points (`num_it//10`, of the *requested* steps) and the last 5
 * are dropped, then everything from the first NaN on (here: the first non-finite value,
 * so an infinite loss ends the curve as NaN does). Indices are into the untrimmed curve.
 * A suggestion the trimmed curve is too short for (valley and minimum need 1 point, steep
 * 2, slide 16: where fastai's code raises) is undefined, with the reason in `missing`.
 *
 * @example
 * ```ts
 * const { suggestions } = suggestLearningRates(learningRates, smoothedLosses, { steps: 100 });
 * suggestions.valley?.learningRate;
 * ```
 */
export function suggestLearningRates(
  learningRates: readonly number[],
  smoothedLosses: readonly number[],
  options: { readonly steps: number },
): LearningRateSuggestions {
  checkCurve(learningRates, smoothedLosses, 'suggestLearningRates');
  const start = Math.floor(options.steps / 10);
  if (!(start >= 0)) fail('suggestLearningRates options.steps', 'must be a number >= 0', options.steps);
  const kept = smoothedLosses.slice(start, Math.max(0, smoothedLosses.length - 5));
  const finite = kept.findIndex((loss) => !Number.isFinite(loss));
  const losses = finite < 0 ? kept : kept.slice(0, finite);
  const { length } = losses;
  const rates = learningRates.slice(start, start + length);
  const found: Record<SuggestionName, LearningRateSuggestion | undefined> = {
    valley: suggestValley(rates, losses),
    steep: suggestSteep(rates, losses),
    minimum: suggestMinimum(rates, losses),
    slide: suggestSlide(rates, losses),
  };
  const missing: Partial<Record<SuggestionName, string>> = {};
  for (const name of Object.keys(found) as SuggestionName[]) {
    const suggestion = found[name];
    if (suggestion) found[name] = { ...suggestion, index: suggestion.index + start };
    else missing[name] = `needs ${MINIMUM_POINTS[name]} point(s), the trimmed curve has ${length} of ${smoothedLosses.length}`;
  }
  return { suggestions: found, missing };
}
