import { adamW, cosineAnnealing, warmup } from '@stepsize/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage, testRandom } from '@stepsize/datasets';
import { StepsizeOptimizer } from './optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const schedule = () => warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-2, steps: 100_000 }) });
let variables = 0;
const variable = (values: number[]): tf.Variable => {
  variables += 1;
  return tf.variable(tf.tensor1d(values), true, `reliability_${variables}`);
};

describe('tfjs reliability', () => {
  it('100,000 optimizer steps keep the tensor count constant and process memory bounded', () => {
    const w = variable([0.5, -1, 2, 0.25]);
    const optimizer = new StepsizeOptimizer(adamW({ learningRate: schedule(), weightDecay: 0.01 }));
    const gradient = tf.tensor1d([0.1, -0.2, 0.3, -0.4]);
    const step = (): void => optimizer.applyGradients({ [w.name]: gradient });
    for (let i = 0; i < 1_000; i += 1) step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    collectGarbage();
    const before = process.memoryUsage();
    for (let i = 1_000; i < 100_000; i += 1) step();
    collectGarbage();
    const after = process.memoryUsage();
    console.log(
      `tfjs cpu: 100,000 steps; tensors ${tensors} after 1,000 and ${tf.memory().numTensors} after 100,000; rss ${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MB, heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MB`,
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect(optimizer.iterations).toBe(100_000);
    expect(w.dataSync().every(Number.isFinite)).toBe(true);
    expect((after.heapUsed - before.heapUsed) / 2 ** 20).toBeLessThan(16);
    // rss also moves with the allocator and the machine's load: a leak of one tensor a step is far above this.
    expect((after.rss - before.rss) / 2 ** 20).toBeLessThan(128);
    optimizer.dispose();
    w.dispose();
    gradient.dispose();
  });

  it('a non-finite gradient throws naming the variable and changes nothing; with skip, the step is skipped', async () => {
    for (const nonFinite of ['throw', 'skip'] as const) {
      const w = variable([1, 2, 3]);
      const optimizer = new StepsizeOptimizer(adamW({ learningRate: 0.1, nonFinite }));
      optimizer.applyGradients({ [w.name]: tf.tensor1d([0.1, 0.2, 0.3]) });
      const weights = async () =>
        Promise.all((await optimizer.getWeights()).map(async ({ name, tensor }) => [name, Array.from(await tensor.data())] as const));
      const before = { w: Array.from(w.dataSync()), state: await weights() };
      const bad = tf.tensor1d([0.1, Number.NaN, 0.3]);
      if (nonFinite === 'throw')
        expect(() => optimizer.applyGradients({ [w.name]: bad })).toThrow(new RegExp(`gradients\\.${w.name}\\[1\\] is not finite`));
      else optimizer.applyGradients({ [w.name]: bad });
      expect(Array.from(w.dataSync())).toEqual(before.w);
      const state = await weights();
      // iterations counts calls in tfjs and a skip is counted; everything else is unchanged.
      const skipCount = '__stepsize_host__/counter/skipped';
      const rest = (list: typeof state) => list.slice(1).filter(([name]) => name !== skipCount);
      expect(rest(state)).toEqual(rest(before.state));
      const skips = state.find(([name]) => name === skipCount)?.[1] as number[];
      expect(new Float64Array(Int32Array.from(skips).buffer)[0]).toBe(nonFinite === 'skip' ? 1 : 0);
      optimizer.dispose();
      w.dispose();
    }
  });

  it('resuming from getWeights/setWeights at a random step equals the uninterrupted run', async () => {
    const total = 40;
    const at = 1 + Math.floor(testRandom('tfjs resume step')() * (total - 2));
    const gradients = Array.from({ length: total }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(2 * i)]);
    const run = (w: tf.Variable, optimizer: StepsizeOptimizer, from: number, to: number): void => {
      for (let i = from; i < to; i += 1) optimizer.applyGradients({ [w.name]: tf.tensor1d(gradients[i] as number[]) });
    };
    const w = variable([1, 2, 3]);
    const full = new StepsizeOptimizer(adamW({ learningRate: schedule() }));
    run(w, full, 0, total);
    const v = variable([1, 2, 3]);
    const first = new StepsizeOptimizer(adamW({ learningRate: schedule() }));
    run(v, first, 0, at);
    const saved = await first.getWeights();
    const resumed = new StepsizeOptimizer(adamW({ learningRate: schedule() }));
    await resumed.setWeights(saved);
    run(v, resumed, at, total);
    console.log(`tfjs resume at step ${at} of ${total}`);
    expect(Array.from(v.dataSync())).toEqual(Array.from(w.dataSync()));
    for (const t of [w, v]) t.dispose();
    for (const o of [full, first, resumed]) o.dispose();
  });
});
