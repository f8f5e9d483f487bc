import * as tf from '@tensorflow/tfjs-core';
import { tfjsOps } from './ops.js';

/**
 * tfjs as a conformance backend (structurally a `ConformanceBackend` of
 * `@stepsize/conformance`) on whatever tfjs backend is active: parameters are
 * `tf.Variable`s, each step runs in `tf.tidy`.
 *
 * @example
 * ```ts
 * await tf.setBackend('wasm');
 * runSuite(tfjsConformanceBackend, pytorchOptimizerCases());
 * ```
 */
export const tfjsConformanceBackend = {
  get name(): string {
    return `tfjs (${tf.getBackend()})`;
  },
  ops: tfjsOps,
  /** A float32 tensor of the values. */
  fromValues: (values: Float32Array, shape: readonly number[]): tf.Tensor => tf.tensor(values, [...shape], 'float32'),
  /** A trainable `tf.Variable`. */
  createParameter: (values: Float32Array, shape: readonly number[]): tf.Tensor => tf.variable(tf.tensor(values, [...shape], 'float32')),
  /** Reads the tensor back. */
  toValues: (tensor: tf.Tensor): Float32Array => tensor.dataSync() as Float32Array,
  // The step's report holds only numbers and strings, which tf.tidy passes through.
  /** Runs a step inside `tf.tidy`. */
  scope: <R>(body: () => R): R => tf.tidy(() => body() as unknown as tf.TensorContainer) as unknown as R,
  /** Frees a tensor. */
  dispose: (tensor: tf.Tensor): void => tensor.dispose(),
};
