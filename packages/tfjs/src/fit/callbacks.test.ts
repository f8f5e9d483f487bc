import { adam as stepsizeAdam, sgd as stepsizeSgd, constant, cosineAnnealing, reduceOnPlateau, warmup } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs';
import { iris as irisData } from '@stepsize/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitCallbacks, learningRateScheduler, reduceLearningRateOnPlateau, setTfjsLearningRate } from './callbacks.js';
import { StepsizeOptimizer } from '../optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function iris(): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  // All 150 flowers, standardised, in the dataset's seeded order.
  const { train } = irisData({ validation: 0 });
  return tf.tidy(() => ({
    xs: tf.tensor2d(train.inputs, [train.examples, 4]),
    ys: tf.oneHot(tf.tensor1d(train.targets, 'int32'), 3) as tf.Tensor2D,
  }));
}

function model(optimizer: tf.Optimizer): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 12, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  m.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('model.fit callbacks', () => {
  it('drives tf.train.sgd per batch (setLearningRate) and records the rate in the history', async () => {
    const { xs, ys } = iris();
    const schedule = warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 0.5, steps: 90 }) });
    const sgd = tf.train.sgd(123);
    const m = model(sgd);
    const history = await m.fit(xs, ys, {
      epochs: 20,
      batchSize: 30,
      shuffle: false,
      verbose: 0,
      callbacks: [learningRateScheduler({ schedule })],
    });
    // 5 batches per epoch: the epoch's recorded rate is the one used by its last batch.
    expect(history.history.lr).toEqual(Array.from({ length: 20 }, (_, e) => schedule(e * 5 + 4)));
    const losses = history.history.loss as number[];
    expect(losses[19]).toBeLessThan((losses[0] as number) * 0.6);
    m.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('drives tf.train.adam per epoch through its learningRate field', async () => {
    const { xs, ys } = iris();
    const schedule = cosineAnnealing({ initialValue: 0.05, steps: 10 });
    const adam = tf.train.adam(1);
    const m = model(adam);
    const history = await m.fit(xs, ys, {
      epochs: 10,
      batchSize: 50,
      shuffle: false,
      verbose: 0,
      callbacks: [learningRateScheduler({ schedule, per: 'epoch' })],
    });
    expect(history.history.lr).toEqual(Array.from({ length: 10 }, (_, e) => schedule(e)));
    expect((adam as unknown as { learningRate: number }).learningRate).toBe(schedule(9));
    m.dispose();
    xs.dispose();
    ys.dispose();
  });

  it('reduces on plateau of val_loss for a built-in optimizer, and really reduces', async () => {
    const { xs, ys } = iris();
    // Validation labels unrelated to the inputs: val_loss cannot keep improving.
    const valX = tf.randomUniform([30, 4], 0, 1, 'float32', 3);
    const valY = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 30 }, (_, i) => i % 3),
        'int32',
      ),
      3,
    );
    const m = model(tf.train.sgd(1));
    const history = await m.fit(xs, ys, {
      epochs: 30,
      batchSize: 15,
      shuffle: false,
      verbose: 0,
      validationData: [valX, valY],
      callbacks: [reduceLearningRateOnPlateau({ initialValue: 0.3, monitor: 'val_loss', patience: 2, factor: 0.5 })],
    });
    const rates = history.history.lr as number[];
    expect(rates[0]).toBe(0.3);
    expect(Math.min(...rates)).toBeLessThanOrEqual(0.3 / 4);
    expect(rates.every((r, i) => i === 0 || r <= (rates[i - 1] as number))).toBe(true);
    expect((history.history.acc as number[]).at(-1)).toBeGreaterThan(0.6);
    for (const t of [xs, ys, valX, valY]) t.dispose();
    m.dispose();
  });

  it('feeds val_loss to a StepsizeOptimizer whose rate is a plateau after a warmup', async () => {
    const { xs, ys } = iris();
    const valX = tf.randomUniform([30, 4], 0, 1, 'float32', 4);
    const valY = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 30 }, (_, i) => (i * 2) % 3),
        'int32',
      ),
      3,
    );
    const plateau = reduceOnPlateau({ initialValue: 0.05, patience: 1, factor: 0.5 });
    const optimizer = new StepsizeOptimizer(stepsizeAdam({ learningRate: warmup({ steps: 10, schedule: plateau }) }));
    const m = model(optimizer);
    const history = await m.fit(xs, ys, {
      epochs: 12,
      batchSize: 30,
      shuffle: false,
      verbose: 0,
      validationData: [valX, valY],
      callbacks: [learningRateScheduler({ monitor: 'val_loss' })],
    });
    const rates = history.history.lr as number[];
    expect(rates[1]).toBe(0.045); // the last batch of epoch 1 is warmup step 9
    expect(rates[2]).toBe(0.05);
    expect(rates.at(-1)).toBeLessThan(0.05 / 2);
    for (const t of [xs, ys, valX, valY]) t.dispose();
    m.dispose();
  });

  it('feeds every stateful schedule of a StepsizeOptimizer, the weight-EMA decay included (core statefulSchedules)', async () => {
    const { xs, ys } = iris();
    // A learning rate of 0 keeps the loss flat: the plateau (patience 0) halves its value at every epoch after the first.
    const emaDecay = reduceOnPlateau({ initialValue: 0.8, patience: 0, factor: 0.5 });
    const m = model(new StepsizeOptimizer(stepsizeSgd({ learningRate: 0, emaDecay })));
    await m.fit(xs, ys, { epochs: 3, batchSize: 30, shuffle: false, verbose: 0, callbacks: [learningRateScheduler({ monitor: 'loss' })] });
    expect(emaDecay(0)).toBe(0.2);
    for (const t of [xs, ys]) t.dispose();
    m.dispose();
  });

  it('refuses, with the way to do it, what a StepsizeOptimizer cannot do (a plateau callback, per-epoch steps)', async () => {
    const { xs, ys } = iris();
    const m = model(new StepsizeOptimizer(stepsizeSgd({ learningRate: 0.1 })));
    const fitWith = (callback: tf.Callback) => m.fit(xs, ys, { epochs: 2, batchSize: 30, verbose: 0, callbacks: [callback] });
    await expect(fitWith(reduceLearningRateOnPlateau({ initialValue: 0.1, monitor: 'loss' }))).rejects.toThrow(
      /^reduceLearningRateOnPlateau drives tfjs's own optimizers; for a StepsizeOptimizer put reduceOnPlateau in its learningRate/,
    );
    // A StepsizeOptimizer's schedules count updates: 'epoch' would silently step per batch.
    await expect(fitWith(learningRateScheduler({ per: 'epoch' }))).rejects.toThrow(
      /^learningRateScheduler options\.per cannot be 'epoch' for a StepsizeOptimizer: .* \(5 per epoch here\)/,
    );
    for (const t of [xs, ys]) t.dispose();
    m.dispose();
  });

  it('mixes with plain-object callbacks through fitCallbacks, and says so when tfjs wrapped it', async () => {
    const { xs, ys } = iris();
    const schedule = cosineAnnealing({ initialValue: 0.2, steps: 20 });
    const m = model(tf.train.sgd(1));
    const seen: number[] = [];
    const plain = { onEpochEnd: async (_epoch: number, logs?: tf.Logs) => void seen.push(logs?.lr as number) };
    const early = tf.callbacks.earlyStopping({ monitor: 'loss', patience: 50 });
    const history = await m.fit(xs, ys, {
      epochs: 4,
      batchSize: 30,
      verbose: 0,
      callbacks: fitCallbacks(learningRateScheduler({ schedule }), plain, early),
    });
    // 5 batches per epoch: the plain callback saw the rate of each epoch's last batch.
    const expected = Array.from({ length: 4 }, (_, e) => schedule(e * 5 + 4));
    expect(seen).toEqual(expected);
    expect(history.history.lr).toEqual(expected);
    // A plain object first: tfjs wraps every callback as a plain one; the stepsize one says what to do.
    await expect(
      m.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [plain, learningRateScheduler({ schedule })] as never }),
    ).rejects.toThrow(/was given to model\.fit after a plain-object callback: .* fitCallbacks/);
    expect(() => fitCallbacks(3 as never)).toThrow(/^fitCallbacks\(callbacks\[0\]\) must be a tf\.Callback or a plain object of hooks/);
    for (const t of [xs, ys]) t.dispose();
    m.dispose();
  });

  it('explains misuse', async () => {
    const { xs, ys } = iris();
    const m = model(tf.train.sgd(0.1));
    await expect(m.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [learningRateScheduler({})] })).rejects.toThrow(
      /options\.schedule is required for tfjs's own SGD optimizer/,
    );
    await expect(
      m.fit(xs, ys, {
        epochs: 1,
        verbose: 0,
        callbacks: [learningRateScheduler({ schedule: reduceOnPlateau({ initialValue: 0.1 }), monitor: 'val_loss' })],
      }),
    ).rejects.toThrow(/monitor "val_loss" has no finite value at the end of epoch 0 \(logged: .*loss/);
    expect(() => learningRateScheduler({ schedule: constant({ value: 1 }), per: 'step' as never })).toThrow(
      /per must be "batch" or "epoch", got "step"/,
    );
    expect(() => setTfjsLearningRate(tf.train.sgd(0.1), Number.NaN)).toThrow(/must be a finite number >= 0, got NaN/);
    for (const t of [xs, ys]) t.dispose();
    m.dispose();
  });
});
