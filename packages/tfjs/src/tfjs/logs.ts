import type * as tf from '@tensorflow/tfjs-core';
import type { Logs } from '@tensorflow/tfjs-layers';

/** A number `model.fit` logged under `key`, maybe as a scalar tensor it has not read back yet; NaN when there is none. */
export async function loggedNumber(logs: Logs | undefined, key: string): Promise<number> {
  const value: unknown = logs?.[key];
  if (typeof value === 'object' && value !== null && 'data' in value) return (await (value as tf.Tensor).data())[0] as number;
  return typeof value === 'number' ? value : Number.NaN;
}
