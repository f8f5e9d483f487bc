import { adafactor, muon, type Optimizer, train } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import { describe, expect, it } from 'vitest';
import { onnxruntimeTrainingBackend } from './training-backend.js';

const mlp = { inputSize: 3, layers: [6, 2], activation: 'tanh', loss: 'mse', seed: 5 } as const;
const data = {
  inputs: Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * 0.9)),
  targets: Float32Array.from({ length: 80 }, (_, i) => Math.cos(i * 0.4)),
  examples: 40,
};

const cases: [string, () => Optimizer][] = [
  ['muon', () => muon({ learningRate: 0.02, weightDecay: 0.01 })],
  ['adafactor', () => adafactor({ weightDecay: 0.01 })],
];

describe('the matrix optimizers on ONNX Runtime', () => {
  for (const update of ['onnx', 'engine'] as const) {
    for (const [name, make] of cases) {
      it(`${name} on the ${update} update path: trains as the engine does, and resumes exactly from a checkpoint`, async () => {
        const reference = await train({ backend: await engineTrainingBackend({ mlp }), optimizer: make(), data, batchSize: 8, steps: 20 });
        const backend = await onnxruntimeTrainingBackend({ mlp, update });
        const result = await train({ backend, optimizer: make(), data, batchSize: 8, steps: 20 });
        result.history.forEach((record, i) => {
          const expected = reference.history[i]?.loss as number;
          expect(Math.abs(record.loss - expected) / Math.abs(expected), `update ${i}`).toBeLessThan(1e-4);
        });
        // Half the run, a checkpoint, the other half on a fresh backend: the same parameters.
        const first = await onnxruntimeTrainingBackend({ mlp, update });
        const half = await train({ backend: first, optimizer: make(), data, batchSize: 8, steps: 10 });
        const resumed = await onnxruntimeTrainingBackend({ mlp, update });
        const rest = await train({ backend: resumed, data, batchSize: 8, steps: 20, resumeFrom: await half.checkpoint() });
        const [end, whole] = [await rest.checkpoint(), await result.checkpoint()];
        expect(end.optimizerState.shapes).toEqual(backend.parameterShapes);
        expect(end.params).toEqual(whole.params);
        await Promise.all([backend, first, resumed].map((b) => b.dispose?.()));
      });
    }
  }
});
