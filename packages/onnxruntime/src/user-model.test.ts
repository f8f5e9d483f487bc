import { adamW } from '@stepsize/core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './onnx/graph.js';
import { onnxruntimeTrainingBackend } from './training-backend.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const modelPath = join(fixtures, 'torch-mlp-training.onnx');
const sidecar = JSON.parse(readFileSync(join(fixtures, 'torch-mlp-training.json'), 'utf8')) as {
  torchVersion: string;
  params: Record<string, { shape: number[]; values: number[] }>;
  batch: { input: number[]; target: number[]; examples: number };
  expected: { loss: number; output: number[]; gradients: Record<string, number[]> };
};
const params = () =>
  Object.fromEntries(Object.entries(sidecar.params).map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: p.shape }]));
const batch = {
  inputs: Float32Array.from(sidecar.batch.input),
  targets: Float32Array.from(sidecar.batch.target),
  examples: sidecar.batch.examples,
};

function largestError(actual: ArrayLike<number>, expected: readonly number[]): number {
  const scale = Math.max(...expected.map(Math.abs));
  return Math.max(...expected.map((v, i) => Math.abs((actual[i] as number) - v) / Math.max(Math.abs(v), scale / 100)));
}

describe('a training model the user brings (exported from PyTorch)', () => {
  for (const update of ['onnx', 'engine'] as const) {
    it(`${update}: reproduces torch ${sidecar.torchVersion} autograd's loss and gradients`, async () => {
      const backend = await onnxruntimeTrainingBackend({ model: modelPath, params: params(), update });
      await backend.setOptimizer(adamW({ learningRate: 0.01 }));
      const result = await backend.lossAndGradients(batch);
      const { outputs } = await backend.evaluate(batch);
      expect(Math.abs(result.loss - sidecar.expected.loss) / sidecar.expected.loss).toBeLessThan(1e-6);
      expect(largestError(outputs as Float32Array, sidecar.expected.output)).toBeLessThan(1e-5);
      for (const [name, expected] of Object.entries(sidecar.expected.gradients))
        expect(largestError(result.gradients[name] as Float32Array, expected), name).toBeLessThan(1e-5);
      // The engine path has ONNX Runtime write the gradients into the updater's buffers (no copy).
      const buffers = backend.updater?.gradientBuffers;
      if (update === 'engine') for (const name of Object.keys(sidecar.params)) expect(result.gradients[name]).toBe(buffers?.[name]);
      else expect(buffers).toBeUndefined();
      await backend.dispose();
    });
  }

  it('trains on both update paths, which agree', async () => {
    const losses: Record<string, number[]> = {};
    for (const update of ['onnx', 'engine'] as const) {
      const backend = await onnxruntimeTrainingBackend({ model: readFileSync(modelPath), params: params(), update });
      await backend.setOptimizer(adamW({ learningRate: 0.05 }));
      losses[update] = [];
      for (let step = 0; step < 30; step += 1) {
        const { loss, gradients } = await backend.lossAndGradients(batch);
        await backend.applyGradients(gradients);
        losses[update]?.push(loss);
      }
      await backend.dispose();
    }
    expect(losses.onnx?.at(-1)).toBeLessThan((losses.onnx?.[0] as number) / 2);
    losses.onnx?.forEach((loss, i) => {
      expect(Math.abs(loss - (losses.engine?.[i] as number)) / loss).toBeLessThan(1e-5);
    });
  });

  it('a model that breaks the convention is refused with every problem named at once', async () => {
    const graph = new GraphBuilder('broken');
    const input = graph.input('input', 'float32', ['batch', 3]);
    const weight = graph.input('w', 'float32', [3, 4]);
    graph.input('dropout_seed', 'float32', []);
    const output = graph.op('MatMul', [input, weight]);
    graph.output(graph.op('ReduceSum', [output], { keepdims: { int: 1 } }), 'loss', 'float32', [1, 1]);
    graph.output(graph.op('Transpose', [weight]), 'w_grad', 'float32', [4, 3]);
    const error = await onnxruntimeTrainingBackend({
      model: graph.toModel(),
      params: { w: { values: new Float32Array(12), shape: [3, 4] }, b: { values: new Float32Array(4), shape: [4] } },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^training model does not follow the training convention/);
    expect(message).toMatch(/input "target" is missing/);
    expect(message).toMatch(/output "loss" must have shape \[\], got \[1, 1\]/);
    expect(message).toMatch(/output "w_grad" must have shape \[3, 4\], got \[4, 3\]/);
    expect(message).toMatch(/input "b" is missing/);
    expect(message).toMatch(/output "b_grad" is missing/);
    expect(message).toMatch(/input "dropout_seed" is neither input, target nor a parameter \(w, b\)/);
  });

  it('a parameter whose shape differs from the model is named with both shapes; unreadable models are named', async () => {
    const wrong = { ...params(), 'out.weight': { values: new Float32Array(10), shape: [2, 5] } };
    await expect(onnxruntimeTrainingBackend({ model: modelPath, params: wrong })).rejects.toThrow(
      /input "out\.weight" must have shape \[2, 5\], got \[5, 2\]/,
    );
    await expect(onnxruntimeTrainingBackend({ model: Uint8Array.of(1, 2, 3), params: params() })).rejects.toThrow(
      /options\.model could not be loaded by ONNX Runtime/,
    );
    await expect(onnxruntimeTrainingBackend({ model: join(fixtures, 'missing.onnx'), params: params() })).rejects.toThrow(
      /options\.model could not be loaded/,
    );
    const backend = await onnxruntimeTrainingBackend({ model: modelPath, params: params() });
    await expect(backend.lossAndGradients({ ...batch, inputs: new Float32Array(5) })).rejects.toThrow(
      /batch\.inputs must be a Float32Array of examples \* 3 = 21 values/,
    );
    expect(() => backend.applyGradients({})).toThrow(/onnxruntime backend applyGradients needs an optimizer/);
    await backend.dispose();
  });
});
