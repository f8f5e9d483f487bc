/**
 * The robust statistics the advisor reads a loss curve with. Each is written
 * with its formula; none of them assumes evenly spaced steps.
 */

/** The median of `values` (the mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Robust standard deviation: `1.4826 · median(|x − median(x)|)` (the median absolute
 * deviation, scaled to equal the standard deviation for normal noise). One outlier
 * cannot move it, unlike the standard deviation.
 */
export function robustScale(values: readonly number[]): number {
  const centre = median(values);
  return 1.4826 * median(values.map((value) => Math.abs(value - centre)));
}

/**
 * The level of a noisy curve: the centred rolling median,
 * `level[i] = median(values[i − h .. i + h])` with `h = ⌊window / 2⌋`, the window cut
 * at both ends. Mini-batch noise and single spikes do not move it; a lasting change does
 * once it covers more than half the window.
 */
export function rollingMedian(values: readonly number[], window: number): number[] {
  const half = Math.floor(window / 2);
  return values.map((_, i) => median(values.slice(Math.max(0, i - half), i + half + 1)));
}

/** A least-squares line `y ≈ intercept + slope · x`. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Standard error of the slope: `sqrt(Σ r² / (n − 2) / Σ (x − x̄)²)` (0 for two points). */
  readonly slopeError: number;
  /** Standard deviation of the residuals `r = y − fit`, `sqrt(Σ r² / (n − 2))`. */
  readonly residualScale: number;
}

/**
 * Ordinary least squares of `y` on `x`: `slope = Σ (x − x̄)(y − ȳ) / Σ (x − x̄)²`,
 * `intercept = ȳ − slope · x̄`. Needs two distinct `x`; with fewer the slope is 0.
 */
export function linearFit(x: readonly number[], y: readonly number[]): LinearFit {
  const n = x.length;
  const meanX = x.reduce((sum, value) => sum + value, 0) / n;
  const meanY = y.reduce((sum, value) => sum + value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (x[i] as number) - meanX;
    sxx += dx * dx;
    sxy += dx * ((y[i] as number) - meanY);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = meanY - slope * meanX;
  let squares = 0;
  for (let i = 0; i < n; i += 1) squares += ((y[i] as number) - intercept - slope * (x[i] as number)) ** 2;
  const variance = n > 2 ? squares / (n - 2) : 0;
  return { slope, intercept, slopeError: sxx > 0 ? Math.sqrt(variance / sxx) : 0, residualScale: Math.sqrt(variance) };
}

/** The smallest value and its index (the first one on ties); index -1 for none. */
export function argMin(values: readonly number[]): { readonly index: number; readonly value: number } {
  let index = -1;
  let value = Number.POSITIVE_INFINITY;
  values.forEach((candidate, i) => {
    if (candidate < value) {
      value = candidate;
      index = i;
    }
  });
  return { index, value };
}
