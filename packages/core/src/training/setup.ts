import type { MlpSpec } from './mlp-spec.js';

/**
 * One training run described as data, so that every backend runs exactly the
 * same thing (the conformance suite's cross-backend and training checks): an
 * MLP (its weights given or seeded), the data as row-major numbers, the batch
 * size, the number of updates, the shuffle seed and an optimizer spec (schedules
 * included). `train` draws the same batches from it on every backend.
 *
 * @example
 * ```ts
 * const setup: MlpTrainingSetup = {
 *   mlp: { inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 5 },
 *   data: { inputs, targets, examples: 150 }, batchSize: 25, steps: 60, optimizer: { type: 'adam' },
 * };
 * ```
 */
export interface MlpTrainingSetup {
  readonly mlp: MlpSpec;
  readonly data: { readonly inputs: ArrayLike<number>; readonly targets: ArrayLike<number>; readonly examples: number };
  readonly batchSize: number;
  /** Optimizer updates. */
  readonly steps: number;
  /** Shuffle seed. Default 0. */
  readonly seed?: number | undefined;
  /** A stepsize optimizer spec (JSON). */
  readonly optimizer: Readonly<Record<string, unknown>>;
}
