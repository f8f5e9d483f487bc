import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { adamW, sgd } from '../optimizers/builtin/index.js';
import { isNonFiniteGradientError, nonFiniteGradientError } from '../optimizers/step.js';
import { readRangeTestOptions, sweepOptimizer } from './find-options.js';
import { rangeTestRecorder } from './range-test.js';
import { suggestLearningRates } from './suggestions.js';
import { lossSmoother, sweepSpec } from './sweep.js';

describe('rangeTestRecorder', () => {
  it('smooths each loss, stops after the first smoothed loss above divergence × the best, and suggests as fastai', () => {
    const curve = rangeTestRecorder({ steps: 40, smoothing: 0.9, divergence: 3 });
    const rates = Array.from({ length: 40 }, (_, t) => 10 ** (t / 10 - 3));
    // A valley, then a blow-up.
    const losses = rates.map((_, t) => (t < 25 ? 2 - t / 25 : 1 + 2 ** (t - 24)));
    const smooth = lossSmoother(0.9);
    let best = Infinity;
    let stoppedAt = -1;
    for (const [t, loss] of losses.entries()) {
      const smoothed = smooth(loss);
      best = Math.min(best, smoothed);
      const stop = curve.record(rates[t] as number, loss);
      // torch-lr-finder's rule, on the smoothed loss: the first value above 3 × the best so far ends it.
      expect(stop).toBe(smoothed > 3 * best ? 'diverged' : undefined);
      if (stop) {
        stoppedAt = t;
        break;
      }
    }
    const result = curve.result();
    expect(stoppedAt).toBeGreaterThan(25);
    expect(result).toMatchObject({ stopReason: 'diverged', stoppedEarly: true });
    expect(result.losses).toEqual(losses.slice(0, stoppedAt + 1));
    expect(result.learningRates).toEqual(rates.slice(0, stoppedAt + 1));
    expect(result.smoothedLosses).toEqual(result.losses.map(lossSmoother(0.9)));
    const at = result.smoothedLosses.length - 1;
    expect(result.smoothedLosses[at]).toBeGreaterThan(3 * Math.min(...result.smoothedLosses));
    const { suggestions, missing } = suggestLearningRates(result.learningRates, result.smoothedLosses, { steps: 40 });
    expect(result).toMatchObject({ suggestions, missingSuggestions: missing, suggestion: suggestions.valley });
    // A reason given to result wins (an abort, a refused gradient).
    expect(curve.result('aborted').stopReason).toBe('aborted');
  });

  it("says 'notFinite' for a non-finite smoothed loss, and 'completed' for a full curve", () => {
    const infinite = rangeTestRecorder({ steps: 10, smoothing: 0.98, divergence: Infinity });
    expect(infinite.record(1e-3, 1)).toBeUndefined();
    expect(infinite.record(1e-2, Number.NaN)).toBe('notFinite');
    const full = rangeTestRecorder({ steps: 3, smoothing: 0, divergence: 5 });
    for (const loss of [3, 2, 1]) expect(full.record(0.1, loss)).toBeUndefined();
    expect(full.result()).toMatchObject({ stopReason: 'completed', stoppedEarly: false, smoothedLosses: [3, 2, 1] });
  });
});

describe('readRangeTestOptions and sweepOptimizer', () => {
  it("fills in core's defaults and names errors after the caller", () => {
    expect(readRangeTestOptions({}, 'myTest options')).toEqual({
      minLearningRate: 1e-7,
      maxLearningRate: 10,
      steps: 100,
      mode: 'exponential',
      smoothing: 0.98,
      divergence: 5,
      signal: undefined,
      sweep: sweepSpec(1e-7, 10, 100, 'exponential'),
    });
    expect(readRangeTestOptions({ mode: 'linear', steps: 3 }, 'x').sweep).toEqual(sweepSpec(1e-7, 10, 3, 'linear'));
    let error: unknown;
    try {
      readRangeTestOptions({ divergence: 0.5 }, 'myTest options');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StepsizeError);
    expect(error).toMatchObject({
      path: 'myTest options.divergence',
      value: 0.5,
      message: 'myTest options.divergence must be a number > 1, got 0.5',
    });
  });

  it('puts the sweep in the learning rate, keeps the rest, and refuses a group with its own rate at the given path', () => {
    const sweep = sweepSpec(1e-4, 1, 10, 'exponential');
    const optimizer = adamW({ learningRate: 0.1, weightDecay: 0.02, groups: [{ params: ['*bias'], learningRateScale: 0.5 }] });
    const swept = sweepOptimizer(optimizer, sweep, 'here');
    expect(swept.toJSON()).toEqual({
      ...optimizer.toJSON(),
      learningRate: sweepOptimizer({ type: 'sgd' }, sweep, 'here').toJSON().learningRate,
    });
    expect(() => sweepOptimizer(sgd({ learningRate: 1, groups: [{ params: ['b'], learningRate: 0.1 }] }), sweep, 'there')).toThrow(
      /^there\.groups\[0\]\.learningRate cannot be swept: give the group a learningRateScale instead, got 0\.1$/,
    );
  });
});

describe('isNonFiniteGradientError', () => {
  it('tells the refused-gradient error from others', () => {
    expect(isNonFiniteGradientError(nonFiniteGradientError('dense/kernel', 3))).toBe(true);
    expect(isNonFiniteGradientError(new StepsizeError('train', 'skipped 10 batches in a row'))).toBe(false);
    expect(isNonFiniteGradientError(new Error('gradients.w[0]'))).toBe(false);
  });
});
