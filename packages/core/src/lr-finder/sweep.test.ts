import { describe, expect, it } from 'vitest';
import { scheduleFromJSON } from '../schedules/spec.js';
import { lossSmoother, sweepSpec } from './sweep.js';

const smoothLosses = (losses: number[], smoothing: number): number[] => losses.map(lossSmoother(smoothing));

describe('sweepSpec', () => {
  it('spaces the rates exponentially, min · (max/min)^(t/(n−1)), ending exactly at max', () => {
    const spec = sweepSpec(1e-4, 1, 5, 'exponential');
    expect(spec).toEqual({ type: 'exponentialDecay', initialValue: 1e-4, decayRate: 1e4, decaySteps: 4, endValue: 1 });
    const sweep = scheduleFromJSON(spec);
    const rates = [0, 1, 2, 3, 4].map((t) => sweep(t));
    for (const [t, expected] of [1e-4, 1e-3, 1e-2, 1e-1].entries()) expect(rates[t]).toBeCloseTo(expected, 14 - t);
    expect(rates[4]).toBe(1);
    // 100 steps from 1e-7 to 10 (fastai's range): the ratio of neighbours is constant, 1e8^(1/99).
    const wide = scheduleFromJSON(sweepSpec(1e-7, 10, 100, 'exponential'));
    expect(wide(99)).toBe(10);
    expect(wide(50) / wide(49)).toBeCloseTo(1e8 ** (1 / 99), 12);
  });

  it('spaces the rates linearly, min + (max − min) · t/(n−1)', () => {
    const sweep = scheduleFromJSON(sweepSpec(0.1, 0.5, 5, 'linear'));
    expect([0, 1, 2, 3, 4].map((t) => sweep(t))).toEqual([0.1, 0.2, expect.closeTo(0.3, 15), expect.closeTo(0.4, 15), 0.5]);
  });
});

describe('lossSmoother (bias-corrected moving average)', () => {
  it('computes a_t = β a_(t−1) + (1 − β) loss_t, reported as a_t / (1 − β^(t+1))', () => {
    // β = 0.5: a_0 = 0.5·2 = 1 → 1/0.5 = 2; a_1 = 0.5·1 + 0.5·1 = 1 → 1/0.75 = 4/3;
    // a_2 = 0.5·1 + 0.5·4 = 2.5 → 2.5/0.875 = 20/7.
    expect(smoothLosses([2, 1, 4], 0.5)).toEqual([2, 4 / 3, expect.closeTo(20 / 7, 15)]);
    // The correction makes a constant curve constant from the first point (fastai's AvgSmoothLoss).
    for (const value of smoothLosses([3, 3, 3, 3], 0.98)) expect(value).toBeCloseTo(3, 12);
    expect(smoothLosses([5, 1, 7], 0)).toEqual([5, 1, 7]);
    expect(smoothLosses([], 0.9)).toEqual([]);
  });

  it('turns every value from a non-finite loss on non-finite', () => {
    expect(smoothLosses([1, Number.NaN, 1], 0.9).map(Number.isFinite)).toEqual([true, false, false]);
    expect(smoothLosses([1, Infinity], 0.9)[1]).toBe(Infinity);
  });
});
