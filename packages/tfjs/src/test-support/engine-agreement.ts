// Test helpers shared by the tfjs optimizer tests (not part of the package's exports).
import { type Dataset, type MlpSpec, type Optimizer, train, type TrainResult } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { StepsizeOptimizer } from '../optimizer.js';
import { tfjsTrainingBackend } from '../training-backend.js';

/**
 * Trains `mlp` on `data` with `make()` on the tfjs training backend and on the engine, and
 * checks that tfjs follows the engine's loss update by update within `tolerance` (relative)
 * with a constant tensor count from update 5 on. Returns the tfjs run and its backend (the
 * caller disposes it).
 */
export async function expectTrainsLikeEngine(args: {
  readonly mlp: MlpSpec;
  readonly data: Dataset;
  readonly make: () => Optimizer;
  readonly steps: number;
  readonly tolerance: number;
}): Promise<{ result: TrainResult; backend: Awaited<ReturnType<typeof tfjsTrainingBackend>> }> {
  const { mlp, data, make, steps, tolerance } = args;
  const backend = await tfjsTrainingBackend({ mlp });
  const reference = await train({ backend: await engineTrainingBackend({ mlp }), optimizer: make(), data, batchSize: 8, steps });
  let before = 0;
  const result = await train({
    backend,
    optimizer: make(),
    data,
    batchSize: 8,
    steps,
    onStep: (record) => {
      if (record.step === 5) before = tf.memory().numTensors;
    },
  });
  expect(tf.memory().numTensors).toBe(before);
  result.history.forEach((record, i) => {
    const expected = reference.history[i]?.loss as number;
    expect(Math.abs(record.loss - expected) / Math.abs(expected), `update ${i}`).toBeLessThan(tolerance);
  });
  return { result, backend };
}

/**
 * A checkpoint round trip through `getWeights` / `setWeights`: the optimizer's weights copied,
 * the optimizer disposed, a new one from `make()` given the copies (which are then disposed).
 */
export async function restartThroughWeights(optimizer: StepsizeOptimizer, make: () => Optimizer): Promise<StepsizeOptimizer> {
  const saved = await optimizer.getWeights();
  const copies = saved.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
  optimizer.dispose();
  const restarted = new StepsizeOptimizer(make());
  await restarted.setWeights(copies);
  for (const copy of copies) copy.tensor.dispose();
  return restarted;
}
