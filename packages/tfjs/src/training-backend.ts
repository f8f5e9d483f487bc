import { StepsizeError, optimizerFromJSON, type MlpTrainingSetup } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { StepsizeOptimizer } from './optimizer.js';

/** The setup a cross-backend check runs (core's `MlpTrainingSetup`). */
export type TfjsTrainingSetup = MlpTrainingSetup;

let runs = 0;

/**
 * Trains the setup's MLP with tf ops (dense layers with `[in, out]` kernels,
 * the activation after each hidden layer, the loss on logits) and a
 * {@link StepsizeOptimizer}, on the active tfjs backend, with sequential
 * batches; returns the loss of every step and frees everything it made.
 */
export function tfjsLossTrajectory(setup: TfjsTrainingSetup): number[] {
  const prefix = `stepsize_cross_${(runs += 1)}`;
  const variables: tf.Variable[] = [];
  let fanIn = setup.inputSize;
  setup.layers.forEach((fanOut, i) => {
    for (const [part, shape] of [
      ['weight', [fanIn, fanOut]],
      ['bias', [fanOut]],
    ] as const) {
      const values = setup.weights[`dense${i}.${part}`];
      const size = shape.reduce((a, b) => a * b, 1);
      if (!values || values.length !== size)
        throw new StepsizeError(`setup.weights.dense${i}.${part}`, `must hold ${size} values`, values?.length);
      variables.push(tf.variable(tf.tensor(values as number[], [...shape], 'float32'), true, `${prefix}/dense${i}.${part}`));
    }
    fanIn = fanOut;
  });
  const optimizer = new StepsizeOptimizer(optimizerFromJSON(setup.optimizer));
  const outputs = setup.layers[setup.layers.length - 1] as number;
  const width = setup.loss === 'softmaxCrossEntropy' ? 1 : outputs;
  const batches = Math.floor(setup.data.examples / setup.batchSize);
  const inputs = tf.tensor2d(setup.data.inputs as number[], [setup.data.examples, setup.inputSize]);
  const targets = tf.tensor2d(setup.data.targets as number[], [setup.data.examples, width]);
  const activate = { relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid }[setup.activation];
  const losses: number[] = [];
  try {
    for (let step = 0; step < setup.steps; step += 1) {
      const first = (step % batches) * setup.batchSize;
      const cost = optimizer.minimize(() => {
        const x = tf.slice(inputs, [first, 0], [setup.batchSize, setup.inputSize]);
        const y = tf.slice(targets, [first, 0], [setup.batchSize, width]);
        let h: tf.Tensor = x;
        for (let i = 0; i < setup.layers.length; i += 1) {
          h = tf.add(tf.matMul(h, variables[2 * i] as tf.Variable), variables[2 * i + 1] as tf.Variable);
          if (i < setup.layers.length - 1) h = activate(h);
        }
        if (setup.loss === 'mse') return tf.mean(tf.square(tf.sub(h, y))) as tf.Scalar;
        if (setup.loss === 'binaryCrossEntropy') return tf.losses.sigmoidCrossEntropy(y, h) as tf.Scalar;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), outputs), h) as tf.Scalar;
      }, true) as tf.Scalar;
      losses.push(cost.dataSync()[0] as number);
      cost.dispose();
    }
  } finally {
    optimizer.dispose();
    [inputs, targets, ...variables].forEach((t) => t.dispose());
  }
  return losses;
}

/**
 * tfjs as a cross-backend training backend (structurally a `TrainingBackend` of
 * `@stepsize/conformance`), on the active tfjs backend.
 *
 * @example
 * ```ts
 * await crossBackendCheck(tfjsTrainingBackend, engineTrainingBackend, setup);
 * ```
 */
export const tfjsTrainingBackend = {
  get name(): string {
    return `tfjs (${tf.getBackend()})`;
  },
  /** Trains the setup and returns the loss of every step. */
  lossTrajectory: (setup: TfjsTrainingSetup): number[] => tfjsLossTrajectory(setup),
};
