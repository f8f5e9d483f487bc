import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { adadelta, adagrad, adam, adamax, adamW, lamb, lion, nadam, radam, rmsprop, rprop, sgd } from '../optimizers/builtin/index.js';
import { reduceOnPlateau } from '../schedules/metric-driven.js';
import { checkCheckpointFinite, readCheckpoint, type Checkpoint } from './checkpoint.js';
import { BatchSampler, type Dataset } from './data.js';
import { linearBackend } from './test-support/linear-backend.js';
import { train } from './train.js';

/** y = 2 x0 - x1 + 0.5 (+ a little structure), 40 examples. */
function line(examples = 40): Dataset {
  const inputs = Float32Array.from({ length: examples * 2 }, (_, i) => Math.sin(i * 1.3));
  const targets = Float32Array.from({ length: examples }, (_, e) => 2 * (inputs[2 * e] as number) - (inputs[2 * e + 1] as number) + 0.5);
  return { inputs, targets, examples };
}

describe('train (the one loop)', () => {
  it('draws a new batch for every micro-step and records one update per accumulation cycle', async () => {
    const backend = linearBackend(2);
    const result = await train({
      backend,
      optimizer: sgd({ learningRate: 0.1, accumulationSteps: 4 }),
      data: line(),
      batchSize: 5,
      steps: 6,
    });
    expect(result.history.map((r) => r.batches)).toEqual([4, 8, 12, 16, 20, 24]);
    expect(result.history.map((r) => r.epoch)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(backend.calls.backward).toBe(24);
    expect(result).toMatchObject({ step: 6, batches: 24, skipped: 0, stopReason: 'completed' });
    // The recorded loss is the mean of the cycle's four micro-batch losses.
    const sampler = new BatchSampler({ data: line(), batchSize: 5, seed: 0 });
    const fresh = linearBackend(2);
    const losses = [0, 1, 2, 3].map((k) => fresh.lossAndGradients(sampler.batch(k)) as { loss: number });
    expect(result.history[0]?.loss).toBeCloseTo(losses.reduce((s, l) => s + l.loss, 0) / 4, 12);
  });

  it("moves on after a non-finite batch (nonFinite: 'skip'), counts it, and stops with an error after too many in a row", async () => {
    const data = line();
    data.inputs[2 * 13] = Number.NaN;
    const result = await train({
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.1, nonFinite: 'skip' }),
      data,
      batchSize: 5,
      epochs: 3,
    });
    // One batch per epoch holds example 13: three skipped, 21 updates over 24 batches.
    expect(result).toMatchObject({ batches: 24, skipped: 3, step: 21 });
    expect(result.history.at(-1)?.skipped).toBe(3);
    const all = { ...data, inputs: data.inputs.map(() => Number.NaN) };
    await expect(
      train({ backend: linearBackend(2), optimizer: sgd({ learningRate: 0.1, nonFinite: 'skip' }), data: all, batchSize: 5, steps: 3 }),
    ).rejects.toThrow(/train skipped 8 batches in a row \(non-finite gradients; the last at batch 7, update 0\)/);
    await expect(
      train({ backend: linearBackend(2), optimizer: sgd({ learningRate: 0.1 }), data, batchSize: 40, steps: 1 }),
    ).rejects.toThrow(/gradients\.w\[0\] is not finite/);
  });

  it('evaluates every evaluateEvery updates and at the end; only the regular evaluations feed the plateau', async () => {
    const backend = linearBackend(2);
    const plateau = reduceOnPlateau({ initialValue: 0.05, patience: 0, factor: 0.5, threshold: 10 });
    const result = await train({
      backend,
      optimizer: sgd({ learningRate: plateau }),
      data: line(),
      validation: line(10),
      batchSize: 5,
      steps: 7,
      evaluateEvery: 3,
    });
    expect(result.evaluations.map((e) => [e.step, e.final])).toEqual([
      [3, false],
      [6, false],
      [7, true],
    ]);
    // threshold 10: no evaluation is an improvement after the first, so the rate halves at the second only.
    expect(result.history.map((r) => r.learningRate)).toEqual([0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025]);
    expect((result.optimizer.toJSON().learningRate as { state: { value: number } }).state.value).toBe(0.025);
  });

  it('stops early on the monitored metric, and stops when its signal is aborted', async () => {
    const increasing = await train({
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 2.5 }), // diverges: the training loss grows
      data: line(),
      batchSize: 5,
      steps: 100,
      evaluateEvery: 2,
      earlyStopping: { monitor: 'trainingLoss', patience: 3 },
    });
    expect(increasing.stopReason).toBe('earlyStopping');
    expect(increasing.step).toBe(2 * 4);
    expect(increasing.best?.step).toBe(2);
    const controller = new AbortController();
    const aborted = await train({
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.1 }),
      data: line(),
      batchSize: 5,
      steps: 100,
      signal: controller.signal,
      onStep: (record) => record.step === 9 && controller.abort(),
    });
    expect(aborted).toMatchObject({ stopReason: 'aborted', step: 10 });
  });

  it('resumes exactly, also in the middle of an accumulation cycle, with the training-loss plateau state', async () => {
    const optimizer = () =>
      adam({ learningRate: reduceOnPlateau({ initialValue: 0.05, patience: 1, factor: 0.5, threshold: 0.3 }), accumulationSteps: 3 });
    const common = { data: line(), batchSize: 4, evaluateEvery: 2, plateauMetric: 'training' as const };
    const full = linearBackend(2);
    const uninterrupted = await train({ ...common, backend: full, optimizer: optimizer(), epochs: 6 });
    // Stop after 2 epochs: 20 batches, 6 updates and 2 micro-batches of the 7th.
    const first = await train({ ...common, backend: linearBackend(2), optimizer: optimizer(), epochs: 2 });
    const saved = await first.checkpoint();
    expect(saved.optimizerState.microStep).toBe(2);
    expect(saved.loop.cycle?.batches).toBe(2);
    const resumedBackend = linearBackend(2, 7);
    const resumed = await train({ ...common, backend: resumedBackend, epochs: 6, resumeFrom: JSON.stringify(saved) });
    expect(resumed.history).toEqual(
      uninterrupted.history.slice(first.history.length).map((r, i) => ({ ...r, time: resumed.history[i]?.time })),
    );
    expect(await resumedBackend.readParameters()).toEqual(await full.readParameters());
  });

  it('reads its checkpoints back and migrates the 0.1 per-backend format, with errors naming the path', async () => {
    let saved: Checkpoint | undefined;
    await train({
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.1 }),
      data: line(),
      batchSize: 5,
      steps: 4,
      checkpoint: {
        every: 2,
        save: (c) => {
          saved = c;
        },
      },
    });
    const checkpoint = saved as Checkpoint;
    expect(readCheckpoint(JSON.parse(JSON.stringify(checkpoint)))).toEqual(checkpoint);
    expect(checkpoint).toMatchObject({
      format: 'stepsize-checkpoint/1',
      step: 4,
      batches: 4,
      backend: 'linear (test)',
      params: { b: { shape: [1] } },
    });
    const legacy = {
      format: 'stepsize-engine-checkpoint/1',
      step: 4,
      seed: 0,
      batchSize: 5,
      params: { w: checkpoint.params.w?.values, b: checkpoint.params.b?.values },
      optimizer: checkpoint.optimizer,
      optimizerState: checkpoint.optimizerState,
    };
    const migrated = readCheckpoint(legacy);
    expect(migrated).toMatchObject({ format: 'stepsize-checkpoint/1', batches: 4, loop: { lossSum: 0, lossCount: 0 } });
    const resumed = await train({ backend: linearBackend(2), data: line(), batchSize: 5, steps: 6, resumeFrom: migrated });
    expect(resumed.history.map((r) => r.step)).toEqual([4, 5]);
    expect(() => readCheckpoint({ ...checkpoint, params: { ...checkpoint.params, w: { shape: [3], values: [1, 2] } } })).toThrow(
      /checkpoint\.params\.w\.values must hold 3 values for shape \[3\]/,
    );
    expect(() => readCheckpoint({ ...checkpoint, format: 'other' })).toThrow(/checkpoint\.format must be "stepsize-checkpoint\/1"/);
    const wide = { inputs: new Float32Array(40 * 3), targets: new Float32Array(40), examples: 40 };
    await expect(train({ backend: linearBackend(3), data: wide, batchSize: 5, steps: 6, resumeFrom: checkpoint })).rejects.toThrow(
      /checkpoint\.params do not fit the linear \(test\) model: w has shape \[2\], the model \[3\]/,
    );
  });

  it('refuses a bad checkpoint before touching anything: parameters and optimizer state stay as they were', async () => {
    const backend = linearBackend(2);
    // 8 batches, accumulation over 3: 2 updates and an open cycle of 2 micro-batches (accumulators live).
    const first = await train({
      backend,
      optimizer: adam({ learningRate: 0.1, accumulationSteps: 3 }),
      data: line(),
      batchSize: 5,
      epochs: 1,
    });
    const saved = JSON.parse(JSON.stringify(await first.checkpoint()));
    expect(saved.optimizerState).toMatchObject({ step: 2, microStep: 2 });
    const snapshot = async () => JSON.stringify({ params: await backend.readParameters(), state: await backend.readOptimizerState() });
    const before = await snapshot();
    const cases: [string, unknown, (c: typeof saved) => void][] = [
      ...[null, true, '1e3', [5], 1e39, 'x'].map((bad): [string, unknown, (c: typeof saved) => void] => [
        'checkpoint.params.w.values[1]',
        bad,
        (c) => (c.params.w.values[1] = bad),
      ]),
      ['checkpoint.params', undefined, (c) => delete c.params],
      ['checkpoint.optimizerState.params.w.expAvg[0]', 1e39, (c) => (c.optimizerState.params.w.expAvg[0] = 1e39)],
      ['checkpoint.optimizerState.params.w.expAvgSq[0]', -1, (c) => (c.optimizerState.params.w.expAvgSq[0] = -1)],
      ['checkpoint.optimizerState.params.b.expAvgSq', undefined, (c) => delete c.optimizerState.params.b.expAvgSq],
      ['checkpoint.optimizerState.accumulated.w', 1, (c) => (c.optimizerState.accumulated.w = [0.5])],
      ['checkpoint.optimizerState.step', 3, (c) => (c.optimizerState.step = 3)],
      ['checkpoint.optimizerState.microStep', 3.5, (c) => (c.optimizerState.microStep = 3.5)],
      ['checkpoint.optimizerState.microStep', 3, (c) => (c.optimizerState.microStep = 3)],
      ['checkpoint.loop.cycle.batches', 1, (c) => (c.loop.cycle.batches = 1)],
      ['checkpoint.loop.consecutiveSkips', 1, (c) => (c.loop.consecutiveSkips = 1)],
      ['checkpoint.batches', 1, (c) => (c.batches = 1)],
      ['checkpoint.optimizer.learningRate', -1, (c) => (c.optimizer.learningRate = -1)],
    ];
    for (const [path, value, change] of cases) {
      const bad = structuredClone(saved);
      change(bad);
      const error = await train({ backend, data: line(), batchSize: 5, epochs: 3, resumeFrom: bad }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, path).toBeInstanceOf(StepsizeError);
      expect((error as StepsizeError).path, (error as Error).message).toBe(path);
      expect((error as StepsizeError).value, path).toEqual(value);
      expect(await snapshot(), path).toBe(before);
    }
    // The checkpoint itself resumes.
    await expect(train({ backend, data: line(), batchSize: 5, epochs: 3, resumeFrom: saved })).resolves.toMatchObject({ batches: 24 });
  });

  it('resumeFrom: null is an error naming resumeFrom', async () => {
    const error = await train({ backend: linearBackend(2), data: line(), batchSize: 5, steps: 2, resumeFrom: null as never }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StepsizeError);
    expect((error as StepsizeError).path).toBe('train options.resumeFrom');
    expect((error as Error).message).toMatch(/train options\.resumeFrom must be a checkpoint .*got null/);
  });

  it('refuses early-stopping best parameters that do not fit the parameters', async () => {
    const run = await train({
      backend: linearBackend(2),
      optimizer: sgd({ learningRate: 0.1 }),
      data: line(),
      validation: line(10),
      batchSize: 5,
      steps: 4,
      evaluateEvery: 2,
      earlyStopping: { monitor: 'validationLoss', patience: 5, restoreBest: true },
    });
    const saved = JSON.parse(JSON.stringify(await run.checkpoint()));
    expect(Object.keys(saved.loop.earlyStopping.bestParams)).toEqual(['w', 'b']);
    expect(() => readCheckpoint(saved)).not.toThrow();
    saved.loop.earlyStopping.bestParams.w = [1];
    expect(() => readCheckpoint(saved)).toThrow(
      /^checkpoint\.loop\.earlyStopping\.bestParams\.w must hold 2 values like the parameter, got 1$/,
    );
    saved.loop.earlyStopping.bestParams.w = [1, 1e39];
    expect(() => readCheckpoint(saved)).toThrow(/^checkpoint\.loop\.earlyStopping\.bestParams\.w\[1\] must be a finite float32 number/);
    delete saved.loop.earlyStopping.bestParams.w;
    expect(() => readCheckpoint(saved)).toThrow(
      /^checkpoint\.loop\.earlyStopping\.bestParams must be an object of arrays by parameter name \(w, b\)/,
    );
  });

  it('never writes a diverged run: the checkpoint writer throws naming the first non-finite value', async () => {
    // An infinite input in the fourth batch (batch 3): updates 1 to 3 are finite, the fourth makes the parameters NaN.
    const example = Array.from({ length: 40 }, (_, e) => e).find((e) => {
      const data = line();
      data.inputs[2 * e + 1] = Number.POSITIVE_INFINITY;
      const again = new BatchSampler({ data, batchSize: 5, seed: 0 });
      return [0, 1, 2, 3].map((k) => again.batch(k).inputs.some((v) => !Number.isFinite(v))).join() === 'false,false,false,true';
    }) as number;
    const data = line();
    data.inputs[2 * example + 1] = Number.POSITIVE_INFINITY;
    const saves: Checkpoint[] = [];
    const options = {
      optimizer: adam({ learningRate: 0.1, nonFinite: 'propagate' }),
      data,
      batchSize: 5,
      steps: 6,
      checkpoint: { every: 1, save: (c: Checkpoint) => void saves.push(c) },
    };
    const error = await train({ ...options, backend: linearBackend(2) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StepsizeError);
    expect((error as StepsizeError).path).toBe('checkpoint.params.w.values[0]');
    expect((error as StepsizeError).value).toBeNaN();
    expect((error as Error).message).toMatch(/is NaN: the run diverged by update 4; no checkpoint is written/);
    // The updates before the bad batch were saved, all finite.
    expect(saves.map((c) => c.step)).toEqual([1, 2, 3]);
    // The end-of-run checkpoint of a diverged run is refused too.
    const diverged = await train({ ...options, checkpoint: undefined, backend: linearBackend(2) });
    await expect(diverged.checkpoint()).rejects.toThrow(/^checkpoint\.params\.w\.values\[0\] is NaN: the run diverged by update 6/);
    // The optimizer state is checked as well, slot by slot.
    const finite = saves[2] as Checkpoint;
    expect(() => checkCheckpointFinite(finite)).not.toThrow();
    const params = structuredClone(finite.optimizerState.params) as Record<string, Record<string, number[]>>;
    (params.b as Record<string, number[]>).expAvgSq = [Number.NEGATIVE_INFINITY];
    expect(() => checkCheckpointFinite({ ...finite, optimizerState: { ...finite.optimizerState, params } })).toThrow(
      /^checkpoint\.optimizerState\.params\.b\.expAvgSq\[0\] is -Infinity: the run diverged by update 3/,
    );
  });

  it("accepts every built-in optimizer's own checkpoints, with skipped batches and open accumulation cycles", async () => {
    const data = line();
    data.inputs[2 * 21] = Number.NaN;
    const optimizers = [
      sgd({ learningRate: 0.05, momentum: 0.9, nonFinite: 'skip' }),
      adam({ learningRate: 0.05, amsgrad: true, nonFinite: 'skip', accumulationSteps: 3, emaDecay: 0.9 }),
      adamW({ learningRate: 0.05, nonFinite: 'skip' }),
      adamax({ nonFinite: 'skip' }),
      nadam({ nonFinite: 'skip' }),
      radam({ nonFinite: 'skip' }),
      adagrad({ initialAccumulatorValue: 0.1, nonFinite: 'skip' }),
      adadelta({ nonFinite: 'skip' }),
      rmsprop({ momentum: 0.5, centered: true, nonFinite: 'skip' }),
      rprop({ nonFinite: 'skip' }),
      lion({ learningRate: 0.01, nonFinite: 'skip' }),
      lamb({ nonFinite: 'skip' }),
    ];
    for (const optimizer of optimizers) {
      const run = await train({ backend: linearBackend(2), optimizer, data, batchSize: 5, epochs: 2 });
      const saved = JSON.parse(JSON.stringify(await run.checkpoint()));
      expect(saved.optimizerState.skipped, optimizer.definition.type).toBe(2);
      expect(() => readCheckpoint(saved), optimizer.definition.type).not.toThrow();
      await expect(train({ backend: linearBackend(2), data, batchSize: 5, epochs: 3, resumeFrom: saved })).resolves.toMatchObject({
        batches: 24,
      });
    }
  });
});
