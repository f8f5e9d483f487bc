import { adamW, cosineAnnealing, train, warmup } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { collectGarbage, iris, testRandom } from '@stepsize/datasets';
import { onnxruntimeTrainingBackend } from './training-backend.js';
import { ParameterUpdater } from './update/parameter-updater.js';

const megabytes = (n: number): string => (n / 2 ** 20).toFixed(1);

describe('ONNX Runtime reliability', () => {
  it('100,000 update-graph steps with stable memory', async () => {
    const updater = await ParameterUpdater.create({
      optimizer: adamW({
        learningRate: warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-2, steps: 100_000 }) }),
        weightDecay: 0.01,
      }),
      params: { w: { values: Float32Array.of(0.5, -1, 2, 0.25), shape: [4] } },
    });
    const gradient = { w: Float32Array.of(0.1, -0.2, 0.3, -0.4) };
    for (let i = 0; i < 1_000; i += 1) await updater.step(gradient);
    collectGarbage();
    const before = process.memoryUsage();
    for (let i = 1_000; i < 100_000; i += 1) await updater.step(gradient);
    collectGarbage();
    const after = process.memoryUsage();
    console.log(
      `onnxruntime update graph: 100,000 steps, ${updater.graphCount} graph; rss ${megabytes(before.rss)} → ${megabytes(after.rss)} MB, heap ${megabytes(before.heapUsed)} → ${megabytes(after.heapUsed)} MB, external ${megabytes(before.external)} → ${megabytes(after.external)} MB`,
    );
    expect(updater.state.step).toBe(100_000);
    expect(updater.graphCount).toBe(1);
    expect(updater.values('w').every(Number.isFinite)).toBe(true);
    expect((after.heapUsed - before.heapUsed) / 2 ** 20).toBeLessThan(8);
    expect((after.external - before.external) / 2 ** 20).toBeLessThan(8);
    // rss also moves with the allocator and the machine's load: a leak of one tensor a step is far above this.
    expect((after.rss - before.rss) / 2 ** 20).toBeLessThan(128);
    await updater.dispose();
  });

  for (const update of ['onnx', 'engine'] as const) {
    it(`${update} update: resuming from a JSON checkpoint at a random step equals the uninterrupted run`, async () => {
      const { train: data } = iris();
      const mlp = { inputSize: 4, layers: [8, 3], activation: 'relu', loss: 'softmaxCrossEntropy', seed: 6 } as const;
      const steps = 50;
      const at = 1 + Math.floor(testRandom('onnxruntime resume step')() * (steps - 2));
      const options = () => ({
        data,
        batchSize: 10,
        steps,
        seed: 4,
        optimizer: adamW({ learningRate: warmup({ steps: 5, schedule: cosineAnnealing({ initialValue: 0.02, steps: 45 }) }) }),
      });
      let saved = '';
      const fullBackend = await onnxruntimeTrainingBackend({ mlp, update });
      const full = await train({
        ...options(),
        backend: fullBackend,
        checkpoint: {
          every: at,
          save: (c) => {
            saved ||= JSON.stringify(c);
          },
        },
      });
      const resumedBackend = await onnxruntimeTrainingBackend({ mlp: { ...mlp, seed: 1 }, update });
      const resumed = await train({ ...options(), backend: resumedBackend, resumeFrom: saved });
      console.log(`onnxruntime (${update} update) resumed at step ${at} of ${steps}`);
      expect(resumed.history.map((r) => r.loss)).toEqual(full.history.slice(at).map((r) => r.loss));
      expect(await resumedBackend.readParameters()).toEqual(await fullBackend.readParameters());
      await fullBackend.dispose();
      await resumedBackend.dispose();
    });
  }
});
