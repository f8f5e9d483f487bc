import {
  adamW,
  cosineAnnealing,
  product,
  readCheckpoint,
  reduceOnPlateau,
  scheduleFromJSON,
  sgd,
  train,
  warmup,
  type Checkpoint,
  type MlpTrainingSetup,
} from '@stepsize/core';
import { checkpointWriter, readJsonFile } from '@stepsize/core/node';
import { checkTrainingBackend, crossBackendCheck } from '@stepsize/conformance';
import { iris } from '@stepsize/datasets';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mlp } from './model/mlp.js';
import { engineTrainingBackend, type EngineModel } from './training-backend.js';

const warmupCosine = (): ReturnType<typeof warmup> =>
  warmup({ steps: 20, schedule: cosineAnnealing({ initialValue: 0.05, steps: 280, minValue: 0.0005 }) });

describe('engine training backend', () => {
  it('passes the training checks of the conformance package', async () => {
    for (const kernels of [undefined, 'none'] as const) {
      const results = await checkTrainingBackend({ create: (mlp) => engineTrainingBackend({ mlp, kernels }) });
      for (const result of results) expect(result.passed, `${result.name}: ${result.detail}`).toBe(true);
    }
  });

  it('learns iris with warmup then cosine and AdamW, reporting loss and every group rate per step', async () => {
    const { train: data, validation } = iris();
    const backend = await engineTrainingBackend({
      model: new Mlp({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 3 }),
      loss: 'softmaxCrossEntropy',
    });
    const result = await train({
      backend,
      data,
      validation,
      batchSize: 12,
      steps: 300,
      seed: 5,
      optimizer: adamW({ learningRate: warmupCosine(), groups: [{ params: ['*.bias'], weightDecay: 0 }] }),
    });
    expect(result.history).toHaveLength(300);
    expect(result.stopReason).toBe('completed');
    expect(result.history[0]?.learningRate).toBe(0);
    expect(result.history[10]?.learningRate).toBeCloseTo(0.025, 12);
    expect(result.history[20]?.learningRates).toEqual([0.05, 0.05]);
    expect(result.history[299]?.learningRate).toBeLessThan(0.001);
    expect(result.history.every((r, i) => r.step === i && r.batches === i + 1 && r.gradientNorm > 0 && r.time >= 0)).toBe(true);
    const first = result.history.slice(0, 10).reduce((s, r) => s + r.loss, 0) / 10;
    const last = result.history.slice(-10).reduce((s, r) => s + r.loss, 0) / 10;
    expect(last).toBeLessThan(first / 5);
    // Every epoch (10 updates) and at the end (300 is on the grid: no extra final evaluation).
    expect(result.evaluations.map((e) => e.step)).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 10));
    expect(result.evaluations.at(-1)?.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('reduces on plateau from the validation loss after a warmup, and stops early restoring the best weights', async () => {
    const { train: data, validation } = iris();
    const plateau = reduceOnPlateau({ initialValue: 0.2, patience: 1, factor: 0.5, threshold: 0.05 });
    const backend = await engineTrainingBackend({
      mlp: { inputSize: 4, layers: [8, 3], activation: 'relu', loss: 'softmaxCrossEntropy', seed: 1 },
    });
    const result = await train({
      backend,
      data,
      validation,
      batchSize: 30,
      steps: 400,
      seed: 2,
      optimizer: sgd({ learningRate: warmup({ steps: 8, schedule: plateau }), momentum: 0.9 }),
      earlyStopping: { monitor: 'validationLoss', patience: 12, restoreBest: true },
    });
    const rates = result.history.map((r) => r.learningRate);
    expect(rates[8]).toBe(0.2);
    expect(Math.min(...rates.slice(8))).toBeLessThan(0.2 / 4); // at least two reductions
    expect(rates.slice(8).every((r, i, all) => i === 0 || r <= (all[i - 1] as number))).toBe(true);
    const regular = result.evaluations.filter((e) => !e.final);
    const best = regular.reduce((a, b) => (b.loss < a.loss ? b : a));
    expect(result.best).toEqual({ step: best.step, value: best.loss });
    if (result.stopReason === 'earlyStopping') {
      // The final evaluation is of the restored weights: the best one's loss.
      expect(result.evaluations.at(-1)).toMatchObject({ final: true, loss: best.loss });
    }
    expect(result.evaluations.at(-1)?.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('resumes from a checkpoint file bit for bit, plateau state included', async () => {
    const { train: data, validation } = iris();
    const optimizer = (): ReturnType<typeof adamW> =>
      adamW({
        learningRate: product({
          schedules: [warmupCosine(), reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.9, threshold: 0.2 })],
        }),
        clipGradientNorm: 1,
      });
    const mlp = { inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 4 } as const;
    const common = { data, validation, batchSize: 12, steps: 120, seed: 9, evaluateEvery: 5 };
    const full = await engineTrainingBackend({ mlp });
    const uninterrupted = await train({ ...common, backend: full, optimizer: optimizer() });
    const path = join(mkdtempSync(join(tmpdir(), 'stepsize-ckpt-')), 'run.json');
    await train({
      ...common,
      steps: 57,
      backend: await engineTrainingBackend({ mlp }),
      optimizer: optimizer(),
      checkpoint: { every: 19, save: checkpointWriter(path) },
    });
    const saved = readCheckpoint(readJsonFile(path, 'checkpoint'));
    expect(saved.step).toBe(57);
    const resumedBackend = await engineTrainingBackend({ mlp: { ...mlp, seed: 999 } });
    const resumed = await train({ ...common, backend: resumedBackend, resumeFrom: saved });
    expect(resumed.history.map((r) => r.loss)).toEqual(uninterrupted.history.slice(57).map((r) => r.loss));
    expect(await resumedBackend.readParameters()).toEqual(await full.readParameters());
    // The plateau had reduced before the checkpoint, so its state mattered.
    const plateauState = (scheduleFromJSON(saved.optimizer.learningRate).toJSON().schedules as { state?: { value: number } }[])[1]?.state;
    expect(plateauState?.value).toBeLessThan(1);
  });

  it('trains a model of your own (EngineModel): least squares by hand', async () => {
    const w = new Float32Array(2);
    const gradient = new Float32Array(2);
    // y = 3 x0 - 2 x1; loss = mean (w·x - y)², gradient 2 mean (w·x - y) x.
    const model: EngineModel = {
      params: { w },
      lossAndGradients: (batch) => {
        gradient.fill(0);
        let loss = 0;
        for (let b = 0; b < batch.examples; b += 1) {
          const x0 = batch.inputs[2 * b] as number;
          const x1 = batch.inputs[2 * b + 1] as number;
          const error = (w[0] as number) * x0 + (w[1] as number) * x1 - (batch.targets[b] as number);
          loss += error * error;
          gradient[0] = (gradient[0] as number) + (2 * error * x0) / batch.examples;
          gradient[1] = (gradient[1] as number) + (2 * error * x1) / batch.examples;
        }
        return { loss: loss / batch.examples, gradients: { w: gradient } };
      },
    };
    const inputs = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.9));
    const targets = Float32Array.from({ length: 32 }, (_, b) => 3 * (inputs[2 * b] as number) - 2 * (inputs[2 * b + 1] as number));
    const result = await train({
      backend: await engineTrainingBackend({ model }),
      optimizer: sgd({ learningRate: 0.2 }),
      data: { inputs, targets, examples: 32 },
      batchSize: 8,
      epochs: 60,
    });
    expect(result.batches).toBe(240);
    expect(Array.from(w).map((v) => Math.round(v * 1000) / 1000)).toEqual([3, -2]);
  });

  it('the fast and the generic kernels give the same trajectory, and the check detects a real difference', async () => {
    const { train: data } = iris({ validation: 0 });
    const setup = (learningRate: number): MlpTrainingSetup => ({
      mlp: { inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 5 },
      data,
      batchSize: 15,
      steps: 40,
      optimizer: {
        type: 'adamW',
        learningRate: { type: 'warmup', steps: 5, schedule: { type: 'cosineAnnealing', initialValue: learningRate, steps: 35 } },
      },
    });
    const same = await crossBackendCheck({
      setup: setup(0.02),
      backends: [(mlp) => engineTrainingBackend({ mlp }), (mlp) => engineTrainingBackend({ mlp, kernels: 'none' })],
    });
    expect(same).toMatchObject({ passed: true, maxRelativeError: 0 });
    // Another initialisation: a real difference, which the check must report.
    const other = await crossBackendCheck({
      setup: setup(0.02),
      backends: [(mlp) => engineTrainingBackend({ mlp }), (mlp) => engineTrainingBackend({ mlp: { ...mlp, seed: 6 } })],
    });
    expect(other.passed).toBe(false);
    expect(other.maxRelativeError).toBeGreaterThan(1e-5);
  });

  it('validates its options with the name and the bad value, and changes nothing on a bad checkpoint', async () => {
    const { train: data } = iris();
    const backend = await engineTrainingBackend({ mlp: { inputSize: 4, layers: [3], activation: 'tanh', loss: 'softmaxCrossEntropy' } });
    const base = { backend, data, optimizer: sgd({ learningRate: 0.1 }) };
    await expect(train({ ...base, batchSize: 0, steps: 1 })).rejects.toThrow(/train options\.batchSize must be an integer >= 1, got 0/);
    await expect(train({ ...base, batchSize: 500, steps: 1 })).rejects.toThrow(
      /batchSize must be at most the number of examples \(120\), got 500/,
    );
    await expect(train({ ...base, batchSize: 10, steps: 1.5 })).rejects.toThrow(/steps must be an integer >= 1, got 1\.5/);
    await expect(train({ ...base, batchSize: 10, steps: 1, epochs: 1 })).rejects.toThrow(/exactly one of steps \(updates\) and epochs/);
    await expect(train({ ...base, batchSize: 10, steps: 1, data: { ...data, inputs: data.inputs.subarray(1) } })).rejects.toThrow(
      /train options\.data\.inputs must hold examples \* 4 = 480 values \(4 per example\), got 479/,
    );
    await expect(train({ ...base, batchSize: 10, steps: 1, earlyStopping: { monitor: 'validationLoss', patience: 1 } })).rejects.toThrow(
      /earlyStopping\.monitor is "validationLoss" but no validation data was given/,
    );
    await expect(
      engineTrainingBackend({ mlp: { inputSize: 4, layers: [3, 0], activation: 'tanh', loss: 'softmaxCrossEntropy' } }),
    ).rejects.toThrow(/engineTrainingBackend options\.mlp\.layers\[1\] must be an integer >= 1, got 0/);
    await expect(engineTrainingBackend({ model: new Mlp({ inputSize: 4, layers: [3] }) })).rejects.toThrow(/options\.loss must be "mse"/);
    let saved: Checkpoint | undefined;
    await train({
      ...base,
      batchSize: 10,
      steps: 2,
      checkpoint: {
        every: 2,
        save: (c) => {
          saved = c;
        },
      },
    });
    const before = await backend.readParameters();
    await expect(train({ ...base, batchSize: 10, steps: 4, seed: 1, resumeFrom: saved })).rejects.toThrow(
      /checkpoint was written with seed 0 and batchSize 10/,
    );
    await expect(train({ ...base, batchSize: 10, steps: 4, resumeFrom: '{"format":' })).rejects.toThrow(/checkpoint is not valid JSON/);
    expect(await backend.readParameters()).toEqual(before);
  });
});
