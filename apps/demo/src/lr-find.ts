import { type FindLearningRateOptions, type FindLearningRateResult, findLearningRate } from '@stepsize/core';
import type { BackendName } from './backend-names.js';
import { createBackend } from './backends.js';
import type { DemoSetup } from './setup.js';

/** Options of the learning-rate range test, as the command line names them. */
export interface LrFindOptions {
  readonly minRate: number;
  readonly maxRate: number;
  /** Steps of the sweep (the test may stop earlier on divergence). */
  readonly steps: number;
  /** `exponential` (as fastai and torch-lr-finder) or `linear` spacing of the rates. */
  readonly mode: 'exponential' | 'linear';
  /** β of the loss's bias-corrected moving average, 0 ≤ β < 1. */
  readonly smoothing: number;
  /** Stop when the smoothed loss exceeds this multiple of the best one. */
  readonly divergence: number;
}

/** Core's range-test options for the demo's setup: its model's training data, batch size, seed and optimizer spec. */
export function lrFindOptions(setup: DemoSetup, options: LrFindOptions): Omit<FindLearningRateOptions, 'backend'> {
  return {
    data: setup.dataset.train,
    batchSize: setup.batchSize,
    seed: setup.seed,
    optimizer: setup.optimizerSpec as FindLearningRateOptions['optimizer'],
    minLearningRate: options.minRate,
    maxLearningRate: options.maxRate,
    steps: options.steps,
    mode: options.mode,
    smoothing: options.smoothing,
    divergence: options.divergence,
  };
}

/**
 * The learning-rate range test on one backend: core's `findLearningRate` on the
 * setup's model (built on that backend) and its training data. Core restores the
 * backend's parameters afterwards; the backend is disposed of here.
 */
export async function lrFind(name: BackendName, setup: DemoSetup, options: LrFindOptions): Promise<FindLearningRateResult> {
  const backend = await createBackend(name, setup.mlp);
  try {
    return await findLearningRate({ backend, ...lrFindOptions(setup, options) });
  } finally {
    await backend.dispose?.();
  }
}
