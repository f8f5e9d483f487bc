import { StepsizeError } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';

const HOW_TO_REGISTER =
  'import "@tensorflow/tfjs-backend-cpu" (or "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", ...) in your program; this package imports none';

function noneRegistered(where: string): StepsizeError {
  return new StepsizeError(where, `found no tfjs backend registered: ${HOW_TO_REGISTER}`, tf.engine().backendNames());
}

/**
 * The name of the active tfjs backend, activating the best registered one the
 * way tfjs's first operation would (cpu is ready at once). Throws a
 * `StepsizeError` naming `where` when no backend is registered, or when the best
 * one initializes asynchronously (wasm, webgpu) and has not been awaited.
 *
 * @example
 * ```ts
 * await tf.setBackend('wasm');
 * activeBackendName('my case'); // 'wasm'
 * ```
 */
export function activeBackendName(where: string): string {
  const current = tf.getBackend();
  if (current) return current;
  const registered = tf.engine().backendNames();
  if (registered.length === 0) throw noneRegistered(where);
  try {
    void tf.engine().backend;
  } catch (error) {
    throw new StepsizeError(
      where,
      `found no active tfjs backend (registered: ${registered.join(', ')}): call await tf.setBackend(name) (or await tf.ready()) first`,
      registered,
      { cause: error },
    );
  }
  return tf.getBackend();
}

/**
 * {@link activeBackendName}, waiting for an asynchronous backend to finish
 * initializing (`tf.ready()`).
 *
 * @example
 * ```ts
 * await readyBackendName('tfjsTrainingBackend options'); // 'cpu'
 * ```
 */
export async function readyBackendName(where: string): Promise<string> {
  if (!tf.getBackend() && tf.engine().backendNames().length === 0) throw noneRegistered(where);
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
