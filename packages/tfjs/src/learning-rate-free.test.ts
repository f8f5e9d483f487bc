import { dAdaptAdamW, dog, type Optimizer, prodigy } from '@stepsize/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectTrainsLikeEngine } from './test-support/engine-agreement.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mlp = { inputSize: 2, layers: [8, 1], activation: 'tanh', loss: 'mse', seed: 3 } as const;
const data = {
  inputs: Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 0.9)),
  targets: Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.4)),
  examples: 40,
};

describe('learning-rate-free optimizers on the tfjs training backend', () => {
  for (const [name, make] of [
    ['prodigy', () => prodigy({ weightDecay: 0.01 })],
    ['dAdaptAdamW', () => dAdaptAdamW()],
    ['dog', () => dog({ weightDecay: 1e-4 })],
  ] as [string, () => Optimizer][]) {
    it(`${name}: trains as the engine does (its estimate read back each update), with a constant tensor count`, async () => {
      const { backend } = await expectTrainsLikeEngine({ mlp, data, make, steps: 30, tolerance: 1e-4 });
      // The estimate (DoG: the distance) grew from about 1e-6: the rate was learned, not given.
      const state = await backend.readOptimizerState();
      const group = state.groups[0] ?? {};
      expect(group.estimate ?? group.maxDistance).toBeGreaterThan(1e-5);
      backend.dispose();
    });
  }
});
