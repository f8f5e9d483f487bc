import type { MlpTrainingSetup } from '@stepsize/core';
import { DEFAULT_TOLERANCE } from './runner.js';

/** The training run both backends perform (see `MlpTrainingSetup` in core). */
export type CrossBackendSetup = MlpTrainingSetup;

/** A backend that can train the setup's MLP and report the loss of every step. */
export interface TrainingBackend {
  readonly name: string;
  /** Trains the setup and returns the loss of every step (before each update). */
  lossTrajectory(setup: CrossBackendSetup): number[] | Promise<number[]>;
}

/** The outcome of {@link crossBackendCheck}. */
export interface CrossBackendResult {
  readonly backends: readonly [string, string];
  readonly losses: readonly [readonly number[], readonly number[]];
  /** Largest |a - b| / |b| over the steps. */
  readonly maxRelativeError: number;
  readonly step: number;
  readonly tolerance: number;
  readonly passed: boolean;
}

/**
 * The largest relative difference `|a - b| / |b|` between two trajectories
 * (`b` the reference), and the index where it occurs (-1 when they are equal);
 * Infinity when their lengths differ or a NaN appears.
 *
 * @example
 * ```ts
 * largestRelativeDifference([1, 2.002], [1, 2]); // { value: ≈0.001, step: 1 }
 * ```
 */
export function largestRelativeDifference(values: readonly number[], reference: readonly number[]): { value: number; step: number } {
  if (values.length !== reference.length) return { value: Infinity, step: Math.min(values.length, reference.length) };
  let value = 0;
  let step = -1;
  reference.forEach((expected, i) => {
    const actual = values[i] as number;
    const difference = actual === expected ? 0 : Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
    if (!(difference <= value)) {
      value = difference;
      step = i;
    }
  });
  return { value, step };
}

/**
 * Trains the same model (same initial weights, data, batches, schedule and
 * optimizer) on two backends and compares their loss trajectories step by
 * step. Reports the largest relative difference and whether it is within
 * `tolerance` (default: the conformance tolerance, 1e-5).
 *
 * @example
 * ```ts
 * const result = await crossBackendCheck(engineTrainingBackend, tfjsTrainingBackend, setup);
 * console.log(result.maxRelativeError);
 * ```
 */
export async function crossBackendCheck(
  a: TrainingBackend,
  b: TrainingBackend,
  setup: CrossBackendSetup,
  tolerance = DEFAULT_TOLERANCE,
): Promise<CrossBackendResult> {
  const first = await a.lossTrajectory(setup);
  const second = await b.lossTrajectory(setup);
  if (first.length !== setup.steps || second.length !== setup.steps) {
    throw new Error(`crossBackendCheck: expected ${setup.steps} losses, got ${first.length} (${a.name}) and ${second.length} (${b.name})`);
  }
  const { value: maxRelativeError, step } = largestRelativeDifference(first, second);
  return {
    backends: [a.name, b.name],
    losses: [first, second],
    maxRelativeError,
    step,
    tolerance,
    passed: maxRelativeError <= tolerance,
  };
}
