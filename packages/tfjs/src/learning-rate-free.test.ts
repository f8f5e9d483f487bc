import { dAdaptAdamW, dog, type Optimizer, prodigy, train } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsTrainingBackend } from './training-backend.js';

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
      const backend = await tfjsTrainingBackend({ mlp });
      const reference = await train({ backend: await engineTrainingBackend({ mlp }), optimizer: make(), data, batchSize: 8, steps: 30 });
      const tensors = { before: 0 };
      const result = await train({
        backend,
        optimizer: make(),
        data,
        batchSize: 8,
        steps: 30,
        onStep: (record) => {
          if (record.step === 5) tensors.before = tf.memory().numTensors;
        },
      });
      expect(tf.memory().numTensors).toBe(tensors.before);
      result.history.forEach((record, i) => {
        const expected = reference.history[i]?.loss as number;
        expect(Math.abs(record.loss - expected) / Math.abs(expected), `update ${i}`).toBeLessThan(1e-4);
      });
      // The estimate (DoG: the distance) grew from about 1e-6: the rate was learned, not given.
      const state = await backend.readOptimizerState();
      const group = state.groups[0] ?? {};
      expect(group.estimate ?? group.maxDistance).toBeGreaterThan(1e-5);
      backend.dispose();
    });
  }
});
