import { initialMlpWeights } from '@stepsize/core';
import { Mlp, type LossName } from '@stepsize/engine';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildMlpInferenceModel, buildMlpTrainingModel, type MlpModelOptions } from './mlp-model.js';

type Activation = MlpModelOptions['activation'];

function batchFor(loss: LossName, batch: number, inputSize: number, width: number, seed: number) {
  const inputs = Float32Array.from({ length: batch * inputSize }, (_, i) => Math.sin(i * 1.7 + seed));
  const targets =
    loss === 'softmaxCrossEntropy'
      ? Float32Array.from({ length: batch }, (_, i) => (i + seed) % width)
      : loss === 'binaryCrossEntropy'
        ? Float32Array.from({ length: batch * width }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 1 : 0))
        : Float32Array.from({ length: batch * width }, (_, i) => Math.cos(i + seed));
  return { inputs, targets };
}

async function run(session: ort.InferenceSession, mlp: Mlp, loss: LossName, inputs: Float32Array, targets: Float32Array, batch: number) {
  const feeds: Record<string, ort.Tensor> = {
    input: new ort.Tensor('float32', inputs, [batch, mlp.inputSize]),
    target: new ort.Tensor('float32', targets, loss === 'softmaxCrossEntropy' ? [batch] : [batch, mlp.outputSize]),
  };
  for (const [name, values] of Object.entries(mlp.params)) feeds[name] = new ort.Tensor('float32', values, mlp.shapes[name] as number[]);
  return session.run(feeds);
}

/** |a - b| / max(|b|, scale / 100): the conformance suite's relative error with its scale floor. */
function largestError(actual: Float32Array, expected: Float32Array): number {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  actual.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - (expected[i] as number)) / Math.max(Math.abs(expected[i] as number), scale / 100, 1e-30));
  });
  return worst;
}

describe('generated MLP training models', () => {
  const losses: LossName[] = ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'];
  const activations: Activation[] = ['relu', 'tanh', 'sigmoid'];
  for (const loss of losses) {
    for (const activation of activations) {
      for (const matmul of ['Gemm', 'MatMul'] as const) {
        it(`${loss}, ${activation}, ${matmul}: loss and every gradient equal the engine's (checked against finite differences)`, async () => {
          const options = { inputSize: 5, layers: [7, 6, 3], activation, loss, matmul };
          const { model, params } = buildMlpTrainingModel(options);
          const session = await ort.InferenceSession.create(model);
          const mlp = new Mlp({ inputSize: 5, layers: [7, 6, 3], activation, seed: 4 });
          expect(Object.keys(params)).toEqual(Object.keys(mlp.params));
          let worst = 0;
          for (const batch of [1, 9]) {
            const { inputs, targets } = batchFor(loss, batch, 5, 3, batch);
            const out = await run(session, mlp, loss, inputs, targets, batch);
            const reference = mlp.lossAndGradients({ inputs, targets, batch, loss });
            expect(Math.abs((out.loss?.data[0] as number) - reference.loss) / Math.abs(reference.loss)).toBeLessThan(1e-5);
            for (const [name, gradient] of Object.entries(reference.gradients))
              worst = Math.max(worst, largestError(out[`${name}_grad`]?.data as Float32Array, gradient));
            expect(out.output?.dims).toEqual([batch, 3]);
          }
          expect(worst).toBeLessThan(1e-4);
          await session.release();
        });
      }
    }
  }

  it('gradients match central finite differences of the ONNX loss', async () => {
    for (const loss of losses) {
      const options = { inputSize: 3, layers: [4, 2], activation: 'tanh' as const, loss };
      const session = await ort.InferenceSession.create(buildMlpTrainingModel(options).model);
      const mlp = new Mlp({ ...options, seed: 9 });
      const { inputs, targets } = batchFor(loss, 6, 3, 2, 1);
      const out = await run(session, mlp, loss, inputs, targets, 6);
      for (const [name, values] of Object.entries(mlp.params)) {
        const gradient = out[`${name}_grad`]?.data as Float32Array;
        for (const index of [0, values.length - 1]) {
          const eps = 1e-2;
          const original = values[index] as number;
          values[index] = original + eps;
          const up = (await run(session, mlp, loss, inputs, targets, 6)).loss?.data[0] as number;
          values[index] = original - eps;
          const down = (await run(session, mlp, loss, inputs, targets, 6)).loss?.data[0] as number;
          values[index] = original;
          const numeric = (up - down) / (2 * eps);
          expect(Math.abs(numeric - (gradient[index] as number)), `${loss} ${name}[${index}]`).toBeLessThan(
            2e-3 * Math.max(1, Math.abs(numeric)),
          );
        }
      }
      await session.release();
    }
  });

  it('the inference model gives the logits', async () => {
    const session = await ort.InferenceSession.create(buildMlpInferenceModel({ inputSize: 4, layers: [5, 2], activation: 'relu' }).model);
    const mlp = new Mlp({ inputSize: 4, layers: [5, 2], activation: 'relu', seed: 1 });
    const inputs = Float32Array.from({ length: 12 }, (_, i) => i / 5 - 1);
    const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', inputs, [3, 4]) };
    for (const [name, values] of Object.entries(mlp.params)) feeds[name] = new ort.Tensor('float32', values, mlp.shapes[name] as number[]);
    const out = await session.run(feeds);
    expect(largestError(out.output?.data as Float32Array, mlp.predict(inputs, 3))).toBeLessThan(1e-6);
    await session.release();
  });

  it("gives the seeded initial parameters by name: core's initialMlpWeights, the engine's Mlp's, or the given weights", () => {
    const spec = { inputSize: 5, layers: [7, 3], activation: 'relu', loss: 'mse', seed: 11 } as const;
    const { params } = buildMlpTrainingModel(spec);
    const mlp = new Mlp({ ...spec });
    expect(Object.keys(params)).toEqual(['dense0.weight', 'dense0.bias', 'dense1.weight', 'dense1.bias']);
    expect(params['dense0.weight']?.shape).toEqual([5, 7]);
    expect(params['dense1.bias']?.shape).toEqual([3]);
    for (const [name, weights] of Object.entries(initialMlpWeights(spec))) {
      expect(params[name]?.values, name).toEqual(weights);
      expect(params[name]?.values, name).toEqual(mlp.params[name]);
    }
    // The default seed is core's (0); each call returns fresh arrays; the inference model has the same ones.
    expect(buildMlpTrainingModel({ ...spec, seed: undefined }).params['dense0.weight']?.values).toEqual(
      initialMlpWeights({ ...spec, seed: 0 })['dense0.weight'],
    );
    expect(buildMlpTrainingModel(spec).params['dense0.weight']?.values).not.toBe(params['dense0.weight']?.values);
    expect(buildMlpInferenceModel(spec).params).toEqual(params);
    const weights = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, Array.from(p.values, (v) => v / 2)]));
    expect(buildMlpTrainingModel({ ...spec, weights }).params['dense1.weight']?.values).toEqual(
      Float32Array.from(weights['dense1.weight'] ?? []),
    );
    expect(() => buildMlpTrainingModel({ ...spec, weights: { ...weights, 'dense0.bias': [1] } })).toThrow(
      /^buildMlpTrainingModel options\.weights\.dense0\.bias must hold 7 values/,
    );
    expect(() => buildMlpTrainingModel({ ...spec, weights: { ...weights, 'dense0.bias': [0, 0, Number.NaN, 0, 0, 0, 0] } })).toThrow(
      /^buildMlpTrainingModel options\.weights\.dense0\.bias\[2\] must be finite, got NaN/,
    );
    expect(() => buildMlpTrainingModel({ ...spec, seed: 0.5 })).toThrow(/^buildMlpTrainingModel options\.seed must be an integer/);
  });

  it('names bad options', () => {
    expect(() => buildMlpTrainingModel({ inputSize: 0, layers: [2], activation: 'relu', loss: 'mse' })).toThrow(
      /options\.inputSize must be an integer >= 1, got 0/,
    );
    expect(() => buildMlpTrainingModel({ inputSize: 2, layers: [], activation: 'relu', loss: 'mse' })).toThrow(
      /options\.layers must be a non-empty array/,
    );
    expect(() => buildMlpTrainingModel({ inputSize: 2, layers: [3, 1.5], activation: 'relu', loss: 'mse' })).toThrow(
      /options\.layers\[1\] must be an integer >= 1, got 1\.5/,
    );
    expect(() => buildMlpTrainingModel({ inputSize: 2, layers: [3], activation: 'gelu' as Activation, loss: 'mse' })).toThrow(
      /options\.activation must be "relu", "tanh" or "sigmoid", got "gelu"/,
    );
    expect(() => buildMlpTrainingModel({ inputSize: 2, layers: [3], activation: 'relu' })).toThrow(/options\.loss must be/);
    expect(() => buildMlpInferenceModel({ inputSize: 2, layers: [3], activation: 'relu', matmul: 'Conv' as 'Gemm' })).toThrow(
      /options\.matmul must be "Gemm" or "MatMul"/,
    );
  });
});
