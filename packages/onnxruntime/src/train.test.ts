import { adamW, cosineAnnealing, product, reduceOnPlateau, scheduleFromJSON, warmup } from '@stepsize/core';
import { Mlp, train } from '@stepsize/engine';
import { describe, expect, it } from 'vitest';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { irisSplit } from './test-support/iris-setup.js';
import { trainOnnx, type OnnxCheckpoint } from './train.js';

const spec = { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy' } as const;
const warmupCosine = () => warmup({ steps: 20, schedule: cosineAnnealing({ initialValue: 0.05, steps: 280, minValue: 0.0005 }) });
const initialParams = (seed = 3) => {
  const mlp = new Mlp({ ...spec, seed });
  return Object.fromEntries(
    Object.entries(mlp.params).map(([name, values]) => [name, { values: Float32Array.from(values), shape: mlp.shapes[name] as number[] }]),
  );
};

describe('trainOnnx on iris', () => {
  for (const update of ['onnx', 'engine'] as const) {
    it(`${update} update: warmup then cosine with AdamW learns, and follows the engine's run step by step`, async () => {
      const { data, validation } = irisSplit();
      const { model } = buildMlpTrainingModel(spec);
      const result = await trainOnnx({
        model,
        params: initialParams(),
        update,
        data,
        validation,
        accuracy: 'argmax',
        batchSize: 12,
        steps: 300,
        seed: 5,
        optimizer: adamW({ learningRate: warmupCosine() }),
      });
      await result.session.release();
      const engine = train({
        model: new Mlp({ ...spec, seed: 3 }),
        data,
        validation,
        loss: 'softmaxCrossEntropy',
        batchSize: 12,
        steps: 300,
        seed: 5,
        optimizer: adamW({ learningRate: warmupCosine() }),
      });
      expect(result.history).toHaveLength(300);
      const schedule = warmupCosine();
      result.history.forEach((record, i) => expect(record.learningRate).toBe(schedule(i)));
      let largest = 0;
      result.history.forEach((record, i) => {
        const reference = engine.history[i]?.loss as number;
        largest = Math.max(largest, Math.abs(record.loss - reference) / Math.abs(reference));
      });
      console.log(
        `trainOnnx (${update} update) vs engine train, iris 300 steps: largest relative loss difference ${largest.toExponential(2)}; final loss ${result.history.at(-1)?.loss.toFixed(4)}, validation accuracy ${result.evaluations.at(-1)?.accuracy}`,
      );
      expect(largest).toBeLessThan(1e-3);
      expect(result.history.at(-1)?.loss).toBeLessThan(0.2);
      expect(result.evaluations.at(-1)?.accuracy).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('reduce-on-plateau after a warmup really reduces the rate, fed from the validation loss', async () => {
    const { data, validation } = irisSplit();
    const plateau = reduceOnPlateau({ initialValue: 0.05, factor: 0.5, patience: 1, threshold: 0.05 });
    const learningRate = product({
      schedules: [warmup({ steps: 10, schedule: scheduleFromJSON({ type: 'constant', value: 1 }) }), plateau],
    });
    const result = await trainOnnx({
      model: buildMlpTrainingModel(spec).model,
      params: initialParams(),
      data,
      validation,
      batchSize: 12,
      steps: 200,
      optimizer: adamW({ learningRate }),
    });
    await result.session.release();
    const rates = result.history.map((r) => r.learningRate);
    expect(Math.max(...rates)).toBeCloseTo(0.05, 12);
    expect(rates.at(-1)).toBeLessThan(0.05 / 2);
  });

  it('resumes from a checkpoint exactly, and a checkpoint that does not fit changes nothing', async () => {
    const { data, validation } = irisSplit();
    const { model } = buildMlpTrainingModel(spec);
    const options = () => ({
      model,
      params: initialParams(),
      data,
      validation,
      batchSize: 12,
      steps: 60,
      seed: 2,
      optimizer: adamW({ learningRate: warmupCosine() }),
    });
    const checkpoints: OnnxCheckpoint[] = [];
    const full = await trainOnnx({ ...options(), checkpoint: { every: 25, save: (c) => void checkpoints.push(structuredClone(c)) } });
    await full.session.release();
    expect(checkpoints.map((c) => c.step)).toEqual([25, 50]);
    const resumed = await trainOnnx({ ...options(), resumeFrom: JSON.parse(JSON.stringify(checkpoints[0])) as OnnxCheckpoint });
    expect(resumed.history.map((r) => r.loss)).toEqual(full.history.slice(25).map((r) => r.loss));
    expect(Array.from(resumed.session.updater.values('dense1.weight'))).toEqual(Array.from(full.session.updater.values('dense1.weight')));
    await resumed.session.release();
    const broken = structuredClone(checkpoints[0]) as OnnxCheckpoint & { params: Record<string, number[]> };
    broken.params['dense0.bias'] = [1, 2];
    await expect(trainOnnx({ ...options(), resumeFrom: broken })).rejects.toThrow(
      /params\.dense0\.bias must be a Float32Array of 16 values/,
    );
    await expect(trainOnnx({ ...options(), seed: 3, resumeFrom: checkpoints[0] as OnnxCheckpoint })).rejects.toThrow(
      /seed 2 and batchSize 12/,
    );
  });
});
