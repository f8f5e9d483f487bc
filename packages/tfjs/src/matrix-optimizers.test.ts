import { adafactor, muon, type Optimizer } from '@stepsize/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepsizeOptimizer } from './optimizer.js';
import { expectTrainsLikeEngine, restartThroughWeights } from './test-support/engine-agreement.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mlp = { inputSize: 3, layers: [6, 2], activation: 'tanh', loss: 'mse', seed: 5 } as const;
const data = {
  inputs: Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * 0.9)),
  targets: Float32Array.from({ length: 80 }, (_, i) => Math.cos(i * 0.4)),
  examples: 40,
};

const cases: [string, () => Optimizer][] = [
  ['muon', () => muon({ learningRate: 0.02, weightDecay: 0.01 })],
  ['muon (PyTorch, bfloat16)', () => muon({ convention: 'pytorch', learningRate: 0.02 })],
  ['adafactor', () => adafactor({ weightDecay: 0.01 })],
];

describe('the matrix optimizers on tfjs', () => {
  for (const [name, make] of cases) {
    it(`${name}: trains as the engine does, with a constant tensor count`, async () => {
      const tolerance = name.includes('bfloat16') ? 2e-2 : 1e-4;
      const { result, backend } = await expectTrainsLikeEngine({ mlp, data, make, steps: 25, tolerance });
      expect(result.history.at(-1)?.loss).toBeLessThan(result.history[0]?.loss as number);
      backend.dispose();
    });
  }

  it('getWeights / setWeights restore the shaped state (Adafactor factors, Muon buffers): a resumed run continues exactly', async () => {
    for (const make of [() => muon({ learningRate: 0.05 }), () => adafactor()]) {
      const run = async (restoreAt?: number): Promise<number[]> => {
        const w = tf.variable(tf.tensor2d([1, -2, 3, 0.5, -1, 2], [2, 3]), true);
        const b = tf.variable(tf.tensor1d([0.1, 0.2, -0.3]), true);
        let optimizer = new StepsizeOptimizer(make());
        const loss = (): tf.Scalar => tf.sum(tf.square(tf.sub(tf.add(tf.mul(w, w), b), 1)));
        for (let i = 0; i < 12; i += 1) {
          if (i === restoreAt) optimizer = await restartThroughWeights(optimizer, make);
          optimizer.minimize(loss);
        }
        const values = [...w.dataSync(), ...b.dataSync()];
        optimizer.dispose();
        w.dispose();
        b.dispose();
        return values;
      };
      expect(await run(5)).toEqual(await run());
    }
  });
});
