import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { adam, sgd } from '../optimizers/builtin/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { StepReport } from '../optimizers/step.js';
import type { TrainingBackend } from '../training/backend.js';
import type { Dataset } from '../training/data.js';
import { linearBackend } from '../training/test-support/linear-backend.js';
import { train } from '../training/train.js';
import { findLearningRate } from './find.js';
import { suggestLearningRates } from './suggestions.js';
import { sweepSpec } from './sweep.js';
import { scheduleFromJSON } from '../schedules/spec.js';

/** y = 2 x0 − x1 + 0.5, 40 examples. */
function line(examples = 40): Dataset {
  const inputs = Float32Array.from({ length: examples * 2 }, (_, i) => Math.sin(i * 1.3));
  const targets = Float32Array.from({ length: examples }, (_, e) => 2 * (inputs[2 * e] as number) - (inputs[2 * e + 1] as number) + 0.5);
  return { inputs, targets, examples };
}

/** The bits of every parameter value (so -0, NaN payloads and rounding all count). */
async function bits(backend: TrainingBackend): Promise<Record<string, number[]>> {
  const params = await backend.readParameters();
  return Object.fromEntries(Object.entries(params).map(([name, values]) => [name, Array.from(new Uint32Array(values.buffer))]));
}

/** A backend that calls `hook` before each backward pass (with the count so far) and records what the optimizer reported. */
function instrumented(
  backend: TrainingBackend,
  hook: (calls: number) => void = () => {},
): TrainingBackend & { reports: StepReport[]; optimizers: Optimizer[] } {
  let calls = 0;
  const reports: StepReport[] = [];
  const optimizers: Optimizer[] = [];
  return {
    ...backend,
    reports,
    optimizers,
    setOptimizer: (optimizer) => {
      optimizers.push(optimizer);
      return backend.setOptimizer(optimizer);
    },
    lossAndGradients: (batch) => {
      hook(calls);
      calls += 1;
      return backend.lossAndGradients(batch);
    },
    applyGradients: async (gradients) => {
      const report = await backend.applyGradients(gradients);
      reports.push(report);
      return report;
    },
  };
}

describe('findLearningRate on the linear test backend', () => {
  it('trains through train() with the sweep as the learning rate, recording every update', async () => {
    const backend = linearBackend(2);
    const result = await findLearningRate({
      backend,
      data: line(),
      batchSize: 5,
      optimizer: sgd({ learningRate: 1, momentum: 0.9 }),
      minLearningRate: 1e-4,
      maxLearningRate: 1e-2,
      steps: 30,
      seed: 3,
    });
    expect(result).toMatchObject({ stopReason: 'completed', stoppedEarly: false });
    expect(result.losses).toHaveLength(30);
    // The same losses as train() itself with the sweep's optimizer: batches, shuffles and updates are the loop's.
    const sweep = sweepSpec(1e-4, 1e-2, 30, 'exponential');
    const direct = await train({
      backend: linearBackend(2),
      data: line(),
      batchSize: 5,
      steps: 30,
      seed: 3,
      optimizer: sgd({ momentum: 0.9, learningRate: scheduleFromJSON(sweep) }),
    });
    expect(result.losses).toEqual(direct.history.map((r) => r.loss));
    expect(result.learningRates).toEqual(direct.history.map((r) => r.learningRate));
    expect(result.learningRates[0]).toBe(1e-4);
    expect(result.learningRates[29]).toBe(1e-2);
    // Smoothed with fastai's default β = 0.98, bias-corrected.
    let average = 0;
    result.losses.forEach((loss, t) => {
      average = 0.98 * average + 0.02 * loss;
      expect(result.smoothedLosses[t]).toBeCloseTo(average / (1 - 0.98 ** (t + 1)), 12);
    });
    const { suggestions, missing } = suggestLearningRates(result.learningRates, result.smoothedLosses, { steps: 30 });
    expect(result.suggestions).toEqual(suggestions);
    expect(result.missingSuggestions).toEqual(missing);
    expect(result.suggestion).toEqual(suggestions.valley);
    expect(result.suggestion).toBeDefined();
  });

  it('stops when the smoothed loss exceeds divergence × the best, and restores the parameters bit for bit', async () => {
    const backend = linearBackend(2);
    const before = await bits(backend);
    const result = await findLearningRate({
      backend,
      data: line(),
      batchSize: 5,
      optimizer: { type: 'sgd' },
      minLearningRate: 1e-3,
      maxLearningRate: 100,
      steps: 100,
      smoothing: 0.9,
      divergence: 4,
    });
    expect(result).toMatchObject({ stopReason: 'diverged', stoppedEarly: true });
    const smoothed = result.smoothedLosses;
    const last = smoothed.length - 1;
    // Stopped at the first update whose smoothed loss is above 4 × the best so far (torch-lr-finder's rule).
    expect(smoothed[last]).toBeGreaterThan(4 * Math.min(...smoothed));
    for (const [t, value] of smoothed.slice(0, last).entries()) {
      expect(value).toBeLessThanOrEqual(4 * Math.min(...smoothed.slice(0, t + 1)));
    }
    expect(await bits(backend)).toEqual(before);
    // The suggestions come from the part of the sweep before the blow-up.
    expect(result.suggestion?.learningRate).toBeLessThan(result.learningRates[last] as number);
    // The backend is left with a fresh state of the given optimizer (it had none before).
    expect((await backend.readOptimizerState()).step).toBe(0);
  });

  it('restores the optimizer state of an earlier run exactly, and leaves the backend with the given optimizer', async () => {
    const backend = instrumented(linearBackend(2));
    const optimizer = adam({ learningRate: 0.01, beta1: 0.8 });
    await train({ backend, data: line(), batchSize: 5, steps: 7, optimizer });
    const params = await bits(backend);
    const state = structuredClone(await backend.readOptimizerState());
    expect(state.step).toBe(7);
    await findLearningRate({ backend, data: line(), batchSize: 5, optimizer, steps: 20, maxLearningRate: 1 });
    expect(await bits(backend)).toEqual(params);
    expect(await backend.readOptimizerState()).toEqual(state);
  });

  it("keeps the optimizer's other options and scales groups by their learningRateScale", async () => {
    const backend = instrumented(linearBackend(2));
    const optimizer = sgd({
      learningRate: 1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 0.01,
      groups: [{ params: ['b'], learningRateScale: 0.5 }],
    });
    const result = await findLearningRate({ backend, data: line(), batchSize: 5, optimizer, steps: 10, maxLearningRate: 1e-2 });
    const swept = backend.optimizers[0]?.toJSON();
    expect(swept).toEqual({
      ...optimizer.toJSON(),
      learningRate: {
        type: 'exponentialDecay',
        initialValue: 1e-7,
        decayRate: 1e-2 / 1e-7,
        decaySteps: 9,
        endValue: 1e-2,
        beginStep: 0,
        staircase: false,
      },
    });
    // Each update: group b at half the sweep, the default group at the sweep, which is the recorded rate.
    backend.reports.forEach((report, t) => {
      expect(report.learningRates).toEqual([(result.learningRates[t] as number) * 0.5, result.learningRates[t]]);
    });
  });

  it("ends as 'notFinite' when a gradient is refused (nonFinite: 'throw'), keeping the curve, and restores the backend", async () => {
    const inner = linearBackend(2);
    const before = await bits(inner);
    const backend: TrainingBackend = {
      ...instrumented(inner),
      lossAndGradients: async (batch) => {
        const result = (await inner.lossAndGradients(batch)) as { loss: number; gradientNorm: number; gradients: Record<string, number[]> };
        if (inner.calls.backward === 4) return { ...result, gradients: { ...result.gradients, w: [Number.NaN, 0] } };
        return result;
      },
    };
    const result = await findLearningRate({ backend, data: line(), batchSize: 5, optimizer: { type: 'sgd' }, steps: 10 });
    expect(result).toMatchObject({ stopReason: 'notFinite', stoppedEarly: true });
    expect(result.losses).toHaveLength(3);
    expect(await bits(inner)).toEqual(before);
  });

  it("ends as 'notFinite' when the smoothed loss is not finite", async () => {
    const inner = linearBackend(2);
    const backend: TrainingBackend = {
      ...inner,
      lossAndGradients: async (batch) => {
        const result = await inner.lossAndGradients(batch);
        return inner.calls.backward === 6 ? { ...result, loss: Infinity } : result;
      },
    };
    const result = await findLearningRate({
      backend,
      data: line(),
      batchSize: 5,
      optimizer: { type: 'sgd' },
      steps: 10,
      divergence: Infinity,
    });
    expect(result.stopReason).toBe('notFinite');
    expect(result.smoothedLosses).toHaveLength(6);
    expect(result.smoothedLosses.at(-1)).toBe(Infinity);
  });

  it('restores the backend when aborted, and when the test throws', async () => {
    const controller = new AbortController();
    const inner = linearBackend(2);
    const before = await bits(inner);
    const aborting = instrumented(inner, (calls) => {
      if (calls === 5) controller.abort();
    });
    const aborted = await findLearningRate({
      backend: aborting,
      data: line(),
      batchSize: 5,
      optimizer: adam(),
      steps: 50,
      signal: controller.signal,
    });
    expect(aborted).toMatchObject({ stopReason: 'aborted', stoppedEarly: true });
    expect(aborted.losses).toHaveLength(6);
    expect(await bits(inner)).toEqual(before);

    const failing = instrumented(inner, (calls) => {
      if (calls === 8) throw new Error('the device was lost');
    });
    await expect(findLearningRate({ backend: failing, data: line(), batchSize: 5, optimizer: adam(), steps: 50 })).rejects.toThrow(
      'the device was lost',
    );
    expect(await bits(inner)).toEqual(before);

    const early = new AbortController();
    early.abort();
    const none = await findLearningRate({ backend: inner, data: line(), batchSize: 5, optimizer: adam(), signal: early.signal });
    expect(none).toMatchObject({ stopReason: 'aborted', losses: [], suggestion: undefined });
    expect(none.missingSuggestions.valley).toBe('needs 1 point(s), the trimmed curve has 0 of 0');
  });

  it('refuses a state the given optimizer cannot take back, before touching the backend', async () => {
    const backend = instrumented(linearBackend(2));
    await train({ backend, data: line(), batchSize: 5, steps: 3, optimizer: adam() });
    const params = await bits(backend);
    const reports = backend.reports.length;
    const error = await findLearningRate({ backend, data: line(), batchSize: 5, optimizer: { type: 'sgd', momentum: 0.9 } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(StepsizeError);
    expect(error.message).toMatch(
      /^findLearningRate options\.optimizer: the backend's optimizer state\.params\.w\.momentumBuffer is missing/,
    );
    expect(backend.reports.length).toBe(reports);
    expect(await bits(backend)).toEqual(params);
  });
});
