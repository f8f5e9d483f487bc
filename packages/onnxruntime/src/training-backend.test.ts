import { crossBackendCheck } from '@stepsize/conformance';
import { engineTrainingBackend } from '@stepsize/engine';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { irisSetup } from './test-support/iris-setup.js';
import { onnxTrainingBackend } from './training-backend.js';

const warmupCosine = { type: 'warmup', steps: 6, schedule: { type: 'cosineAnnealing', initialValue: 0.02, steps: 54 } };
const runs = [
  ['softmaxCrossEntropy', { type: 'adamW', learningRate: warmupCosine }],
  ['mse', { type: 'sgd', learningRate: warmupCosine, momentum: 0.9 }],
  ['binaryCrossEntropy', { type: 'rmsprop', learningRate: 0.01, centered: true }],
] as const;

describe('cross-backend: ONNX Runtime, the engine and tfjs give the same loss trajectory', () => {
  for (const path of ['onnx', 'engine'] as const) {
    for (const [loss, optimizer] of runs) {
      it(`${path} update: ${loss} with ${optimizer.type}, against the engine and tfjs (wasm)`, async () => {
        const setup = irisSetup(loss, optimizer);
        const ort = onnxTrainingBackend(path);
        const engine = await crossBackendCheck(ort, engineTrainingBackend, setup);
        await tf.setBackend('wasm');
        const tfjs = await crossBackendCheck(ort, tfjsTrainingBackend, setup);
        for (const result of [engine, tfjs]) {
          console.log(
            `cross-backend ${result.backends.join(' vs ')} ${loss}/${optimizer.type}: max relative loss difference ${result.maxRelativeError.toExponential(2)} over ${setup.steps} steps`,
          );
          expect(result.passed).toBe(true);
        }
        expect(engine.losses[0].at(-1)).toBeLessThan(engine.losses[0][0] as number);
      });
    }
  }
});
