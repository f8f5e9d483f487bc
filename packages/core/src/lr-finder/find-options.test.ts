import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { sgd } from '../optimizers/builtin/index.js';
import { lambdaFactor } from '../schedules/custom.js';
import type { Dataset } from '../training/data.js';
import { linearBackend } from '../training/test-support/linear-backend.js';
import { findLearningRate } from './find.js';
import { readFindOptions } from './find-options.js';

const data: Dataset = { inputs: Float32Array.from({ length: 20 }, (_, i) => i / 20), targets: new Float32Array(10), examples: 10 };

describe('findLearningRate options', () => {
  it("fills in the defaults: 1e-7 to 10 over 100 steps, exponential, fastai's smoothing 0.98, torch-lr-finder's divergence 5", () => {
    const plan = readFindOptions({ backend: linearBackend(2), data, batchSize: 2, optimizer: { type: 'adam' } });
    expect(plan).toMatchObject({ training: { steps: 100, seed: 0, signal: undefined, batchSize: 2 }, smoothing: 0.98, divergence: 5 });
    expect(plan.training.optimizer.toJSON().learningRate).toEqual({
      type: 'exponentialDecay',
      initialValue: 1e-7,
      decayRate: 1e8,
      decaySteps: 99,
      endValue: 10,
      beginStep: 0,
      staircase: false,
    });
    const linear = readFindOptions({
      backend: linearBackend(2),
      data,
      batchSize: 2,
      optimizer: { type: 'adam' },
      mode: 'linear',
      steps: 11,
    });
    expect(linear.training.optimizer.toJSON().learningRate).toEqual({
      type: 'linear',
      initialValue: 1e-7,
      endValue: 10,
      steps: 10,
      beginStep: 0,
    });
  });

  it('refuses every bad option with an error naming it and the bad value, before the backend is touched', async () => {
    const backend = linearBackend(2);
    const base = { backend, data, batchSize: 2, optimizer: { type: 'sgd' } };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ minLearningRate: 0 }, /^findLearningRate options\.minLearningRate must be a finite number > 0, got 0$/],
      [{ minLearningRate: -1e-3 }, /^findLearningRate options\.minLearningRate must be a finite number > 0, got -0\.001$/],
      [{ minLearningRate: '1e-3' }, /minLearningRate must be a finite number > 0, got "1e-3"/],
      [
        { maxLearningRate: 1e-8 },
        /^findLearningRate options\.maxLearningRate must be a finite number > minLearningRate \(1e-7\), got 1e-8$/,
      ],
      [{ minLearningRate: 0.1, maxLearningRate: 0.1 }, /maxLearningRate must be a finite number > minLearningRate \(0\.1\), got 0\.1/],
      [{ steps: 1 }, /^findLearningRate options\.steps must be an integer >= 2, got 1$/],
      [{ steps: 10.5 }, /steps must be an integer >= 2, got 10\.5/],
      [{ smoothing: 1 }, /^findLearningRate options\.smoothing must be a number in \[0, 1\), got 1$/],
      [{ smoothing: -0.5 }, /smoothing must be a number in \[0, 1\), got -0\.5/],
      [{ divergence: 1 }, /^findLearningRate options\.divergence must be a number > 1, got 1$/],
      [{ divergence: Number.NaN }, /divergence must be a number > 1, got NaN/],
      [{ mode: 'exp' }, /^findLearningRate options\.mode must be 'exponential' or 'linear', got "exp"$/],
      [{ batchSize: 0 }, /^findLearningRate options\.batchSize must be an integer from 1 to 10, got 0$/],
      [{ batchSize: 11 }, /batchSize must be an integer from 1 to 10, got 11/],
      [{ seed: 0.5 }, /^findLearningRate options\.seed must be an integer, got 0\.5$/],
      [{ signal: 'stop' }, /^findLearningRate options\.signal must be an AbortSignal, got "stop"$/],
      [{ backend: {} }, /^findLearningRate options\.backend must be a training backend/],
      [{ data: { inputs: [1], targets: [1], examples: 1 } }, /^findLearningRate options\.data\.inputs must be a Float32Array/],
      [{ optimizer: 'adam' }, /^findLearningRate options\.optimizer must be a stepsize optimizer or its JSON spec/],
      [{ optimizer: { type: 'adam', beta1: 2 } }, /\$\.beta1 must be/],
      [
        { optimizer: { type: 'sgd', groups: [{ params: ['b'], learningRate: 0.1 }] } },
        /^findLearningRate options\.optimizer\.groups\[0\]\.learningRate cannot be swept: give the group a learningRateScale instead, got 0\.1$/,
      ],
      [
        { optimizer: { type: 'sgd', groups: [{ params: ['bias'], learningRateScale: 2 }] } },
        /groups\[0\]\.params\[0\] matches no parameter; parameters: w, b/,
      ],
    ];
    for (const [change, message] of cases) {
      const error = await findLearningRate({ ...base, ...change } as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(change)).toBeInstanceOf(StepsizeError);
      expect((error as Error).message, JSON.stringify(change)).toMatch(message);
    }
    expect(backend.calls.backward).toBe(0);
    await expect(findLearningRate(undefined as never)).rejects.toThrow(
      /^findLearningRate options must be an options object, got undefined$/,
    );
  });

  it('refuses an optimizer without a JSON form (the test rebuilds it around the sweep), with the function named', async () => {
    const optimizer = sgd({ learningRate: 0.1, momentum: lambdaFactor({ initialValue: 0.9, factor: () => 1 }) });
    await expect(findLearningRate({ backend: linearBackend(2), data, batchSize: 2, optimizer })).rejects.toThrow(
      /^lambdaFactor options\.factor is a custom function, which JSON cannot hold/,
    );
  });
});
