import { type MlpSpec, type MlpTrainingSetup, optimizerFromJSON, type TrainingBackend, train } from '@stepsize/core';
import { DEFAULT_TOLERANCE } from './runner.js';

/** Builds a backend's model from an MLP spec: every adapter's training-backend factory fits, e.g. `(mlp) => engineTrainingBackend({ mlp })`. */
export type TrainingBackendFactory = (mlp: MlpSpec) => Promise<TrainingBackend>;

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

/** The setup's data as float32 datasets. */
export function setupData(setup: MlpTrainingSetup): { inputs: Float32Array; targets: Float32Array; examples: number } {
  return { inputs: Float32Array.from(setup.data.inputs), targets: Float32Array.from(setup.data.targets), examples: setup.data.examples };
}

/** Trains a setup with core's `train` on a backend and returns the loss of every update. */
export async function setupLosses(create: TrainingBackendFactory, setup: MlpTrainingSetup): Promise<{ name: string; losses: number[] }> {
  const backend = await create(setup.mlp);
  try {
    const result = await train({
      backend,
      optimizer: optimizerFromJSON(setup.optimizer),
      data: setupData(setup),
      batchSize: setup.batchSize,
      steps: setup.steps,
      seed: setup.seed ?? 0,
    });
    return { name: backend.name, losses: result.history.map((record) => record.loss) };
  } finally {
    await backend.dispose?.();
  }
}

/**
 * Trains the same model (same initial weights, data, batches, schedule and
 * optimizer) on two backends with core's `train` and compares their loss
 * trajectories step by step. Reports the largest relative difference and whether
 * it is within `tolerance` (default: the conformance tolerance, 1e-5).
 *
 * @example
 * ```ts
 * const result = await crossBackendCheck({ setup, backends: [(mlp) => engineTrainingBackend({ mlp }), (mlp) => tfjsTrainingBackend({ mlp })] });
 * console.log(result.maxRelativeError);
 * ```
 */
export async function crossBackendCheck(args: {
  readonly setup: MlpTrainingSetup;
  readonly backends: readonly [TrainingBackendFactory, TrainingBackendFactory];
  readonly tolerance?: number;
}): Promise<CrossBackendResult> {
  const { setup, tolerance = DEFAULT_TOLERANCE } = args;
  const first = await setupLosses(args.backends[0], setup);
  const second = await setupLosses(args.backends[1], setup);
  const { value: maxRelativeError, step } = largestRelativeDifference(first.losses, second.losses);
  return {
    backends: [first.name, second.name],
    losses: [first.losses, second.losses],
    maxRelativeError,
    step,
    tolerance,
    passed: maxRelativeError <= tolerance,
  };
}
