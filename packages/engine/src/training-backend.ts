import { OptimizerRunner, StepsizeError, optimizerFromJSON, type MlpTrainingSetup } from '@stepsize/core';
import { fastKernels } from './wasm/fast-kernels.js';
import { Mlp } from './model/mlp.js';
import { float32Ops } from './ops.js';

/** The setup a cross-backend check runs (core's `MlpTrainingSetup`). */
export type EngineTrainingSetup = MlpTrainingSetup;

/** Trains the setup on the engine and returns the loss of every step (sequential batches, no shuffling). */
export function engineLossTrajectory(setup: EngineTrainingSetup, options: { fused?: boolean } = {}): number[] {
  const model = new Mlp({ inputSize: setup.inputSize, layers: setup.layers, activation: setup.activation });
  for (const [name, param] of Object.entries(model.params)) {
    const values = setup.weights[name];
    if (!values || values.length !== param.length) {
      throw new StepsizeError(`setup.weights.${name}`, `must hold ${param.length} values`, values?.length);
    }
    param.set(values);
  }
  const runner = new OptimizerRunner({
    optimizer: optimizerFromJSON(setup.optimizer),
    ops: float32Ops,
    params: model.params,
    ...(options.fused !== false && { kernels: fastKernels }),
  });
  const { batchSize, data } = setup;
  const width = setup.loss === 'softmaxCrossEntropy' ? 1 : (setup.layers[setup.layers.length - 1] as number);
  const batches = Math.floor(data.examples / batchSize);
  const inputs = Float32Array.from(data.inputs);
  const targets = Float32Array.from(data.targets);
  const losses: number[] = [];
  for (let step = 0; step < setup.steps; step += 1) {
    const first = (step % batches) * batchSize;
    const result = model.lossAndGradients({
      inputs: inputs.subarray(first * setup.inputSize, (first + batchSize) * setup.inputSize),
      targets: targets.subarray(first * width, (first + batchSize) * width),
      batch: batchSize,
      loss: setup.loss,
    });
    losses.push(result.loss);
    runner.step(result.gradients);
  }
  return losses;
}

/**
 * The engine as a cross-backend training backend (structurally a
 * `TrainingBackend` of `@stepsize/conformance`).
 *
 * @example
 * ```ts
 * await crossBackendCheck(engineTrainingBackend, otherBackend, setup);
 * ```
 */
export const engineTrainingBackend = {
  name: 'engine',
  /** Trains the setup and returns the loss of every step. */
  lossTrajectory: (setup: EngineTrainingSetup): number[] => engineLossTrajectory(setup),
};
