import {
  adam,
  adamW,
  BatchSampler,
  cosineAnnealing,
  type Dataset,
  findLearningRate,
  type FindLearningRateResult,
  lossSmoother,
  scheduleFromJSON,
  StepsizeError,
  sgd as stepsizeSgd,
  suggestLearningRates,
  sweepSpec,
} from '@stepsize/core';
import { iris } from '@stepsize/datasets';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Callback, initializers, type LayersModel, layers, type Logs, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { learningRateScheduler } from './callbacks.js';
import { findLearningRateWithFit } from './lr-finder.js';
import { StepsizeOptimizer } from '../optimizer.js';
import { tfjsTrainingBackend } from '../training-backend.js';

// Every test here trains: generous timeouts, so that none depends on the machine's speed.
const TRAINS = { timeout: 300_000 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Iris (all 150 flowers, standardised, in the dataset's seeded order) as a Dataset with one-hot targets. */
function irisData(): Dataset {
  const { train } = iris({ validation: 0 });
  const targets = new Float32Array(train.examples * 3);
  for (let i = 0; i < train.examples; i += 1) targets[3 * i + (train.targets[i] as number)] = 1;
  return { inputs: train.inputs, targets, examples: train.examples };
}

/** Iris as regression: petal width from the other three measurements (the MSE is unbounded: the sweep's end diverges). */
function petalWidths(): Dataset {
  const { train } = iris({ validation: 0 });
  const { examples } = train;
  const inputs = Float32Array.from({ length: examples * 3 }, (_, k) => train.inputs[Math.floor(k / 3) * 4 + (k % 3)] as number);
  const targets = Float32Array.from({ length: examples }, (_, i) => train.inputs[i * 4 + 3] as number);
  return { inputs, targets, examples };
}

function tensorsOf(data: Dataset): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const input = data.inputs.length / data.examples;
  const target = data.targets.length / data.examples;
  return { xs: tf.tensor2d(data.inputs, [data.examples, input]), ys: tf.tensor2d(data.targets, [data.examples, target]) };
}

/** Categorical cross-entropy per example, for the custom losses below. */
const crossEntropy = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor => tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.add(yPred, 1e-7))), -1));

type Loss = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

/** A 4-12-3 classifier with seeded weights, compiled with `optimizer`. */
function classifier(optimizer: tf.Optimizer | string, loss: Loss = 'categoricalCrossentropy'): LayersModel {
  const model = sequential({
    layers: [
      layers.dense({ units: 12, activation: 'tanh', inputShape: [4], kernelInitializer: initializers.glorotUniform({ seed: 1 }) }),
      layers.dense({ units: 3, activation: 'softmax', kernelInitializer: initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer, loss: loss as string });
  return model;
}

/** A 3-8-1 regressor with seeded weights, compiled with `optimizer` and the mean squared error. */
function regressor(optimizer: tf.Optimizer): LayersModel {
  const model = sequential({
    layers: [
      layers.dense({ units: 8, activation: 'tanh', inputShape: [3], kernelInitializer: initializers.glorotUniform({ seed: 1 }) }),
      layers.dense({ units: 1, kernelInitializer: initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return model;
}

/** The bits of every model weight (so -0, NaN payloads and rounding all count). */
function weightBits(model: LayersModel): number[][] {
  return model.getWeights().map((weight) => Array.from(new Uint32Array(Float32Array.from(weight.dataSync()).buffer)));
}

/** The optimizer's weights by name, as bits (the tensors getWeights made are freed; its variables are its state). */
async function optimizerBits(optimizer: tf.Optimizer): Promise<Record<string, number[]>> {
  const weights = await optimizer.getWeights();
  const bits = Object.fromEntries(
    weights.map(({ name, tensor }) => {
      const values = tensor.dtype === 'float32' ? Float32Array.from(tensor.dataSync()) : Int32Array.from(tensor.dataSync());
      return [name, Array.from(new Uint32Array(values.buffer))];
    }),
  );
  for (const { tensor } of weights) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  return bits;
}

/** Everything the test must leave as it found it. */
async function stateOf(model: LayersModel): Promise<unknown> {
  const optimizer = model.optimizer;
  const rate = StepsizeOptimizer.is(optimizer)
    ? { learningRate: optimizer.learningRate, spec: optimizer.optimizer.toJSON() }
    : (optimizer as unknown as { learningRate: number }).learningRate;
  return { weights: weightBits(model), optimizer: await optimizerBits(optimizer), rate };
}

/** Per-batch losses of a plain model.fit (read in onBatchEnd, as the range test reads them). */
class BatchLosses extends Callback {
  readonly losses: number[] = [];
  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    const value: unknown = logs?.loss;
    this.losses.push(typeof value === 'number' ? value : ((await (value as tf.Tensor).data())[0] as number));
  }
}

async function trainABit(model: LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<void> {
  await model.fit(xs, ys, { epochs: 1, batchSize: 30, shuffle: false, verbose: 0 });
}

/** Checks the result's curve against core's own math (smoothing, stop rule, suggestions). */
function checkCurve(result: FindLearningRateResult, steps: number, smoothing = 0.98, divergence = 5): void {
  expect(result.smoothedLosses).toEqual(result.losses.map(lossSmoother(smoothing)));
  const { suggestions, missing } = suggestLearningRates(result.learningRates, result.smoothedLosses, { steps });
  expect(result).toMatchObject({ suggestions, missingSuggestions: missing, suggestion: suggestions.valley });
  const smoothed = result.smoothedLosses;
  // torch-lr-finder's rule: only the last update may exceed divergence × the best so far.
  smoothed.slice(0, -1).forEach((value, t) => {
    expect(value).toBeLessThanOrEqual(divergence * Math.min(...smoothed.slice(0, t + 1)));
  });
  expect(result.stoppedEarly).toBe(result.losses.length < steps);
}

describe('findLearningRateWithFit', () => {
  it("sweeps core's rates batch by batch on tf.train.sgd, recording model.fit's real batch losses", TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    const model = classifier(tf.train.sgd(0.05));
    const options = { batchSize: 10, shuffle: false, steps: 30, minLearningRate: 1e-3, maxLearningRate: 1 };
    const result = await findLearningRateWithFit(model, xs, ys, options);
    expect(result).toMatchObject({ stopReason: 'completed', stoppedEarly: false });
    const sweep = scheduleFromJSON(sweepSpec(1e-3, 1, 30, 'exponential'));
    expect(result.learningRates).toEqual(Array.from({ length: 30 }, (_, t) => sweep(t)));
    expect(result.learningRates[0]).toBe(1e-3);
    expect(result.learningRates[29]).toBe(1);
    checkCurve(result, 30);
    // The same batches through a plain model.fit, its rate driven by learningRateScheduler: the same losses, bit for bit.
    model.compile({ optimizer: tf.train.sgd(123), loss: 'categoricalCrossentropy' });
    const replay = new BatchLosses();
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 10,
      shuffle: false,
      verbose: 0,
      callbacks: [learningRateScheduler({ schedule: sweep }), replay],
    });
    expect(result.losses).toEqual(replay.losses);
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('sweeps a StepsizeOptimizer through its own learningRate (linear too), with the losses of the same fit', TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    const model = classifier(new StepsizeOptimizer(adamW({ learningRate: 0.01, weightDecay: 0.01 })));
    const result = await findLearningRateWithFit(model, xs, ys, {
      batchSize: 15,
      shuffle: false,
      steps: 20,
      mode: 'linear',
      minLearningRate: 1e-4,
      maxLearningRate: 0.05,
    });
    const spec = sweepSpec(1e-4, 0.05, 20, 'linear');
    const sweep = scheduleFromJSON(spec);
    expect(result.learningRates).toEqual(Array.from({ length: 20 }, (_, t) => sweep(t)));
    expect(result.stopReason).toBe('completed');
    checkCurve(result, 20);
    model.compile({ optimizer: new StepsizeOptimizer(adamW({ learningRate: sweep, weightDecay: 0.01 })), loss: 'categoricalCrossentropy' });
    const replay = new BatchLosses();
    await model.fit(xs, ys, { epochs: 2, batchSize: 15, shuffle: false, verbose: 0, callbacks: [replay] });
    expect(result.losses).toEqual(replay.losses);
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it(
    'stops at divergence, suggests inside the swept range below it, and restores a trained tf.train.adam bit for bit',
    TRAINS,
    async () => {
      const { xs, ys } = tensorsOf(petalWidths());
      const adamOptimizer = tf.train.adam(0.02);
      const model = regressor(adamOptimizer);
      await trainABit(model, xs, ys); // Adam has moments and an iteration count now
      const before = await stateOf(model);
      const tensors = tf.memory().numTensors;
      const result = await findLearningRateWithFit(model, xs, ys, { batchSize: 10 });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(await stateOf(model)).toEqual(before);
      expect(model.optimizer).toBe(adamOptimizer);
      expect(result.stopReason).toBe('diverged');
      expect(result.stoppedEarly).toBe(true);
      checkCurve(result, 100);
      const smoothed = result.smoothedLosses;
      expect(smoothed.at(-1)).toBeGreaterThan(5 * Math.min(...smoothed));
      const suggestion = result.suggestion;
      expect(suggestion).toBeDefined();
      expect(suggestion?.learningRate).toBe(result.learningRates[suggestion?.index as number]);
      expect(suggestion?.learningRate).toBeGreaterThanOrEqual(1e-7);
      expect(suggestion?.learningRate).toBeLessThan(result.learningRates.at(-1) as number);
      // Not shuffled, the same batches: a lower divergence threshold stops sooner on the same curve.
      const same = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, shuffle: false });
      const sooner = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, shuffle: false, divergence: 1.2 });
      expect(sooner.losses.length).toBeLessThan(same.losses.length);
      expect(sooner.losses).toEqual(same.losses.slice(0, sooner.losses.length));
      checkCurve(sooner, 100, 0.98, 1.2);
      expect(await stateOf(model)).toEqual(before);
      model.dispose();
      tf.dispose([xs, ys]);
    },
  );

  it('restores a trained StepsizeOptimizer (state, schedule, rate) and the weights bit for bit, without leaks', TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    const optimizer = new StepsizeOptimizer(adamW({ learningRate: cosineAnnealing({ initialValue: 0.02, steps: 50 }), weightDecay: 0.01 }));
    const model = classifier(optimizer);
    await trainABit(model, xs, ys);
    const before = await stateOf(model);
    expect((before as { rate: { learningRate: number } }).rate.learningRate).toBe(cosineAnnealing({ initialValue: 0.02, steps: 50 })(5));
    const tensors = tf.memory().numTensors;
    const result = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, steps: 60 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await stateOf(model)).toEqual(before);
    expect(model.optimizer).toBe(optimizer);
    expect(result.losses.length).toBeGreaterThan(10);
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('restores everything when an error is thrown in the middle of fit, adding no leak to what tfjs leaks itself', TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    let calls = 0;
    let failAt = Infinity;
    const failing: Loss = (yTrue, yPred) => {
      calls += 1;
      if (calls === failAt) throw new Error('the device was lost');
      return crossEntropy(yTrue, yPred);
    };
    for (const optimizer of [tf.train.adam(0.01), new StepsizeOptimizer(adam({ learningRate: 0.01 }))]) {
      const model = classifier(optimizer, failing);
      await trainABit(model, xs, ys);
      // What tfjs alone leaks when the loss throws at the 6th batch of a fit (18 tensors with tfjs 4.22 on cpu).
      calls = 0;
      failAt = 6;
      const plainBefore = tf.memory().numTensors;
      await expect(model.fit(xs, ys, { epochs: 1, batchSize: 10, shuffle: false, verbose: 0 })).rejects.toThrow('the device was lost');
      const tfjsLeak = tf.memory().numTensors - plainBefore;
      // The fit above trained 5 batches: take the state from here.
      const before = await stateOf(model);
      calls = 0;
      const tensors = tf.memory().numTensors;
      await expect(findLearningRateWithFit(model, xs, ys, { batchSize: 10, shuffle: false })).rejects.toThrow('the device was lost');
      expect(tf.memory().numTensors - tensors).toBe(tfjsLeak);
      expect(await stateOf(model)).toEqual(before);
      expect(model.optimizer).toBe(optimizer);
      // The model trains again.
      failAt = Infinity;
      await trainABit(model, xs, ys);
      model.dispose();
    }
    tf.dispose([xs, ys]);
  });

  it('refuses every bad option with a StepsizeError naming it and the value, before anything changes', TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    const optimizer = tf.train.adam(0.01);
    const model = classifier(optimizer);
    await trainABit(model, xs, ys);
    const before = await stateOf(model);
    const tensors = tf.memory().numTensors;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ batchSize: 0 }, /^findLearningRateWithFit options\.batchSize must be an integer >= 1, got 0$/],
      [{ batchSize: 2.5 }, /^findLearningRateWithFit options\.batchSize must be an integer >= 1, got 2\.5$/],
      [{ batchSize: '16' }, /^findLearningRateWithFit options\.batchSize must be an integer >= 1, got "16"$/],
      [{ shuffle: 'yes' }, /^findLearningRateWithFit options\.shuffle must be a boolean, got "yes"$/],
      [{ minLearningRate: 0 }, /^findLearningRateWithFit options\.minLearningRate must be a finite number > 0, got 0$/],
      [{ minLearningRate: Infinity }, /^findLearningRateWithFit options\.minLearningRate must be a finite number > 0, got Infinity$/],
      [
        { minLearningRate: 0.1, maxLearningRate: 0.01 },
        /^findLearningRateWithFit options\.maxLearningRate must be a finite number > minLearningRate \(0\.1\), got 0\.01$/,
      ],
      [{ steps: 1 }, /^findLearningRateWithFit options\.steps must be an integer >= 2, got 1$/],
      [{ steps: 10.5 }, /^findLearningRateWithFit options\.steps must be an integer >= 2, got 10\.5$/],
      [{ mode: 'exp' }, /^findLearningRateWithFit options\.mode must be 'exponential' or 'linear', got "exp"$/],
      [{ smoothing: 1 }, /^findLearningRateWithFit options\.smoothing must be a number in \[0, 1\), got 1$/],
      [{ divergence: 1 }, /^findLearningRateWithFit options\.divergence must be a number > 1, got 1$/],
      [{ divergence: Number.NaN }, /^findLearningRateWithFit options\.divergence must be a number > 1, got NaN$/],
      [{ signal: 'stop' }, /^findLearningRateWithFit options\.signal must be an AbortSignal, got "stop"$/],
    ];
    const refused = async (run: () => Promise<unknown>, message: RegExp, label: string): Promise<void> => {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, label).toBeInstanceOf(StepsizeError);
      expect((error as Error).message, label).toMatch(message);
    };
    for (const [options, message] of cases) {
      await refused(() => findLearningRateWithFit(model, xs, ys, options as never), message, JSON.stringify(options));
    }
    await refused(
      () => findLearningRateWithFit(model, xs, ys, 'fast' as never),
      /^findLearningRateWithFit options must be an options object \(or left out\)/,
      'options',
    );
    const other = tf.zeros([10, 3]);
    await refused(() => findLearningRateWithFit(model, xs, other), /^findLearningRateWithFit x, y must hold the same number/, 'y');
    await refused(() => findLearningRateWithFit(model, [] as never, ys), /^findLearningRateWithFit x must be a tf\.Tensor/, 'x');
    await refused(() => findLearningRateWithFit({} as never, xs, ys), /^findLearningRateWithFit model must be a tf\.LayersModel/, 'model');
    expect(tf.memory().numTensors).toBe(tensors + 1);
    other.dispose();
    expect(await stateOf(model)).toEqual(before);
    expect(model.optimizer).toBe(optimizer);

    // Models the test cannot run: uncompiled; a tf.Optimizer it cannot copy; a group with its own rate.
    const uncompiled = sequential({ layers: [layers.dense({ units: 3, inputShape: [4] })] });
    await refused(() => findLearningRateWithFit(uncompiled, xs, ys), /^findLearningRateWithFit model must be compiled/, 'uncompiled');
    uncompiled.dispose();
    class CustomSgd extends tf.SGDOptimizer {}
    const custom = classifier(new CustomSgd(0.1));
    await refused(
      () => findLearningRateWithFit(custom, xs, ys),
      /^findLearningRateWithFit model\.optimizer is a SGD, which the test cannot copy/,
      'custom optimizer',
    );
    custom.dispose();
    const grouped = classifier(
      new StepsizeOptimizer(stepsizeSgd({ learningRate: 0.1, groups: [{ params: ['*bias'], learningRate: 0.01 }] })),
    );
    await refused(
      () => findLearningRateWithFit(grouped, xs, ys),
      /^findLearningRateWithFit model\.optimizer\.groups\[0\]\.learningRate cannot be swept: give the group a learningRateScale instead, got 0\.01$/,
      'group',
    );
    grouped.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });

  for (const accumulationSteps of [1, 2]) {
    it(
      `gives core's findLearningRate over tfjsTrainingBackend exactly, on the same batches (accumulationSteps ${accumulationSteps})`,
      TRAINS,
      async () => {
        const data = petalWidths();
        const batchSize = 10;
        const optimizer = adam({ learningRate: 0.01, beta1: 0.8, accumulationSteps });
        const model = regressor(new StepsizeOptimizer(optimizer));
        const backend = await tfjsTrainingBackend({ model });
        const core = await findLearningRate({ backend, data, batchSize, optimizer, seed: 3 });
        backend.dispose();
        // model.fit on train()'s batches in train()'s order (its seeded shuffles), not shuffled again.
        const sampler = new BatchSampler({ data, batchSize, seed: 3 });
        const batches = Array.from({ length: 100 * accumulationSteps }, (_, i) => {
          const batch = sampler.batch(i);
          return { inputs: Float32Array.from(batch.inputs), targets: Float32Array.from(batch.targets) };
        });
        const examples = batches.length * batchSize;
        const xs = tf.tensor2d(Float32Array.from(batches.flatMap((b) => Array.from(b.inputs))), [examples, 3]);
        const ys = tf.tensor2d(Float32Array.from(batches.flatMap((b) => Array.from(b.targets))), [examples, 1]);
        const fit = await findLearningRateWithFit(model, xs, ys, { batchSize, shuffle: false });
        expect(fit).toEqual(core);
        expect(core.stopReason).toBe('diverged');
        model.dispose();
        tf.dispose([xs, ys]);
      },
    );
  }

  it("ends as 'notFinite' on a gradient refused under nonFinite: 'throw', without an error through fit", TRAINS, async () => {
    const data = irisData();
    const inputs = Float32Array.from(data.inputs);
    inputs[35 * 4] = Number.NaN; // example 35: the 4th batch of 10
    const { xs, ys } = tensorsOf({ ...data, inputs });
    const model = classifier(new StepsizeOptimizer(adam({ learningRate: 0.01 })));
    const before = await stateOf(model);
    const tensors = tf.memory().numTensors;
    const result = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, shuffle: false });
    expect(result).toMatchObject({ stopReason: 'notFinite', stoppedEarly: true });
    expect(result.losses).toHaveLength(3);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await stateOf(model)).toEqual(before);
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it("leaves out batches skipped under nonFinite: 'skip' as train() does, and throws after an epoch of them in a row", TRAINS, async () => {
    const data = irisData();
    const inputs = Float32Array.from(data.inputs);
    inputs[35 * 4] = Number.NaN; // example 35: the 4th batch of 10 of every epoch
    const { xs, ys } = tensorsOf({ ...data, inputs });
    const model = classifier(new StepsizeOptimizer(adam({ learningRate: 0.01, nonFinite: 'skip' })));
    const before = await stateOf(model);
    const tensors = tf.memory().numTensors;
    const result = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, shuffle: false, steps: 20, maxLearningRate: 0.01 });
    expect(result).toMatchObject({ stopReason: 'completed', stoppedEarly: false });
    expect(result.losses).toHaveLength(20);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    // 21 batches ran: the sweep's rate moved on only with the 20 updates.
    const sweep = scheduleFromJSON(sweepSpec(1e-7, 0.01, 20, 'exponential'));
    expect(result.learningRates).toEqual(Array.from({ length: 20 }, (_, t) => sweep(t)));
    const broken = tf.fill([150, 4], Number.NaN);
    await expect(findLearningRateWithFit(model, broken, ys, { batchSize: 10 })).rejects.toThrow(
      /^findLearningRateWithFit skipped 15 batches in a row \(non-finite gradients under nonFinite: 'skip'\)/,
    );
    broken.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await stateOf(model)).toEqual(before);
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('stops after the batch during which the signal aborted, and runs nothing when it already had', TRAINS, async () => {
    const { xs, ys } = tensorsOf(irisData());
    const controller = new AbortController();
    let calls = 0;
    const aborting: Loss = (yTrue, yPred) => {
      calls += 1;
      if (calls === 5) controller.abort();
      return crossEntropy(yTrue, yPred);
    };
    const model = classifier('adam', aborting);
    const before = await stateOf(model);
    const aborted = await findLearningRateWithFit(model, xs, ys, { batchSize: 10, signal: controller.signal });
    expect(aborted).toMatchObject({ stopReason: 'aborted', stoppedEarly: true });
    expect(aborted.losses).toHaveLength(5);
    const none = await findLearningRateWithFit(model, xs, ys, { signal: controller.signal });
    expect(none).toMatchObject({ stopReason: 'aborted', losses: [], suggestion: undefined });
    expect(calls).toBe(5);
    expect(await stateOf(model)).toEqual(before);
    // compile('adam') made the optimizer: the model still owns it (model.dispose frees it).
    expect((model as unknown as { model: { isOptimizerOwned: boolean } }).model.isOptimizerOwned).toBe(true);
    model.dispose();
    tf.dispose([xs, ys]);
  });
});
