import { describe, expect, it } from 'vitest';
import { argMin, linearFit, median, robustScale, rollingMedian } from './statistics.js';

describe('advisor statistics (values derived by hand)', () => {
  it('median: the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('robustScale: 1.4826 · median |x − median x|, untouched by one outlier', () => {
    // median 3; deviations 2, 1, 0, 1, 997 -> median 1
    expect(robustScale([1, 2, 3, 4, 1000])).toBeCloseTo(1.4826, 12);
  });

  it('rollingMedian: centred, cut at the ends', () => {
    expect(rollingMedian([5, 1, 9, 2, 7], 3)).toEqual([3, 5, 2, 7, 4.5]);
  });

  it('linearFit: the least-squares line and the standard error of its slope', () => {
    // y = 1 + 2x + r with r = [1, -1, -1, 1] at x = 0..3: Σ(x−x̄)r = 0, so the slope stays 2 and the intercept 1.
    const fit = linearFit([0, 1, 2, 3], [2, 2, 4, 8]);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    // Σ r² = 4, n − 2 = 2, Σ (x − x̄)² = 5: SE = sqrt(2 / 5).
    expect(fit.slopeError).toBeCloseTo(Math.sqrt(2 / 5), 12);
    expect(fit.residualScale).toBeCloseTo(Math.sqrt(2), 12);
  });

  it('argMin: the first smallest value', () => {
    expect(argMin([3, 1, 1, 2])).toEqual({ index: 1, value: 1 });
    expect(argMin([])).toEqual({ index: -1, value: Number.POSITIVE_INFINITY });
  });
});
