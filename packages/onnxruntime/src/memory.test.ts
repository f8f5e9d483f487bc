import { adamW, cosineAnnealing, warmup } from '@stepsize/core';
import { Mlp } from '@stepsize/engine';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { onnxruntimeTrainingBackend } from './training-backend.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { rss: number; heap: number; external: number } {
  gc();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss: rss / 2 ** 20, heap: heapUsed / 2 ** 20, external: (external + arrayBuffers) / 2 ** 20 };
}

describe('ONNX Runtime training memory', () => {
  for (const update of ['onnx', 'engine'] as const) {
    it(`does not grow over 10,000 steps (${update} update path)`, async () => {
      const spec = { inputSize: 8, layers: [16, 4], activation: 'relu', loss: 'softmaxCrossEntropy' } as const;
      const mlp = new Mlp({ ...spec, seed: 3 });
      const params = Object.fromEntries(
        Object.entries(mlp.params).map(([name, values]) => [name, { values, shape: mlp.shapes[name] as number[] }]),
      );
      const optimizer = adamW({ learningRate: warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 0.01, steps: 9_900 }) }) });
      const backend = await onnxruntimeTrainingBackend({ model: buildMlpTrainingModel(spec).model, params, update });
      await backend.setOptimizer(optimizer);
      const batch = {
        inputs: Float32Array.from({ length: 32 * 8 }, (_, i) => Math.sin(i)),
        targets: Float32Array.from({ length: 32 }, (_, i) => i % 4),
        examples: 32,
      };
      const step = async (): Promise<void> => {
        await backend.applyGradients((await backend.lossAndGradients(batch)).gradients);
      };
      for (let i = 0; i < 1_000; i += 1) await step();
      const before = memory();
      for (let i = 1_000; i < 10_000; i += 1) await step();
      const after = memory();
      console.log(
        `ONNX Runtime (${update} update) memory after 1,000 / 10,000 steps: rss ${before.rss.toFixed(1)} / ${after.rss.toFixed(1)} MB, heap ${before.heap.toFixed(1)} / ${after.heap.toFixed(1)} MB, external ${before.external.toFixed(1)} / ${after.external.toFixed(1)} MB`,
      );
      expect(backend.updater?.state.step).toBe(10_000);
      expect(after.heap - before.heap).toBeLessThan(8);
      expect(after.external - before.external).toBeLessThan(8);
      expect(after.rss - before.rss).toBeLessThan(48);
      await backend.dispose();
    });
  }
});
