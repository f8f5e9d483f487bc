import { describe, expect, it } from 'vitest';
import { loadDataset } from './data.js';
import { lrFind, smooth, steepestIndex, sweepSpec, valleyIndex } from './lr-find.js';
import { makeSetup } from './setup.js';
import { scheduleFromJSON } from '@stepsize/core';

describe('LR range test', () => {
  it('sweeps exponentially or linearly from min to max', () => {
    const exponential = scheduleFromJSON(
      sweepSpec({ minRate: 1e-4, maxRate: 1, steps: 5, mode: 'exponential', smoothing: 0, divergence: 4 }),
    );
    expect([0, 1, 2, 3, 4].map((s) => exponential(s))).toEqual(
      [1e-4, 1e-3, 1e-2, 1e-1, 1].map((v, i) => expect.closeTo(v, 12 - i) as unknown as number),
    );
    const linear = scheduleFromJSON(sweepSpec({ minRate: 0.1, maxRate: 0.5, steps: 5, mode: 'linear', smoothing: 0, divergence: 4 }));
    expect([0, 2, 4].map((s) => linear(s))).toEqual([0.1, expect.closeTo(0.3, 12), 0.5]);
  });

  it('smooths with bias correction and finds the steepest descent and the valley', () => {
    expect(smooth([2, 2, 2], 0.9)).toEqual([2, expect.closeTo(2, 12), expect.closeTo(2, 12)]);
    const rates = Array.from({ length: 50 }, (_, i) => 10 ** (-5 + i / 10));
    // A loss that falls fastest around 1e-3 (index 20) and blows up after 1e-1 (index 40).
    const losses = rates.map((r, i) => (i < 40 ? 1 / (1 + Math.exp((Math.log10(r) + 3) * 3)) : 1 + (i - 40)));
    expect(steepestIndex(rates, losses)).toBe(20);
    const valley = valleyIndex(losses);
    expect(valley).toBeGreaterThan(10);
    expect(valley).toBeLessThan(40);
  });

  it("stops on divergence and leaves the setup's weights untouched", async () => {
    const setup = makeSetup({
      dataset: loadDataset('iris', 0),
      seed: 0,
      steps: 100,
      batchSize: 12,
      scheduleSpec: { type: 'constant', value: 1e-5 },
      optimizerSpec: { type: 'sgd' },
    });
    const before = structuredClone(setup.mlp);
    const result = await lrFind('engine', setup, {
      minRate: 1e-4,
      maxRate: 1e4,
      steps: 100,
      mode: 'exponential',
      smoothing: 0.9,
      divergence: 4,
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.losses.length).toBeLessThan(100);
    expect(result.valley).toBeLessThan(result.learningRates.at(-1) as number);
    expect(setup.mlp).toEqual(before);
  });
});
