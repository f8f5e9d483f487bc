import { describe, expect, it } from 'vitest';
import { suggestLearningRates, suggestMinimum, suggestSlide, suggestSteep, suggestValley } from './suggestions.js';

/** Exponentially spaced rates 10^(i − 5), one per loss. */
const ratesFor = (losses: readonly number[]): number[] => losses.map((_, i) => 10 ** (i - 5));

describe("fastai's valley", () => {
  it('suggests start + ⌊len/3⌋ + ⌊len/6⌋ in the longest decreasing subsequence', () => {
    // lds (longest strictly decreasing subsequence ending at i) = [1, 1, 2, 3, 4, 5, 6, 1, 1]:
    // end = 6, start = end − lds[end] = 0, sections = 6/3 = 2, index = 0 + 2 + ⌊1⌋ = 3.
    const losses = [5, 6, 4, 3, 2.5, 2, 1.5, 7, 8];
    expect(suggestValley(ratesFor(losses), losses)).toEqual({ learningRate: 1e-2, index: 3 });
    // lds = [1, 2, 3, 4, 1]: end = 3, start = −1, index = −1 + ⌊4/3⌋ + ⌊4/6⌋ = 0.
    expect(suggestValley([1e-3, 1e-2, 1e-1, 1, 10], [4, 3, 2, 1, 9])).toEqual({ learningRate: 1e-3, index: 0 });
    // The first longest valley wins (strict <): lds = [1, 2, 1, 2] keeps end = 1, start = −1, so
    // index = −1 + 0 + 0 = −1, which Python reads as the last point.
    expect(suggestValley(ratesFor([2, 1, 3, 2]), [2, 1, 3, 2])?.index).toBe(3);
  });

  it('handles constant, monotone and 1-3 point curves as fastai does', () => {
    // Constant: no decrease, lds all 1, end = start = 0, index 0.
    expect(suggestValley(ratesFor([1, 1, 1, 1]), [1, 1, 1, 1])?.index).toBe(0);
    // Increasing: the same.
    expect(suggestValley(ratesFor([1, 2, 3, 4]), [1, 2, 3, 4])?.index).toBe(0);
    // Decreasing, 7 points: lds[i] = i + 1, end = 6, start = −1, index = −1 + ⌊7/3⌋ + ⌊7/6⌋ = 2.
    const falling = [7, 6, 5, 4, 3, 2, 1];
    expect(suggestValley(ratesFor(falling), falling)).toEqual({ learningRate: 1e-3, index: 2 });
    expect(suggestValley([0.1], [3])).toEqual({ learningRate: 0.1, index: 0 });
    // [2, 1]: end = 1, start = −1, index = −1 + ⌊2/3⌋ + ⌊1/3⌋ = −1: Python's last point, index 1.
    expect(suggestValley([0.1, 1], [2, 1])?.index).toBe(1);
    expect(suggestValley([0.1, 1], [1, 2])?.index).toBe(0);
    // [3, 2, 1]: end = 2, start = −1, index = −1 + 1 + 0 = 0.
    expect(suggestValley([0.1, 1, 10], [3, 2, 1])?.index).toBe(0);
    expect(suggestValley([], [])).toBeUndefined();
  });
});

describe("fastai's steep", () => {
  it('suggests the left point of the most negative slope against ln(rate)', () => {
    // Slopes per ln 10: −1, −3, +5: the steepest is from point 1 to 2, so index 1.
    expect(suggestSteep([1e-3, 1e-2, 1e-1, 1], [5, 4, 1, 6])).toEqual({ learningRate: 1e-2, index: 1 });
    // Linear rates, equal loss steps: slopes −1/ln 2, −1/ln 1.5, −1/ln(4/3) ≈ −1.44, −2.47, −3.48: index 2.
    expect(suggestSteep([1, 2, 3, 4], [10, 9, 8, 7])).toEqual({ learningRate: 3, index: 2 });
  });

  it('handles constant, monotone and 1-3 point curves', () => {
    // Constant: every slope 0, the first wins.
    expect(suggestSteep(ratesFor([2, 2, 2]), [2, 2, 2])?.index).toBe(0);
    // Increasing: slopes (per ln 10) 2, 1: the least steep rise, index 1.
    expect(suggestSteep(ratesFor([1, 3, 4]), [1, 3, 4])?.index).toBe(1);
    // Decreasing by 1 at linear rates: slopes −1/ln 2, −1/ln 1.5: index 1.
    expect(suggestSteep([1, 2, 3], [3, 2, 1])?.index).toBe(1);
    expect(suggestSteep([0.1, 1], [2, 1])).toEqual({ learningRate: 0.1, index: 0 });
    expect(suggestSteep([0.1], [2])).toBeUndefined();
    expect(suggestSteep([], [])).toBeUndefined();
  });
});

describe("fastai's minimum", () => {
  it('suggests a tenth of the rate at the lowest loss', () => {
    expect(suggestMinimum([1e-3, 1e-2, 1e-1], [3, 1, 2])).toEqual({ learningRate: expect.closeTo(1e-3, 18), index: 1 });
    // Ties: the first (argmin).
    expect(suggestMinimum([1, 2, 4], [2, 1, 1])).toEqual({ learningRate: 0.2, index: 1 });
  });

  it('handles constant, monotone and 1-3 point curves', () => {
    expect(suggestMinimum([1, 2, 3], [5, 5, 5])?.index).toBe(0);
    expect(suggestMinimum([1, 2, 3], [3, 2, 1])).toEqual({ learningRate: 0.3, index: 2 });
    expect(suggestMinimum([1, 2, 3], [1, 2, 3])?.index).toBe(0);
    expect(suggestMinimum([5], [1])).toEqual({ learningRate: 0.5, index: 0 });
    expect(suggestMinimum([], [])).toBeUndefined();
  });
});

describe("fastai's slide (lr_diff 15, thresh 0.005)", () => {
  it('slides an interval of 15 from the end while the gradients at its ends differ by more than 0.005', () => {
    // 18 points; np.gradient = [0, −0.5, −1, −1, −1, −1, −1, −1, −1, −0.5, 0, 0, 0, 0, 0, 0, 0, 0].
    // Left ends from 18 − 16 = 2 down: |g17 − g2| = 1 → 2; |g16 − g1| = 0.5 → 1; |g15 − g0| = 0 stops: index 1.
    const losses = [10, 10, 9, 8, 7, 6, 5, 4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2];
    const rates = ratesFor(losses);
    expect(suggestSlide(rates, losses)).toEqual({ learningRate: rates[1], index: 1 });
    // One point later (17 points, g = [−1 (one-sided), −1, ..., −0.5, 0, ...]): |g16 − g1| = 1 → left end 1;
    // |g15 − g0| = 1 → 0; then the interval would leave the curve: index 0.
    const later = losses.slice(1);
    expect(suggestSlide(ratesFor(later), later)?.index).toBe(0);
    // The threshold: 17 points [1, 1 − d, 0.5, ..., 0.5] give g0 = −d, g1 = −0.25, g15 = g16 = 0, so |g16 − g1| = 0.25
    // moves the left end to 1, and |g15 − g0| = d moves it on to 0 only if d > 0.005.
    const drop = (d: number): number[] => [1, 1 - d, ...new Array(15).fill(0.5)];
    expect(suggestSlide(ratesFor(drop(2 ** -8)), drop(2 ** -8))?.index).toBe(1);
    expect(suggestSlide(ratesFor(drop(2 ** -7)), drop(2 ** -7))?.index).toBe(0);
  });

  it('handles straight, constant and too-short curves', () => {
    // A straight line: every gradient equal, the slide stops at once, at n − 16 = 4.
    const line = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(suggestSlide(ratesFor(line), line)?.index).toBe(4);
    // Constant: the same, at 16 − 16 = 0.
    expect(suggestSlide(ratesFor(new Array(16).fill(1)), new Array(16).fill(1))?.index).toBe(0);
    expect(suggestSlide(ratesFor(new Array(15).fill(1)), new Array(15).fill(1))).toBeUndefined();
    expect(suggestSlide([1, 2, 3], [3, 2, 1])).toBeUndefined();
  });
});

describe("suggestLearningRates (lr_find's trimming)", () => {
  it('drops the first ⌊steps/10⌋ and the last 5 points; indices are into the whole curve', () => {
    // steps 30: the first 3 points go. 20 recorded: kept = points 3 to 14, 12 falling losses.
    const kept = [12, 11, 10, 9, 8, 4, 3, 2, 1.5, 1.2, 1.1, 1];
    const losses = [0.1, 0.1, 0.1, ...kept, 0.01, 0.01, 0.01, 0.01, 0.01];
    const rates = ratesFor(losses);
    const { suggestions, missing } = suggestLearningRates(rates, losses, { steps: 30 });
    // minimum: the last kept point, 14 (the 0.1 and 0.01 points are trimmed away).
    expect(suggestions.minimum).toEqual({ learningRate: (rates[14] as number) / 10, index: 14 });
    // steep: the drop from 8 to 4 (kept points 4 to 5, equal log steps) is the largest: 4 + 3 = 7.
    expect(suggestions.steep).toEqual({ learningRate: rates[7], index: 7 });
    // valley: 12 falling points, −1 + ⌊12/3⌋ + ⌊12/6⌋ = 5 in the kept curve, 8 in the whole.
    expect(suggestions.valley).toEqual({ learningRate: rates[8], index: 8 });
    expect(suggestions.slide).toBeUndefined();
    expect(missing.slide).toBe('needs 16 point(s), the trimmed curve has 12 of 20');
    expect(missing.valley).toBeUndefined();
  });

  it('ends the curve at the first NaN (or infinite) loss', () => {
    // steps 20: start 2; 25 recorded, NaN from point 12: kept = points 2 to 11 (10 points), falling.
    const losses = [...Array.from({ length: 12 }, (_, i) => 20 - i), ...new Array(13).fill(Number.NaN)];
    const rates = ratesFor(losses);
    const result = suggestLearningRates(rates, losses, { steps: 20 });
    expect(result.suggestions.minimum?.index).toBe(11);
    // valley of 10 falling points: −1 + 3 + 1 = 3, plus 2.
    expect(result.suggestions.valley?.index).toBe(5);
    const infinite = losses.map((loss) => (Number.isNaN(loss) ? Infinity : loss));
    expect(suggestLearningRates(rates, infinite, { steps: 20 })).toEqual(result);
  });

  it('leaves a suggestion undefined, with the reason, when the trimmed curve is too short', () => {
    for (const length of [1, 2, 3]) {
      const result = suggestLearningRates(ratesFor(new Array(length).fill(1)), new Array(length).fill(1), { steps: 100 });
      expect(result.suggestions).toEqual({ valley: undefined, steep: undefined, minimum: undefined, slide: undefined });
      expect(result.missing.valley).toBe(`needs 1 point(s), the trimmed curve has 0 of ${length}`);
      expect(result.missing.steep).toBe(`needs 2 point(s), the trimmed curve has 0 of ${length}`);
    }
    // steps 2 (nothing dropped at the start), 7 recorded: 2 points kept: slide alone is missing.
    const seven = [5, 4, 3, 2, 1, 0, 0];
    const two = suggestLearningRates(ratesFor(seven), seven, { steps: 2 });
    expect(two.suggestions).toMatchObject({ valley: { index: 1 }, steep: { index: 0 }, minimum: { index: 1 }, slide: undefined });
    expect(Object.keys(two.missing)).toEqual(['slide']);
  });

  it('refuses curves of different lengths', () => {
    expect(() => suggestLearningRates([1, 2], [1], { steps: 2 })).toThrow(
      /^suggestLearningRates losses must be an array as long as learningRates, got an array of length 1$/,
    );
    expect(() => suggestValley([1], [1, 2])).toThrow(/suggestValley losses must be/);
  });
});
