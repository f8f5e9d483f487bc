import { adam, adamW, cosineAnnealing, nadam, OptimizerRunner, sgd, warmup } from '@stepsize/core';
import { float32Ops } from '@stepsize/engine';
import * as tf from '@tensorflow/tfjs';
import { iris } from '@stepsize/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { learningRateScheduler } from './fit/callbacks.js';
import { StepsizeOptimizer, registerStepsizeOptimizer } from './optimizer.js';
import { restartThroughWeights } from './test-support/engine-agreement.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('StepsizeOptimizer is a tf.Optimizer', () => {
  it('minimize() follows the same trajectory as the engine for the same gradients', () => {
    const target = tf.tensor1d([3, -1, 0.5]);
    const w = tf.variable(tf.tensor1d([0, 0, 0]), true, 'minimize_w');
    const optimizer = new StepsizeOptimizer(adam({ learningRate: 0.1 }));
    const engineW = new Float32Array(3);
    const engine = new OptimizerRunner({ optimizer: adam({ learningRate: 0.1 }), ops: float32Ops, params: { w: engineW } });
    for (let i = 0; i < 50; i += 1) {
      const before = w.dataSync().slice();
      optimizer.minimize(() => tf.sum(tf.square(tf.sub(w, target))));
      // The same gradient on the engine: 2 (w - target), rounded to float32.
      engine.step({ w: Float32Array.from(before, (v, j) => Math.fround(2 * Math.fround(v - ([3, -1, 0.5][j] as number)))) });
    }
    const ours = Array.from(w.dataSync());
    ours.forEach((v, j) => {
      expect(Math.abs(v - (engineW[j] as number))).toBeLessThan(1e-5);
    });
    expect(Math.abs((ours[0] as number) - 3)).toBeLessThan(0.2);
    expect(optimizer.iterations).toBe(50);
    w.dispose();
    target.dispose();
  });

  it('trains a model with model.compile + model.fit on iris with warmup then cosine', async () => {
    const { train } = iris({ validation: 0 });
    const xs = tf.tensor2d(train.inputs, [train.examples, 4]);
    const ys = tf.oneHot(tf.tensor1d(train.targets, 'int32'), 3);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const schedule = warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 0.05, steps: 290 }) });
    model.compile({
      optimizer: new StepsizeOptimizer(adamW({ learningRate: schedule, groups: [{ params: ['*bias'], weightDecay: 0 }] })),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(xs, ys, {
      epochs: 60,
      batchSize: 30,
      shuffle: false,
      verbose: 0,
      callbacks: [learningRateScheduler({})],
    });
    // 5 batches per epoch: epoch e records the rate of its last batch, step 5e + 4.
    expect(history.history.lr).toEqual(Array.from({ length: 60 }, (_, e) => schedule(5 * e + 4)));
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan((losses[0] as number) / 4);
    expect((history.history.acc as number[]).at(-1)).toBeGreaterThanOrEqual(0.9);
    xs.dispose();
    ys.dispose();
    model.dispose();
  });

  it('reports what its latest applyGradients did (lastReport): accumulated, updated with its rates, skipped', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'last_report_w');
    const optimizer = new StepsizeOptimizer(sgd({ learningRate: 0.5, accumulationSteps: 2, nonFinite: 'skip' }));
    expect(optimizer.lastReport).toBeUndefined();
    const step = (values: number[]): void => tf.tidy(() => optimizer.applyGradients({ last_report_w: tf.tensor1d(values) }));
    step([1, 1]);
    expect(optimizer.lastReport).toMatchObject({ outcome: 'accumulated', step: 0 });
    step([1, 1]);
    expect(optimizer.lastReport).toMatchObject({ outcome: 'updated', step: 1, learningRate: 0.5, learningRates: [0.5] });
    step([Number.NaN, 1]);
    expect(optimizer.lastReport).toMatchObject({ outcome: 'skipped', step: 1 });
    optimizer.dispose();
    w.dispose();
  });

  it('getWeights / setWeights restore the state: a resumed run continues exactly', async () => {
    const run = async (restoreAt?: number): Promise<number[]> => {
      const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `resume_w_${restoreAt ?? 'full'}`);
      let optimizer = new StepsizeOptimizer(nadam({ learningRate: 0.05 }));
      const loss = (): tf.Scalar => tf.sum(tf.square(tf.sub(tf.mul(w, w), 1)));
      for (let i = 0; i < 20; i += 1) {
        if (i === restoreAt) {
          const saved = await optimizer.getWeights();
          const copies = saved.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
          optimizer.dispose();
          optimizer = new StepsizeOptimizer(nadam({ learningRate: 0.05 }));
          await optimizer.setWeights(copies);
          for (const c of copies) c.tensor.dispose();
        }
        optimizer.minimize(loss);
      }
      const values = Array.from(w.dataSync());
      optimizer.dispose();
      w.dispose();
      return values;
    };
    expect(await run(9)).toEqual(await run());
  });

  it('getWeights / setWeights carry the whole state exactly: accumulators, averages, skips and host numbers', async () => {
    // NAdam keeps a float64 host product (mu_product) that float32 would round; accumulation
    // leaves a partial sum between updates; the weight EMA and the skip count are state too.
    const make = () => nadam({ learningRate: 0.05, accumulationSteps: 3, emaDecay: 0.9, nonFinite: 'skip' });
    const gradient = (i: number): number[] => (i === 5 ? [Number.NaN, 0, 0] : [Math.sin(i), Math.cos(i), 0.5]);
    const run = async (restoreAt?: number) => {
      const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `full_state_w_${restoreAt ?? 'full'}`);
      let optimizer = new StepsizeOptimizer(make());
      for (let i = 0; i < 20; i += 1) {
        if (i === restoreAt) optimizer = await restartThroughWeights(optimizer, make);
        optimizer.applyGradients({ [w.name]: tf.tensor1d(gradient(i)) });
      }
      const weights = await optimizer.getWeights();
      const state = await Promise.all(
        weights.slice(1).map(async ({ name, tensor }) => [name.replace(w.name, 'w'), Array.from(await tensor.data())]),
      );
      const values = Array.from(w.dataSync());
      optimizer.dispose();
      w.dispose();
      return { values, state };
    };
    const full = await run();
    // Mid-accumulation (step 7 is the second micro-step of an update), and after the skip.
    expect(await run(7)).toEqual(full);
    expect(full.state.map(([name]) => name)).toEqual(
      expect.arrayContaining(['__stepsize_host__/counter/skipped', '__stepsize_host__/counter/microStep']),
    );
  });

  it('setWeights refuses weights that do not fit (NaN slots included): state, iterations and tensor count unchanged', async () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'refuse_w');
    const optimizer = new StepsizeOptimizer(nadam({ learningRate: 0.1 }));
    optimizer.applyGradients({ refuse_w: tf.tensor1d([0.5, 0.5]) });
    const snapshot = async () => Promise.all((await optimizer.getWeights()).map(async ({ tensor }) => Array.from(await tensor.data())));
    const before = await snapshot();
    const attempts: [() => { name: string; tensor: tf.Tensor }[], RegExp][] = [
      [
        () => [
          { name: 'iter', tensor: tf.scalar(7) },
          { name: 'refuse_w/expAvg', tensor: tf.tensor1d([1, 2, 3]) },
        ],
        /refuse_w/,
      ],
      [
        () => [
          { name: 'iter', tensor: tf.scalar(7) },
          { name: 'refuse_w/expAvg', tensor: tf.tensor1d([1, Number.NaN]) },
        ],
        /refuse_w/,
      ],
      [
        () => [
          { name: 'iter', tensor: tf.scalar(7) },
          { name: '__stepsize_host__/nope/x', tensor: tf.scalar(1) },
        ],
        /"__stepsize_host__\/nope\/x" is not a weight/,
      ],
    ];
    for (const [make, error] of attempts) {
      const weights = make();
      const tensors = tf.memory().numTensors;
      await expect(optimizer.setWeights(weights)).rejects.toThrow(error);
      expect(tf.memory().numTensors).toBe(tensors);
      for (const { tensor } of weights) tensor.dispose();
    }
    await expect(optimizer.setWeights([] as never)).rejects.toThrow(/setWeights\(weightValues\) must be the list getWeights returned/);
    expect(optimizer.iterations).toBe(1);
    expect(await snapshot()).toEqual(before);
    optimizer.dispose();
    w.dispose();
  });

  it('setWeights(getWeights()) keeps the tensors it was given usable, and dispose frees every tensor', async () => {
    const start = tf.memory().numTensors;
    for (let i = 0; i < 10; i += 1) {
      const w = tf.tidy(() => tf.variable(tf.randomNormal([64], 0, 1, 'float32', i), true, `dispose_w_${i}`));
      const optimizer = new StepsizeOptimizer(nadam({ learningRate: 0.01, accumulationSteps: 2, emaDecay: 0.5 }));
      const step = (): void => {
        const gradient = tf.onesLike(w);
        optimizer.applyGradients({ [w.name]: gradient });
        gradient.dispose();
      };
      step();
      const weights = await optimizer.getWeights();
      await optimizer.setWeights(weights);
      step();
      await optimizer.setWeights(weights); // the same list again: its tensors were not freed
      step();
      for (const { tensor } of weights) if (!(tensor instanceof tf.Variable)) tensor.dispose();
      optimizer.dispose();
      w.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it('round-trips through getConfig / fromConfig and registers for serialization on request', () => {
    const optimizer = new StepsizeOptimizer(sgd({ learningRate: cosineAnnealing({ initialValue: 0.1, steps: 10 }), momentum: 0.9 }));
    const copy = StepsizeOptimizer.fromConfig(StepsizeOptimizer, optimizer.getConfig());
    expect(copy.getConfig()).toEqual(optimizer.getConfig());
    expect(copy.getClassName()).toBe('StepsizeOptimizer');
    registerStepsizeOptimizer();
    expect(tf.serialization.SerializationMap.getMap().classNameMap.StepsizeOptimizer).toBeDefined();
  });

  it('refuses non-float variables, unknown names, null gradients and non-optimizers with clear errors', () => {
    const optimizer = new StepsizeOptimizer(sgd({ learningRate: 0.1 }));
    const counts = tf.variable(tf.tensor1d([1, 2], 'int32'), true, 'int_counts');
    expect(() => optimizer.applyGradients({ int_counts: tf.tensor1d([1, 1], 'int32') })).toThrow(
      /gradient "int_counts" has dtype int32; stepsize optimizers update float32 variables only/,
    );
    expect(() => optimizer.applyGradients({ no_such_variable: tf.tensor1d([1]) })).toThrow(
      /gradient "no_such_variable" names no registered tf.Variable/,
    );
    expect(() => optimizer.applyGradients({ x: null as unknown as tf.Tensor })).toThrow(/gradient "x" is null/);
    expect(() => new StepsizeOptimizer(0.1 as never)).toThrow(/must be a stepsize optimizer/);
    expect(() => sgd({ learningRate: 0.1, dampening: cosineAnnealing({ initialValue: 0.1, steps: 5 }) as never })).toThrow(
      /dampening must be a finite number in \[0, 1\], got a function/,
    );
    counts.dispose();
  });
});
