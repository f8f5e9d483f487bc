/**
 * Schedule-free optimizers through train(): gradients at y, evaluation at
 * x = (y - (1 - b1) z) / b1 (Defazio et al. 2024; optax schedule_free_eval_params).
 */
import { describe, expect, it } from 'vitest';
import { adamW, scheduleFreeAdamW, scheduleFreeSgd } from '../optimizers/builtin/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { linear } from '../schedules/linear.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Dataset } from './data.js';
import { linearBackend } from './test-support/linear-backend.js';
import { train } from './train.js';

function line(examples = 40): Dataset {
  const inputs = Float32Array.from({ length: examples * 2 }, (_, i) => Math.sin(i * 1.3));
  const targets = Float32Array.from({ length: examples }, (_, e) => 2 * (inputs[2 * e] as number) - (inputs[2 * e + 1] as number) + 0.5);
  return { inputs, targets, examples };
}

const adamWFree = (): Optimizer =>
  scheduleFreeAdamW({ learningRate: linear({ initialValue: 0, endValue: 0.05, steps: 3 }), weightDecay: 0.01 });

/** x by hand from a checkpoint: (y - (1 - b1) z) / b1 in float32, b1 = 0.9. */
function evaluationPointOf(checkpoint: Checkpoint): Record<string, number[]> {
  const b1 = Math.fround(0.9);
  const oneMinus = Math.fround(1 - 0.9);
  return Object.fromEntries(
    Object.entries(checkpoint.params).map(([name, p]) => {
      const z = checkpoint.optimizerState.params[name]?.z as readonly number[];
      return [name, p.values.map((y, i) => Math.fround(Math.fround(y - Math.fround((z[i] as number) * oneMinus)) / b1))];
    }),
  );
}

describe('schedule-free in train()', () => {
  for (const [name, make] of [
    ['scheduleFreeAdamW', adamWFree],
    ['scheduleFreeSgd', () => scheduleFreeSgd({ learningRate: 0.2 })],
  ] as const) {
    it(`${name}: ends at x, checkpoints y with x beside it, and evaluates at x`, async () => {
      const data = line();
      const backend = linearBackend(2);
      const result = await train({ backend, optimizer: make(), data, validation: data, batchSize: 8, steps: 10, evaluateEvery: 5 });
      const checkpoint = await result.checkpoint();
      const x = evaluationPointOf(checkpoint);
      expect(checkpoint.evaluationParams).toEqual(x);
      // y and x differ (else nothing here would be tested).
      expect(x.w).not.toEqual(checkpoint.params.w?.values);
      // The backend holds x at the end: evaluate, predict and save see it.
      const held = await backend.readParameters();
      expect(Object.fromEntries(Object.entries(held).map(([key, values]) => [key, Array.from(values)]))).toEqual(x);
      // The final evaluation is at x.
      expect(result.evaluations.at(-1)?.loss).toBe((await backend.evaluate(data)).loss);
      // The checkpoint reads back, and resumes from y (not x).
      expect(readCheckpoint(JSON.stringify(checkpoint)).evaluationParams).toEqual(x);
    });
  }

  it('a regular evaluation swaps x in and y back exactly: training goes on as if nothing was evaluated', async () => {
    const data = line();
    const run = async (evaluateEvery: number) => {
      const backend = linearBackend(2);
      const result = await train({ backend, optimizer: adamWFree(), data, validation: data, batchSize: 8, steps: 12, evaluateEvery });
      return { result, checkpoint: await result.checkpoint() };
    };
    const evaluated = await run(4);
    const quiet = await run(100);
    expect(evaluated.checkpoint.params).toEqual(quiet.checkpoint.params);
    expect(evaluated.result.history.map((r) => r.loss)).toEqual(quiet.result.history.map((r) => r.loss));
    // The evaluation at update 4 is the loss at x after 4 updates: a 4-update run ends there.
    const short = linearBackend(2);
    await train({ backend: short, optimizer: adamWFree(), data, batchSize: 8, steps: 4 });
    expect(evaluated.result.evaluations[0]).toMatchObject({ step: 4, loss: (await short.evaluate(data)).loss });
  });

  it('resumes exactly from a checkpoint written mid-run (y and z), and restoreBest restores an evaluated x', async () => {
    const data = line();
    const saved: Checkpoint[] = [];
    const whole = linearBackend(2);
    const full = await train({
      backend: whole,
      optimizer: adamWFree(),
      data,
      batchSize: 8,
      steps: 10,
      checkpoint: { every: 5, save: (checkpoint) => void saved.push(checkpoint) },
    });
    const resumed = linearBackend(2);
    const rest = await train({
      backend: resumed,
      optimizer: adamWFree(),
      data,
      batchSize: 8,
      steps: 10,
      resumeFrom: JSON.stringify(saved[0]),
    });
    expect((await rest.checkpoint()).params).toEqual((await full.checkpoint()).params);
    expect(await resumed.readParameters()).toEqual(await whole.readParameters());

    const best = linearBackend(2);
    const stopped = await train({
      backend: best,
      optimizer: adamWFree(),
      data,
      validation: data,
      batchSize: 8,
      steps: 30,
      evaluateEvery: 2,
      earlyStopping: { monitor: 'validationLoss', patience: 100, restoreBest: true },
    });
    const bestStep = stopped.best?.step as number;
    const atBest = linearBackend(2);
    await train({ backend: atBest, optimizer: adamWFree(), data, batchSize: 8, steps: bestStep });
    expect(await best.readParameters()).toEqual(await atBest.readParameters());
  });

  it('leaves other optimizers at their parameters, with no evaluationParams in checkpoints', async () => {
    const backend = linearBackend(2);
    const result = await train({ backend, optimizer: adamW({ learningRate: 0.05 }), data: line(), batchSize: 8, steps: 4 });
    const checkpoint = await result.checkpoint();
    expect(checkpoint.evaluationParams).toBeUndefined();
    expect(Array.from((await backend.readParameters()).w ?? [])).toEqual(checkpoint.params.w?.values);
  });

  it('refuses checkpoint evaluation parameters that do not fit, naming the path', async () => {
    const backend = linearBackend(2);
    const result = await train({ backend, optimizer: adamWFree(), data: line(), batchSize: 8, steps: 3 });
    const json = JSON.parse(JSON.stringify(await result.checkpoint()));
    expect(() => readCheckpoint({ ...json, evaluationParams: { w: json.evaluationParams.w } })).toThrow(
      /^checkpoint\.evaluationParams\.b is missing: every parameter needs its evaluation values/,
    );
    expect(() => readCheckpoint({ ...json, evaluationParams: { ...json.evaluationParams, b: [1, 2] } })).toThrow(
      /^checkpoint\.evaluationParams\.b must hold 1 values like the parameter/,
    );
    expect(() => readCheckpoint({ ...json, evaluationParams: { ...json.evaluationParams, c: [1] } })).toThrow(
      /^checkpoint\.evaluationParams\.c is not a parameter of the checkpoint/,
    );
    expect(() => readCheckpoint({ ...json, evaluationParams: [1] })).toThrow(/^checkpoint\.evaluationParams must be an object/);
  });
});
