import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildMlpInferenceModel, buildMlpTrainingModel, type MlpModelOptions } from '../onnx/mlp-model.js';
import { buildTrainingModel } from './build-training-model.js';

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(model);
  const results = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
}

describe('buildTrainingModel of an MLP inference model equals the hand-written buildMlpTrainingModel', () => {
  const cases: MlpModelOptions[] = [
    { inputSize: 5, layers: [7, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 3 },
    { inputSize: 4, layers: [6, 5, 2], activation: 'relu', loss: 'mse', seed: 4, matmul: 'MatMul' },
    { inputSize: 3, layers: [4, 1], activation: 'sigmoid', loss: 'binaryCrossEntropy', seed: 5 },
  ];
  for (const options of cases) {
    it(`${options.activation} ${options.loss} ${options.matmul ?? 'Gemm'}: loss, output and gradients`, async () => {
      const { loss, ...architecture } = options;
      const inference = buildMlpInferenceModel({ ...architecture, parameters: 'initializers' });
      const generated = buildTrainingModel(inference.model, { loss: loss as NonNullable<MlpModelOptions['loss']> });
      const handWritten = buildMlpTrainingModel(options);
      expect(Object.keys(generated.params)).toEqual(Object.keys(handWritten.params));
      const batch = 3;
      const width = options.layers[options.layers.length - 1] as number;
      const input = Float32Array.from({ length: batch * options.inputSize }, (_, i) => Math.sin(i * 1.7));
      const target =
        loss === 'softmaxCrossEntropy'
          ? Float32Array.from({ length: batch }, (_, i) => i % width)
          : Float32Array.from({ length: batch * width }, (_, i) => (loss === 'mse' ? Math.cos(i) : i % 2));
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', input, [batch, options.inputSize]),
        target: new ort.Tensor('float32', target, loss === 'softmaxCrossEntropy' ? [batch] : [batch, width]),
      };
      for (const [name, p] of Object.entries(handWritten.params)) feeds[name] = new ort.Tensor('float32', p.values, [...p.shape]);
      const [ours, theirs] = [await run(generated.model, feeds), await run(handWritten.model, feeds)];
      for (const name of ['loss', 'output', ...Object.keys(handWritten.params).map((p) => `${p}_grad`)]) {
        const a = ours[name] as Float32Array;
        const b = theirs[name] as Float32Array;
        const scale = Math.max(...Array.from(b, Math.abs));
        b.forEach((value, i) => {
          expect(Math.abs((a[i] as number) - value) / Math.max(Math.abs(value), scale / 100, 1e-30), `${name}[${i}]`).toBeLessThan(1e-6);
        });
      }
    });
  }
});
