import { type AccuracyRule, type MlpLoss, StepsizeError } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A mean loss on the device: targets and the model's outputs in, a scalar out.
 *
 * @example
 * ```ts
 * const mse: MeanLoss = (targets, outputs) => tf.mean(tf.square(tf.sub(outputs, targets)));
 * ```
 */
export type MeanLoss = (targets: tf.Tensor, outputs: tf.Tensor) => tf.Scalar;

/**
 * How a backend scores its outputs by default (see core's `AccuracyRule`).
 *
 * @example
 * ```ts
 * const probabilities: AccuracyDefault = { rule: 'binary', threshold: 0.5 };
 * ```
 */
export interface AccuracyDefault {
  readonly rule: AccuracyRule;
  readonly threshold?: number | undefined;
}

/**
 * An `MlpSpec` loss on logits, as the engine computes it (in float32):
 * - `mse`: the mean over every element of (output − target)²;
 * - `softmaxCrossEntropy`: targets hold one class index per example; the mean
 *   over the batch of −log softmax(logits)[class], through tf's log-softmax
 *   (shifted by the largest logit, numerically stable);
 * - `binaryCrossEntropy`: sigmoid cross-entropy with logits, the mean over every
 *   element of max(o, 0) − o·y + log(1 + exp(−|o|)) (PyTorch `BCEWithLogitsLoss`).
 *
 * @example
 * ```ts
 * const loss = mlpLoss('softmaxCrossEntropy', 3);
 * tf.tidy(() => loss(tf.tensor1d([2, 0]), tf.tensor2d([[0, 1, 2], [2, 1, 0]])).dataSync()); // ≈ [0.4076]
 * ```
 */
export function mlpLoss(loss: MlpLoss, classes: number): MeanLoss {
  if (loss === 'mse') return (targets, outputs) => tf.mean(tf.square(tf.sub(outputs, targets)));
  if (loss === 'binaryCrossEntropy') {
    return (targets, logits) => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
  }
  return (targets, logits) => {
    const oneHot = tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32'), classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
  };
}

/**
 * Checks class-index targets on the host (tf's one-hot would silently give an
 * out-of-range index no class): errors name `where` and the element.
 *
 * @example
 * ```ts
 * checkClassIndices(Float32Array.of(0, 2), 3, 'batch'); // fine; Float32Array.of(3) throws
 * ```
 */
export function checkClassIndices(targets: Float32Array, classes: number, where: string): void {
  for (let i = 0; i < targets.length; i += 1) {
    const value = targets[i] as number;
    if (!Number.isInteger(value) || value < 0 || value >= classes) {
      throw new StepsizeError(`${where}.targets[${i}]`, `must be a class index in [0, ${classes - 1}], got ${value}`, value);
    }
  }
}

/**
 * The name of a compiled loss: the string given to `model.compile`, else the
 * function's name with bundler and op suffixes removed
 * (`categoricalCrossentropy$2`, `softmaxCrossEntropy__op`).
 *
 * @example
 * ```ts
 * lossName(tf.losses.softmaxCrossEntropy); // 'softmaxCrossEntropy'
 * ```
 */
export function lossName(loss: unknown): string | undefined {
  const first: unknown = Array.isArray(loss)
    ? loss[0]
    : typeof loss === 'object' && loss !== null
      ? Object.values(loss as Record<string, unknown>)[0]
      : loss;
  if (typeof first === 'string') return first;
  if (typeof first === 'function') return first.name.replace(/\$\d+$/, '').replace(/_+op$/, '');
  return undefined;
}

/**
 * The default accuracy of a compiled loss: `argmax` for (sparse) categorical
 * cross-entropy and tf's softmax cross-entropy, `binary` at 0.5 for binary
 * cross-entropy (on probabilities: tfjs's takes a sigmoid's output), `binary` at 0
 * for tf's sigmoid cross-entropy (on logits), none otherwise (regression losses).
 *
 * @example
 * ```ts
 * lossAccuracy('binaryCrossentropy'); // { rule: 'binary', threshold: 0.5 }
 * ```
 */
export function lossAccuracy(name: string | undefined): AccuracyDefault | undefined {
  switch (name) {
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy':
    case 'softmaxCrossEntropy':
      return { rule: 'argmax' };
    case 'binaryCrossentropy':
      return { rule: 'binary', threshold: 0.5 };
    case 'sigmoidCrossEntropy':
      return { rule: 'binary', threshold: 0 };
    default:
      return undefined;
  }
}
