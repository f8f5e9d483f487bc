import { adam, findLearningRate, type OptimizerStateJSON, train, type TrainingBackend } from '@stepsize/core';
import { iris } from '@stepsize/datasets';
import { describe, expect, it } from 'vitest';
import { engineTrainingBackend } from './training-backend.js';

const mlp = { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 7 } as const;

/** The bits of every parameter value, so that a restore must be exact (rounding, -0 and NaN payloads count). */
async function parameterBits(backend: TrainingBackend): Promise<Record<string, number[]>> {
  const params = await backend.readParameters();
  return Object.fromEntries(Object.entries(params).map(([name, values]) => [name, Array.from(new Uint32Array(values.buffer))]));
}

/** The float32 bits of every tensor of an optimizer state (counters as they are). */
function stateBits(state: OptimizerStateJSON): unknown {
  const bits = (values: readonly number[]): number[] => Array.from(new Uint32Array(Float32Array.from(values).buffer));
  const map = (record: Readonly<Record<string, readonly number[]>>) =>
    Object.fromEntries(Object.entries(record).map(([name, values]) => [name, bits(values)]));
  return {
    ...state,
    params: Object.fromEntries(Object.entries(state.params).map(([name, slots]) => [name, map(slots)])),
    accumulated: map(state.accumulated),
    ema: map(state.ema),
  };
}

describe('findLearningRate on the engine', () => {
  it('sweeps to divergence on iris and leaves the parameters bit for bit as they were', async () => {
    const { train: data } = iris();
    const backend = await engineTrainingBackend({ mlp });
    const before = await parameterBits(backend);
    const result = await findLearningRate({
      backend,
      data,
      batchSize: 12,
      optimizer: { type: 'adamW', weightDecay: 0.01 },
      minLearningRate: 1e-5,
      maxLearningRate: 100,
      steps: 100,
    });
    expect(result.stopReason).toMatch(/^(diverged|notFinite)$/);
    expect(result.stoppedEarly).toBe(true);
    expect(result.suggestion?.learningRate).toBeGreaterThan(1e-5);
    expect(result.suggestion?.learningRate).toBeLessThan(result.learningRates.at(-1) as number);
    expect(await parameterBits(backend)).toEqual(before);
  });

  it("restores an earlier run's parameters and optimizer state exactly", async () => {
    const { train: data } = iris();
    const optimizer = adam({ learningRate: 0.01 });
    const backend = await engineTrainingBackend({ mlp });
    await train({ backend, data, batchSize: 12, steps: 20, optimizer });
    const params = await parameterBits(backend);
    const state = stateBits(await backend.readOptimizerState());
    await findLearningRate({ backend, data, batchSize: 12, optimizer, steps: 40, maxLearningRate: 1 });
    expect(await parameterBits(backend)).toEqual(params);
    expect(stateBits(await backend.readOptimizerState())).toEqual(state);
  });

  it('restores the parameters when the test throws and when it is aborted', async () => {
    const { train: data } = iris();
    const engine = await engineTrainingBackend({ mlp });
    const before = await parameterBits(engine);
    const controller = new AbortController();
    let calls = 0;
    const backend: TrainingBackend = {
      ...engine,
      lossAndGradients: (batch) => {
        calls += 1;
        if (calls === 10) controller.abort();
        if (calls === 30) throw new Error('out of memory');
        return engine.lossAndGradients(batch);
      },
    };
    const aborted = await findLearningRate({ backend, data, batchSize: 12, optimizer: { type: 'sgd' }, signal: controller.signal });
    expect(aborted).toMatchObject({ stopReason: 'aborted', stoppedEarly: true });
    expect(aborted.losses).toHaveLength(10);
    expect(await parameterBits(engine)).toEqual(before);
    await expect(findLearningRate({ backend, data, batchSize: 12, optimizer: { type: 'sgd' }, maxLearningRate: 1e-2 })).rejects.toThrow(
      'out of memory',
    );
    expect(calls).toBe(30);
    expect(await parameterBits(engine)).toEqual(before);
  });
});
