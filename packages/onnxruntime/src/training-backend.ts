import { StepsizeError, optimizerFromJSON, type MlpTrainingSetup } from '@stepsize/core';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { OnnxTrainingSession } from './training-session.js';
import type { ParameterData, UpdatePath } from './update/parameter-updater.js';

/**
 * Trains the setup's MLP with ONNX Runtime (a generated forward + backward
 * model) on one update path, with sequential batches, and returns the loss of
 * every step (core's `MlpTrainingSetup`, as every cross-backend backend).
 */
export async function onnxLossTrajectory(setup: MlpTrainingSetup, path: UpdatePath = 'onnx'): Promise<number[]> {
  const { model, params: shapes } = buildMlpTrainingModel({
    inputSize: setup.inputSize,
    layers: setup.layers,
    activation: setup.activation,
    loss: setup.loss,
  });
  const params: Record<string, ParameterData> = {};
  for (const { name, shape } of shapes) {
    const values = setup.weights[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!values || values.length !== size) throw new StepsizeError(`setup.weights.${name}`, `must hold ${size} values`, values?.length);
    params[name] = { values: Float32Array.from(values), shape };
  }
  const session = await OnnxTrainingSession.create({ model, params, optimizer: optimizerFromJSON(setup.optimizer), update: path });
  const width = setup.data.targets.length / setup.data.examples;
  const batches = Math.floor(setup.data.examples / setup.batchSize);
  const inputs = Float32Array.from(setup.data.inputs);
  const targets = Float32Array.from(setup.data.targets);
  const losses: number[] = [];
  try {
    for (let step = 0; step < setup.steps; step += 1) {
      const first = (step % batches) * setup.batchSize;
      const { loss } = await session.step({
        inputs: inputs.subarray(first * setup.inputSize, (first + setup.batchSize) * setup.inputSize),
        targets: targets.subarray(first * width, (first + setup.batchSize) * width),
        batch: setup.batchSize,
      });
      losses.push(loss);
    }
  } finally {
    await session.release();
  }
  return losses;
}

/**
 * ONNX Runtime as a cross-backend training backend (structurally a
 * `TrainingBackend` of `@stepsize/conformance`) on one update path.
 *
 * @example
 * ```ts
 * await crossBackendCheck(onnxTrainingBackend('onnx'), engineTrainingBackend, setup);
 * ```
 */
export function onnxTrainingBackend(path: UpdatePath = 'onnx'): {
  readonly name: string;
  /** Trains the setup and returns the loss of every step. */
  lossTrajectory(setup: MlpTrainingSetup): Promise<number[]>;
} {
  return {
    name: `onnxruntime (${path === 'onnx' ? 'update graph' : 'engine kernels'})`,
    lossTrajectory: (setup) => onnxLossTrajectory(setup, path),
  };
}
