import { BatchSampler } from '@stepsize/engine';
import { StepsizeOptimizer } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { optimizerOf, type DemoSetup } from '../setup.js';
import { argmaxAccuracy, recorder, StopTraining, type BackendRun, type DemoBackend } from './types.js';

let runs = 0;

/**
 * TensorFlow.js (cpu backend): the same MLP as tf variables, trained with a
 * StepsizeOptimizer over the same batches as the engine (the engine's seeded
 * per-epoch shuffles).
 */
export const tfjsBackend: DemoBackend = {
  name: 'tfjs',
  train: async (setup: DemoSetup, hooks = {}): Promise<BackendRun> => {
    await tf.setBackend('cpu');
    await tf.ready();
    const prefix = `stepsize_demo_${(runs += 1)}`;
    const variables: Record<string, tf.Variable> = {};
    for (const [name, { values, shape }] of Object.entries(setup.weights))
      variables[name] = tf.variable(tf.tensor(values, shape, 'float32'), true, `${prefix}/${name}`);
    const { train, validation, inputSize, classes } = setup.dataset;
    const layers = setup.layers.length;
    const forward = (x: tf.Tensor): tf.Tensor => {
      let h = x;
      for (let i = 0; i < layers; i += 1) {
        h = tf.add(tf.matMul(h, variables[`dense${i}.weight`] as tf.Variable), variables[`dense${i}.bias`] as tf.Variable);
        if (i < layers - 1) h = tf.tanh(h);
      }
      return h;
    };
    const lossOf = (x: tf.Tensor, labels: Float32Array): tf.Scalar =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes), forward(x)) as tf.Scalar;
    const optimizer = new StepsizeOptimizer(optimizerOf(setup));
    const sampler = new BatchSampler({ data: train, batchSize: setup.batchSize, seed: setup.seed });
    const { losses, record, finish } = recorder(hooks);
    const start = performance.now();
    try {
      for (let step = 0; step < setup.steps; step += 1) {
        const { inputs, targets } = sampler.batch(step);
        const learningRate = optimizer.learningRate;
        const cost = optimizer.minimize(() => lossOf(tf.tensor2d(inputs, [setup.batchSize, inputSize]), targets), true) as tf.Scalar;
        const loss = (await cost.data())[0] as number;
        cost.dispose();
        try {
          record(step, loss, learningRate);
        } catch (error) {
          if (error instanceof StopTraining) break;
          throw error;
        }
      }
      const wallMs = performance.now() - start;
      const stopped = losses.length < setup.steps;
      const held = stopped
        ? { loss: Number.NaN, logits: new Float32Array(0) }
        : tf.tidy(() => {
            const x = tf.tensor2d(validation.inputs, [validation.examples, inputSize]);
            return { loss: lossOf(x, validation.targets).dataSync()[0] as number, logits: forward(x).dataSync() };
          });
      return finish('tfjs', wallMs, {
        loss: held.loss,
        accuracy: stopped ? Number.NaN : argmaxAccuracy(held.logits, validation.targets, classes),
      });
    } finally {
      optimizer.dispose();
      Object.values(variables).forEach((v) => v.dispose());
    }
  },
};
