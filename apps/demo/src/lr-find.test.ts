import { findLearningRate } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import { describe, expect, it } from 'vitest';
import { loadDataset } from './data.js';
import { lrFind, lrFindOptions } from './lr-find.js';
import { makeSetup } from './setup.js';

const options = { minRate: 1e-4, maxRate: 1e4, steps: 100, mode: 'exponential', smoothing: 0.9, divergence: 4 } as const;

function setup() {
  return makeSetup({
    dataset: loadDataset('iris', 0),
    seed: 0,
    steps: 100,
    batchSize: 12,
    scheduleSpec: { type: 'constant', value: 1e-4 },
    optimizerSpec: { type: 'adamW', weightDecay: 0.01 },
  });
}

describe("the demo's LR range test (core's findLearningRate)", () => {
  it("hands core the command line's options and the setup's data, batch size, seed and optimizer", () => {
    const demo = setup();
    expect(lrFindOptions(demo, options)).toEqual({
      data: demo.dataset.train,
      batchSize: 12,
      seed: 0,
      optimizer: { type: 'adamW', weightDecay: 0.01, learningRate: { type: 'constant', value: 1e-4 } },
      minLearningRate: 1e-4,
      maxLearningRate: 1e4,
      steps: 100,
      mode: 'exponential',
      smoothing: 0.9,
      divergence: 4,
    });
  });

  it("runs core's test on the chosen backend's copy of the setup's model, stopping on divergence", async () => {
    const demo = setup();
    const before = structuredClone(demo.mlp);
    const result = await lrFind('engine', demo, options);
    expect(result.stoppedEarly).toBe(true);
    expect(result.losses.length).toBeLessThan(100);
    expect(result.suggestions.valley?.learningRate).toBeLessThan(result.learningRates.at(-1) as number);
    expect(result.suggestions.steep).toBeDefined();
    expect(demo.mlp).toEqual(before);
    // The same numbers as core's function on an engine backend built from the setup's model.
    const direct = await findLearningRate({ backend: await engineTrainingBackend({ mlp: demo.mlp }), ...lrFindOptions(demo, options) });
    expect(result).toEqual(direct);
  });
});
