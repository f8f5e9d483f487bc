import { sgd, StepsizeError } from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { onnxruntimeTrainingBackend } from './training-backend.js';
import { ParameterUpdater } from './update/parameter-updater.js';

const mlp = { inputSize: 2, layers: [3], activation: 'tanh', loss: 'mse' } as const;
const { model } = buildMlpTrainingModel(mlp);
// CUDA fails here unless its libraries (which onnxruntime-node's install script downloads) and a GPU are present.
const cudaLoads = await ort.InferenceSession.create(model, { executionProviders: ['cuda'] }).then(
  async (session) => {
    await session.release();
    return true;
  },
  () => false,
);

/** The error a promise rejects with. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('execution providers that fail', () => {
  for (const provider of ['cuda', 'no-such-provider']) {
    it.skipIf(provider === 'cuda' && cudaLoads)(
      `"${provider}" is named with ONNX Runtime's message, not as a model that does not load`,
      async () => {
        const ortError = await rejection(ort.InferenceSession.create(model, { executionProviders: [provider] }));
        expect(ortError).toBeInstanceOf(Error);
        for (const source of [{ mlp }, { model, params: buildMlpTrainingModel(mlp).params }]) {
          const error = await rejection(onnxruntimeTrainingBackend({ ...source, sessionOptions: { executionProviders: [provider] } }));
          expect(error).toBeInstanceOf(StepsizeError);
          const { path, message, value, cause } = error as StepsizeError;
          expect(path).toBe('onnxruntimeTrainingBackend options.sessionOptions.executionProviders');
          expect(message).toContain(
            `onnxruntimeTrainingBackend options.sessionOptions.executionProviders names a provider ONNX Runtime could not use, "${provider}" (${(ortError as Error).message.replace(/\.$/, '')}); this build of onnxruntime-node has: cpu`,
          );
          expect(message).toMatch(/; the model loads with executionProviders: \['cpu'\]$/);
          expect(message).not.toMatch(/could not be loaded/);
          expect(value).toEqual([provider]);
          expect((cause as Error).message).toBe((ortError as Error).message);
        }
      },
    );
  }

  it.skipIf(cudaLoads)(
    'names the failing one of several, also given as { name }, and on the update graphs of ParameterUpdater',
    async () => {
      const error = await rejection(
        onnxruntimeTrainingBackend({ mlp, sessionOptions: { executionProviders: ['cpu', { name: 'cuda' }, 'no-such-provider'] } }),
      );
      expect((error as Error).message).toMatch(/names providers ONNX Runtime could not use, "cuda", "no-such-provider" \(/);
      const updater = await ParameterUpdater.create({
        optimizer: sgd({ learningRate: 0.1 }),
        params: { w: { values: new Float32Array(2), shape: [2] } },
        sessionOptions: { executionProviders: ['cuda'] },
      });
      const stepError = await rejection(updater.step({ w: new Float32Array(2) }));
      expect((stepError as StepsizeError).path).toBe('ParameterUpdater options.sessionOptions.executionProviders');
      expect((stepError as Error).message).toMatch(/could not use, "cuda" \(/);
      // The graph that failed is not kept: dispose releases the rest and resolves.
      expect(updater.graphCount).toBe(0);
      await updater.dispose();
    },
  );

  it('a model that does not load is still the model, whatever the providers', async () => {
    for (const executionProviders of [['cpu'], ['cuda'], ['no-such-provider']]) {
      const error = await rejection(
        onnxruntimeTrainingBackend({
          model: Uint8Array.of(1, 2, 3),
          params: { w: { values: new Float32Array(1), shape: [1] } },
          sessionOptions: { executionProviders },
        }),
      );
      expect((error as StepsizeError).path).toBe('onnxruntimeTrainingBackend options.model');
      expect((error as Error).message).toMatch(/^onnxruntimeTrainingBackend options\.model could not be loaded by ONNX Runtime: /);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });
});
