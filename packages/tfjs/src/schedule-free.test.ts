import { adam, scheduleFreeAdamW, scheduleFreeSgd } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepsizeOptimizer } from './optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A small regression model trained with model.fit, and its data. */
async function fitted(optimizer: StepsizeOptimizer) {
  const xs = tf.tensor2d(
    Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7)),
    [32, 2],
  );
  const ys = tf.tensor2d(
    Array.from({ length: 32 }, (_, i) => Math.cos(i * 0.3)),
    [32, 1],
  );
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })] });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  await model.fit(xs, ys, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  return { model, xs, ys };
}

const valuesOf = (model: tf.LayersModel): number[][] => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('StepsizeOptimizer.withEvaluationParameters', () => {
  for (const [name, make] of [
    ['scheduleFreeAdamW', () => scheduleFreeAdamW({ learningRate: 0.05, weightDecay: 0.01 })],
    ['scheduleFreeSgd', () => scheduleFreeSgd({ learningRate: 0.1 })],
  ] as const) {
    it(`${name}: swaps x = (y - (1 - b1) z) / b1 in for the body and y back after, leaking nothing`, async () => {
      const optimizer = new StepsizeOptimizer(make());
      const { model, xs, ys } = await fitted(optimizer);
      const y = valuesOf(model);
      const state = await optimizer.readState();
      const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
      // By hand, in float32, b1 = 0.9 (optax schedule_free_eval_params).
      const x = names.map((variable, i) =>
        (y[i] as number[]).map((v, j) => {
          const z = ((state?.params[variable]?.z ?? []) as number[])[j] as number;
          return Math.fround(Math.fround(v - Math.fround(z * Math.fround(1 - 0.9))) / Math.fround(0.9));
        }),
      );
      expect(x).not.toEqual(y);
      const tensors = tf.memory().numTensors;
      const inside = await optimizer.withEvaluationParameters(() => valuesOf(model));
      expect(inside).toEqual(x);
      expect(valuesOf(model)).toEqual(y);
      // Evaluating at x differs from evaluating at y, and a throwing body still restores y.
      const loss = (): number => {
        const value = model.evaluate(xs, ys) as tf.Scalar;
        const number = value.dataSync()[0] as number;
        value.dispose();
        return number;
      };
      const atX = await optimizer.withEvaluationParameters(loss);
      expect(atX).not.toBe(loss());
      await expect(
        optimizer.withEvaluationParameters(() => {
          throw new Error('body failed');
        }),
      ).rejects.toThrow('body failed');
      expect(valuesOf(model)).toEqual(y);
      expect(tf.memory().numTensors).toBe(tensors);
      model.dispose();
      xs.dispose();
      ys.dispose();
      optimizer.dispose();
    });
  }

  it('just runs the body for other optimizers and before the first update', async () => {
    const fresh = new StepsizeOptimizer(scheduleFreeAdamW());
    expect(await fresh.withEvaluationParameters(() => 7)).toBe(7);
    const optimizer = new StepsizeOptimizer(adam({ learningRate: 0.01 }));
    const { model, xs, ys } = await fitted(optimizer);
    const before = valuesOf(model);
    expect(await optimizer.withEvaluationParameters(() => valuesOf(model))).toEqual(before);
    model.dispose();
    xs.dispose();
    ys.dispose();
  });
});
