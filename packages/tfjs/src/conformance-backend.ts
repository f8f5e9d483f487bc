import * as tf from '@tensorflow/tfjs-core';
import { activeBackendName, readyBackendName } from './tfjs/active-backend.js';
import { tfjsOps } from './ops.js';

const where = 'tfjs conformance backend';

/**
 * tfjs as a conformance backend (structurally a `ConformanceBackend` of
 * `@stepsize/conformance`, what `stepsize-conformance --backend tfjs` loads) on
 * whatever tfjs backend is active: parameters are `tf.Variable`s, each step runs
 * in `tf.tidy`. This package registers no tfjs backend: when none is active as a
 * case starts, the case fails with an error saying to import one
 * (`@tensorflow/tfjs-backend-cpu`, `@tensorflow/tfjs`) or to `await tf.setBackend(name)`;
 * `prepare()` (which `runSuite` and the CLI await) waits for one, and in a process
 * with none registered loads tfjs's cpu backend when it is installed.
 *
 * @example
 * ```ts
 * await tf.setBackend('wasm');
 * const results = await runSuite(conformanceBackend, pytorchOptimizerCases());
 * ```
 */
export const conformanceBackend = {
  get name(): string {
    return `tfjs (${tf.getBackend() ?? 'no backend'})`;
  },
  /**
   * Waits for a tfjs backend before the first case (`tf.ready()`: the active one, or
   * the best registered one, an asynchronous one such as wasm included); with none
   * registered, imports `@tensorflow/tfjs-backend-cpu` if it is installed, else rejects
   * with the same error as a case.
   */
  prepare: async (): Promise<void> => {
    if (!tf.getBackend() && tf.engine().backendNames().length === 0) {
      // A fresh process (the CLI) has no backend: use tfjs's cpu backend when it is installed
      // (an optional peer, part of @tensorflow/tfjs); otherwise the error below says what to do.
      try {
        await import('@tensorflow/tfjs-backend-cpu');
      } catch {}
    }
    await readyBackendName(where);
  },
  ops: tfjsOps,
  /** A float32 tensor of the values. */
  fromValues: (values: Float32Array, shape: readonly number[]): tf.Tensor => {
    activeBackendName(where);
    return tf.tensor(values, [...shape], 'float32');
  },
  /** A trainable `tf.Variable` (the first thing a case makes: it checks that a tfjs backend is active). */
  createParameter: (values: Float32Array, shape: readonly number[]): tf.Tensor => {
    activeBackendName(where);
    return tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32')));
  },
  /** Reads the tensor back. */
  toValues: (tensor: tf.Tensor): Float32Array => tensor.dataSync() as Float32Array,
  // The step's report holds only numbers and strings, which tf.tidy passes through.
  /** Runs a step inside `tf.tidy`. */
  scope: <R>(body: () => R): R => tf.tidy(() => body() as unknown as tf.TensorContainer) as unknown as R,
  /** Frees a tensor. */
  dispose: (tensor: tf.Tensor): void => tensor.dispose(),
};
