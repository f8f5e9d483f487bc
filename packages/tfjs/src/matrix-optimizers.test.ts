import { adafactor, muon, type Optimizer, train } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepsizeOptimizer } from './optimizer.js';
import { tfjsTrainingBackend } from './training-backend.js';

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
      const backend = await tfjsTrainingBackend({ mlp });
      const reference = await train({ backend: await engineTrainingBackend({ mlp }), optimizer: make(), data, batchSize: 8, steps: 25 });
      const tensors = { before: 0 };
      const result = await train({
        backend,
        optimizer: make(),
        data,
        batchSize: 8,
        steps: 25,
        onStep: (record) => {
          if (record.step === 5) tensors.before = tf.memory().numTensors;
        },
      });
      expect(tf.memory().numTensors).toBe(tensors.before);
      result.history.forEach((record, i) => {
        const expected = reference.history[i]?.loss as number;
        expect(Math.abs(record.loss - expected) / Math.abs(expected), `update ${i}`).toBeLessThan(name.includes('bfloat16') ? 2e-2 : 1e-4);
      });
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
          if (i === restoreAt) {
            const saved = await optimizer.getWeights();
            const copies = saved.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
            optimizer.dispose();
            optimizer = new StepsizeOptimizer(make());
            await optimizer.setWeights(copies);
            for (const c of copies) c.tensor.dispose();
          }
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
