import type { Optimizer } from '../../optimizers/optimizer.js';
import { OptimizerRunner } from '../../optimizers/runner.js';
import { stateFromJSON, stateToJSON } from '../../optimizers/state.js';
import { arrayOps } from '../../optimizers/test-support/array-ops.js';
import type { TrainingBackend } from '../backend.js';
import { l2Norm } from '../metrics.js';

/**
 * Linear least squares as a training backend, over core's float64 reference arrays
 * with parameters rounded to float32 after each update (test support): `output = x · w + b`, loss `mean (output - y)²`. A non-finite input
 * gives non-finite gradients. `calls` counts what the loop asked for.
 */
export function linearBackend(
  inputSize: number,
  initial = 0.1,
): TrainingBackend<Record<string, number[]>> & { calls: { backward: number; evaluate: number } } {
  const params: Record<string, number[]> = { w: Array.from({ length: inputSize }, (_, i) => Math.fround(initial * (i + 1))), b: [0] };
  let runner: OptimizerRunner<number[]> | undefined;
  const calls = { backward: 0, evaluate: 0 };
  const forward = (inputs: Float32Array, examples: number): number[] =>
    Array.from({ length: examples }, (_, e) => {
      let sum = params.b?.[0] as number;
      for (let j = 0; j < inputSize; j += 1) sum += (inputs[e * inputSize + j] as number) * (params.w?.[j] as number);
      return sum;
    });
  return {
    name: 'linear (test)',
    calls,
    parameterShapes: { w: [inputSize], b: [1] },
    exampleWidths: { input: inputSize, target: 1 },
    setOptimizer: (optimizer: Optimizer) => {
      runner = new OptimizerRunner({ optimizer, ops: arrayOps, params });
    },
    lossAndGradients: (batch) => {
      calls.backward += 1;
      const outputs = forward(batch.inputs, batch.examples);
      const w = new Array<number>(inputSize).fill(0);
      const b = [0];
      let loss = 0;
      outputs.forEach((output, e) => {
        const error = output - (batch.targets[e] as number);
        loss += error * error;
        b[0] = (b[0] as number) + (2 * error) / batch.examples;
        for (let j = 0; j < inputSize; j += 1)
          w[j] = (w[j] as number) + (2 * error * (batch.inputs[e * inputSize + j] as number)) / batch.examples;
      });
      return { loss: loss / batch.examples, gradientNorm: l2Norm([w, b]), gradients: { w, b } };
    },
    applyGradients: (gradients) => {
      const report = (runner as OptimizerRunner<number[]>).step(gradients);
      Object.assign(params, runner?.params);
      // Parameters are float32, as on every real backend (checkpoints hold float32 values).
      for (const values of Object.values(params)) {
        values.forEach((v, i) => {
          values[i] = Math.fround(v);
        });
      }
      return report;
    },
    evaluate: (data) => {
      calls.evaluate += 1;
      const outputs = forward(data.inputs, data.examples);
      const loss = outputs.reduce((s, o, e) => s + (o - (data.targets[e] as number)) ** 2, 0) / data.examples;
      return { loss, outputs: Float32Array.from(outputs) };
    },
    readParameters: () => Object.fromEntries(Object.entries(params).map(([name, values]) => [name, Float32Array.from(values)])),
    writeParameters: (values) => {
      for (const name of Object.keys(params)) params[name]?.splice(0, Infinity, ...Array.from(values[name] as ArrayLike<number>));
    },
    readOptimizerState: () => stateToJSON((runner as OptimizerRunner<number[]>).state, (t) => t),
    writeOptimizerState: (state) => (runner as OptimizerRunner<number[]>).loadState(stateFromJSON(state, (values) => [...values])),
  };
}
