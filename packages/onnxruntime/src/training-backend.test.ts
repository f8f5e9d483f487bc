import { adamW, type MlpSpec, train, type MlpTrainingSetup } from '@stepsize/core';
import { checkTrainingBackend, crossBackendCheck } from '@stepsize/conformance';
import { iris } from '@stepsize/datasets';
import { engineTrainingBackend } from '@stepsize/engine';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxruntimeTrainingBackend } from './training-backend.js';

const warmupCosine = { type: 'warmup', steps: 6, schedule: { type: 'cosineAnnealing', initialValue: 0.02, steps: 54 } };
const runs = [
  ['softmaxCrossEntropy', { type: 'adamW', learningRate: warmupCosine }],
  ['mse', { type: 'sgd', learningRate: warmupCosine, momentum: 0.9 }],
  ['binaryCrossEntropy', { type: 'rmsprop', learningRate: 0.01, centered: true }],
] as const;

/** Iris with one target per loss: the class, a feature (petal width) or class 0 against the rest. */
function irisSetup(loss: MlpSpec['loss'], optimizer: Record<string, unknown>): MlpTrainingSetup {
  const { train: data } = iris({ validation: 0 });
  const examples = data.examples;
  const targets =
    loss === 'softmaxCrossEntropy'
      ? data.targets
      : Float32Array.from({ length: examples }, (_, e) =>
          loss === 'mse' ? (data.inputs[4 * e + 3] as number) : data.targets[e] === 0 ? 1 : 0,
        );
  const inputs = loss === 'mse' ? data.inputs.map((v, i) => (i % 4 === 3 ? 0 : v)) : data.inputs;
  return {
    mlp: { inputSize: 4, layers: loss === 'softmaxCrossEntropy' ? [12, 3] : [12, 1], activation: 'tanh', loss, seed: 8 },
    data: { inputs, targets, examples },
    batchSize: 25,
    steps: 60,
    seed: 3,
    optimizer,
  };
}

describe('ONNX Runtime training backend', () => {
  for (const update of ['onnx', 'engine'] as const) {
    it(`${update} update: passes the training checks of the conformance package`, async () => {
      const results = await checkTrainingBackend({ create: (mlp) => onnxruntimeTrainingBackend({ mlp, update }) });
      for (const result of results) expect(result.passed, `${result.name}: ${result.detail}`).toBe(true);
    });

    for (const [loss, optimizer] of runs) {
      it(`${update} update: ${loss} with ${optimizer.type} follows the engine step by step`, async () => {
        const setup = irisSetup(loss, optimizer);
        const result = await crossBackendCheck({
          setup,
          backends: [(mlp) => onnxruntimeTrainingBackend({ mlp, update }), (mlp) => engineTrainingBackend({ mlp })],
        });
        console.log(
          `cross-backend ${result.backends.join(' vs ')} ${loss}/${optimizer.type}: max relative loss difference ${result.maxRelativeError.toExponential(2)} over ${setup.steps} steps`,
        );
        expect(result.passed).toBe(true);
        expect(result.losses[0].at(-1)).toBeLessThan(result.losses[0][0] as number);
      });
    }
  }

  it('trains a model of yours (exported from PyTorch) through train(), on both update paths, which agree', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
    const sidecar = JSON.parse(readFileSync(join(fixtures, 'torch-mlp-training.json'), 'utf8')) as {
      params: Record<string, { shape: number[]; values: number[] }>;
      batch: { input: number[]; target: number[]; examples: number };
    };
    const params = () =>
      Object.fromEntries(
        Object.entries(sidecar.params).map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: p.shape }]),
      );
    const data = {
      inputs: Float32Array.from(sidecar.batch.input),
      targets: Float32Array.from(sidecar.batch.target),
      examples: sidecar.batch.examples,
    };
    const losses: number[][] = [];
    for (const update of ['onnx', 'engine'] as const) {
      const backend = await onnxruntimeTrainingBackend({ model: join(fixtures, 'torch-mlp-training.onnx'), params: params(), update });
      expect(Object.keys(backend.parameterShapes)).toEqual(Object.keys(sidecar.params));
      const result = await train({
        backend,
        data,
        validation: data,
        batchSize: data.examples,
        steps: 30,
        optimizer: adamW({ learningRate: 0.05 }),
      });
      losses.push(result.history.map((r) => r.loss));
      expect(result.evaluations.at(-1)?.loss).toBeLessThan((result.history[0]?.loss as number) / 2);
      await backend.dispose();
    }
    expect(losses[1]?.every((loss, i) => Math.abs(loss - (losses[0]?.[i] as number)) <= 1e-5 * Math.abs(loss))).toBe(true);
  });

  it('names a bad option and its value', async () => {
    await expect(onnxruntimeTrainingBackend({} as never)).rejects.toThrow(
      /onnxruntimeTrainingBackend options must give exactly one of mlp/,
    );
    await expect(
      onnxruntimeTrainingBackend({
        mlp: { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' },
        update: 'gpu' as never,
      }),
    ).rejects.toThrow(/options\.update must be "onnx" or "engine", got "gpu"/);
    await expect(onnxruntimeTrainingBackend({ model: Uint8Array.of(1, 2, 3) })).rejects.toThrow(
      /options\.params must be the parameters as \{ name: \{ values, shape \} \}/,
    );
    await expect(
      onnxruntimeTrainingBackend({
        mlp: { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' },
        accuracy: { rule: 'top5' } as never,
      }),
    ).rejects.toThrow(
      /^onnxruntimeTrainingBackend options\.accuracy must be 'none' or \{ rule: 'argmax' \| 'binary', threshold\? \}, got \{"rule":"top5"\}$/,
    );
  });

  it("scores an MLP by its loss unless told otherwise ('none' turns it off)", async () => {
    const mlp = { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' } as const;
    const scored = await onnxruntimeTrainingBackend({ mlp });
    const plain = await onnxruntimeTrainingBackend({ mlp, accuracy: 'none' });
    const binary = await onnxruntimeTrainingBackend({ mlp, accuracy: { rule: 'binary', threshold: 0.5 } });
    expect([scored.accuracy, plain.accuracy, binary.accuracy]).toEqual([{ rule: 'argmax' }, undefined, { rule: 'binary', threshold: 0.5 }]);
    for (const backend of [scored, plain, binary]) await backend.dispose();
  });
});
