import { StepsizeError } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

const HOW_TO_REGISTER =
  'import "@tensorflow/tfjs-backend-cpu" (or "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", ...) in your program; this package imports none';

/**
 * The name of the active tfjs backend, activating the best registered one as tfjs's
 * first operation would; errors name `where` when none is registered, or when the
 * best one initializes asynchronously (wasm, webgpu) and has not been awaited.
 */
export function activeBackendName(where: string): string {
  if (tf.getBackend()) return tf.getBackend();
  const registered = tf.engine().backendNames();
  if (registered.length === 0) throw new StepsizeError(where, `found no tfjs backend registered: ${HOW_TO_REGISTER}`, registered);
  try {
    void tf.engine().backend;
  } catch (error) {
    const problem = `found no active tfjs backend (registered: ${registered.join(', ')}): call await tf.setBackend(name) (or await tf.ready()) first`;
    throw new StepsizeError(where, problem, registered, { cause: error });
  }
  return tf.getBackend();
}

/** {@link activeBackendName}, waiting first for an asynchronous backend to initialize (`tf.ready()`). */
export async function readyBackendName(where: string): Promise<string> {
  if (tf.getBackend() || tf.engine().backendNames().length === 0) return activeBackendName(where);
  try {
    // tf.ready() only waits when an initialization is already under way (it then sets no
    // backend): the second call picks the best one.
    for (let attempt = 0; attempt < 2 && !tf.getBackend(); attempt += 1) await tf.ready();
  } catch (error) {
    throw new StepsizeError(where, `could not initialize a tfjs backend: ${(error as Error).message}; ${HOW_TO_REGISTER}`, undefined, {
      cause: error,
    });
  }
  return activeBackendName(where);
}
