import { describe, expect, it } from 'vitest';
import { cosineAnnealing } from '../schedules/cosine.js';
import { warmup } from '../schedules/compose.js';
import { exponential } from '../schedules/exponential.js';
import { adadelta, adagrad, adam, adamax, adamW, lamb, lion, nadam, radam, rmsprop, rprop, sgd } from './builtin/index.js';
import type { Optimizer } from './optimizer.js';
import type { Ops } from './ops.js';
import { OptimizerRunner } from './runner.js';
import { mapState, type OptimizerState } from './state.js';
import { compileOptimizer } from './step.js';
import { arrayOps } from './test-support/array-ops.js';

const schedule = () => warmup({ steps: 3, schedule: cosineAnnealing({ initialValue: 0.05, steps: 20 }) });

/** Every built-in optimizer with scheduled hyperparameters and its structural options switched on. */
const optimizers: Record<string, () => Optimizer> = {
  sgd: () =>
    sgd({ learningRate: schedule(), momentum: exponential({ initialValue: 0.9, gamma: 0.99 }), weightDecay: 0.01, nesterov: true }),
  sgdDampened: () => sgd({ learningRate: schedule(), momentum: 0.9, dampening: 0.1 }),
  adam: () => adam({ learningRate: schedule(), amsgrad: true, weightDecay: 0.01, maximize: true }),
  adamW: () => adamW({ learningRate: schedule(), beta1: exponential({ initialValue: 0.9, gamma: 0.999 }) }),
  adamax: () => adamax({ learningRate: schedule(), weightDecay: 0.01 }),
  nadam: () => nadam({ learningRate: schedule(), weightDecay: 0.01 }),
  radam: () => radam({ learningRate: schedule() }),
  adagrad: () => adagrad({ learningRate: schedule(), learningRateDecay: 0.01 }),
  adadelta: () => adadelta({ learningRate: schedule() }),
  rmsprop: () => rmsprop({ learningRate: schedule(), centered: true, momentum: 0.5 }),
  rprop: () => rprop({ learningRate: schedule() }),
  lion: () => lion({ learningRate: schedule(), weightDecay: 0.1 }),
  lamb: () => lamb({ learningRate: schedule(), weightDecay: 0.01 }),
  everything: () =>
    adamW({
      learningRate: schedule(),
      accumulationSteps: 3,
      clipGradientNorm: 1,
      clipGradientValue: 0.5,
      emaDecay: 0.9,
      decoupledWeightDecay: 0.01,
      decoupledWeightDecayExclude: ['b'],
      groups: [{ params: ['b'], learningRateScale: 0.5 }],
    }),
};

const params = () => ({ w: [0.5, -0.25, 0.125], b: [0.1] });
const gradients = (step: number) => ({ w: [Math.sin(step), Math.cos(step), 0.5 - step / 10], b: [Math.sin(step * 3)] });

/** Ops that record the operations they are asked for (and the constants), over the reference arrays. */
function recordingOps(log: string[]): Ops<number[]> {
  const ops: Record<string, unknown> = { ...arrayOps };
  for (const [key, value] of Object.entries(arrayOps)) {
    // Storage (assign, persist) and host reads are not operations of a traced graph.
    if (typeof value !== 'function' || ['size', 'firstNonFinite', 'assign', 'persist'].includes(key)) continue;
    ops[key] = (...args: unknown[]) => {
      log.push(key === 'scalar' ? `scalar(${String(args[0])})` : key);
      return (value as (...a: unknown[]) => unknown)(...args);
    };
  }
  return ops as unknown as Ops<number[]>;
}

describe('the pure step (compileOptimizer)', () => {
  for (const [name, make] of Object.entries(optimizers)) {
    it(`${name}: the tensor program depends on the plan's structure only, never on a step's numbers`, () => {
      // One traced graph serves every step with the same structure: the operations and the
      // constants of the math must not change with the scheduled numbers.
      const compiled = compileOptimizer(make());
      let state = compiled.init(arrayOps, params());
      let current: Record<string, number[]> = params();
      const programs = new Map<string, string>();
      for (let step = 0; step < 24; step += 1) {
        const plan = compiled.plan(state);
        const log: string[] = [];
        const ops = recordingOps(log);
        const scalars = Object.fromEntries(Object.entries(plan.scalars).map(([key, value]) => [key, [value]]));
        const result = compiled.execute(ops, plan, { params: current, gradients: gradients(step), state, scalars });
        const program = log.join(' ');
        const seen = programs.get(plan.structure);
        if (seen === undefined) programs.set(plan.structure, program);
        else expect(program, `step ${step}, structure ${plan.structure}`).toBe(seen);
        current = result.params;
        state = result.state;
      }
    });

    it(`${name}: update returns new state and leaves its input as it was (pure)`, () => {
      // With an assign that returns the value (no in-place storage), nothing given is changed;
      // backends whose assign writes in place get the same numbers in their own storage.
      const pure: Ops<number[]> = { ...arrayOps, assign: (_target, value) => value };
      const compiled = compileOptimizer(make());
      let state = compiled.init(pure, params());
      let current: Record<string, number[]> = params();
      for (let step = 0; step < 4; step += 1) {
        const frozen = JSON.stringify({ state, current });
        const result = compiled.update(pure, { params: current, gradients: gradients(step), state });
        expect(JSON.stringify({ state, current })).toBe(frozen);
        // The same input gives the same output (no hidden state in the compiled optimizer).
        expect(compiled.update(pure, { params: current, gradients: gradients(step), state })).toEqual(result);
        const inPlace = compiled.update(arrayOps, {
          params: structuredClone(current),
          gradients: gradients(step),
          state: structuredClone(state),
        });
        expect(inPlace).toEqual(result);
        current = result.params;
        state = result.state;
      }
    });

    it(`${name}: plan + execute + verdict (a traced backend's path) equals update`, () => {
      const compiled = compileOptimizer(make());
      let eager = { params: params() as Record<string, number[]>, state: compiled.init(arrayOps, params()) };
      let split = { params: params() as Record<string, number[]>, state: compiled.init(arrayOps, params()) };
      for (let step = 0; step < 10; step += 1) {
        const g = gradients(step);
        const result = compiled.update(arrayOps, { ...eager, gradients: g });
        eager = { params: result.params, state: result.state };
        const plan = compiled.plan(split.state);
        const scalars = Object.fromEntries(Object.entries(plan.scalars).map(([key, value]) => [key, [value]]));
        const probe = compiled.probe(arrayOps, g);
        expect(compiled.verdict(Number.isFinite(probe?.[0] ?? 0), arrayOps, g)).toBe('accept');
        const executed = compiled.execute(arrayOps, plan, { ...split, gradients: g, scalars });
        split = { params: executed.params, state: executed.state };
        expect(executed.report).toEqual(result.report);
      }
      expect(split).toEqual(eager);
    });
  }

  it('skips or refuses a non-finite gradient before anything changes, on both paths', () => {
    for (const nonFinite of ['skip', 'throw'] as const) {
      const compiled = compileOptimizer(adam({ learningRate: 0.1, nonFinite }));
      const state = compiled.init(arrayOps, params());
      const bad = { w: [0, Number.NaN, 0], b: [1] };
      if (nonFinite === 'skip') {
        const result = compiled.update(arrayOps, { params: params(), gradients: bad, state });
        expect(result.report).toEqual({ outcome: 'skipped', step: 0, learningRate: undefined, learningRates: undefined });
        expect(result.state).toEqual({ ...state, skipped: 1 });
        expect(result.params).toEqual(params());
        expect(compiled.verdict(false, arrayOps, bad)).toBe('skip');
        expect(compiled.skip(state)).toEqual({ state: result.state, report: result.report });
      } else {
        expect(() => compiled.update(arrayOps, { params: params(), gradients: bad, state })).toThrow(/gradients\.w\[1\] is not finite/);
        expect(() => compiled.verdict(false, arrayOps, bad)).toThrow(/gradients\.w\[1\] is not finite/);
      }
      // A finite sum that overflowed: no element is bad, the step goes ahead.
      expect(compiled.verdict(false, arrayOps, { w: [3e38, 3e38, 0], b: [1] })).toBe('accept');
    }
  });

  it('defines "the learning rate" once: the first group, scale applied; every group is reported', () => {
    const optimizer = sgd({
      learningRate: 0.1,
      groups: [
        { params: ['b'], learningRateScale: 0.5 },
        { params: ['w', 'b'], learningRate: 0.3 },
      ],
    });
    const runner = new OptimizerRunner({ optimizer, ops: arrayOps, params: params() });
    expect(runner.learningRate).toBe(0.05);
    const report = runner.step(gradients(0));
    // b joins the first group that matches it, w the second; the default group is empty but reported.
    expect(report.learningRate).toBe(0.05);
    expect(report.learningRates).toEqual([0.05, 0.3, 0.1]);
    expect(compileOptimizer(optimizer).learningRatesAt(0)).toEqual({ learningRate: 0.05, learningRates: [0.05, 0.3, 0.1] });
  });

  it('checks names, sizes and states with errors naming the path', () => {
    const compiled = compileOptimizer(adam({ emaDecay: 0.9, accumulationSteps: 2 }));
    const state = compiled.init(arrayOps, params());
    expect(() => compiled.update(arrayOps, { params: params(), gradients: { w: [1, 2], b: [0] }, state })).toThrow(
      /gradients\.w must have 3 elements like the parameter/,
    );
    expect(() => compiled.update(arrayOps, { params: params(), gradients: { w: [1, 2, 3] }, state })).toThrow(/gradients\.b is missing/);
    expect(() => compiled.update(arrayOps, { params: params(), gradients: { ...gradients(0), c: [1] }, state })).toThrow(
      /gradients\.c is not a parameter \(w, b\)/,
    );
    const stale: OptimizerState<number[]> = { ...state, microStep: 1 };
    expect(() => compiled.checkState(arrayOps, params(), stale)).toThrow(/state\.accumulated\.w must hold 3 elements at micro-step 1/);
    expect(() => compiled.checkState(arrayOps, params(), { ...state, microStep: 2, accumulated: mapState(state, (t) => t).ema })).toThrow(
      /state\.microStep must be below accumulationSteps \(2\)/,
    );
    expect(() => compiled.checkState(arrayOps, params(), { ...state, ema: {} })).toThrow(/state\.ema\.w must hold 3 elements/);
    expect(() => compileOptimizer(adam({ groups: [{ params: ['bias'] }] })).init(arrayOps, params())).toThrow(
      /adam options\.groups\[0\]\.params\[0\] matches no parameter; parameters: w, b/,
    );
  });

  it('checkState refuses an accumulator of the wrong size at micro-step 0 (it would be broadcast mid-training)', () => {
    const compiled = compileOptimizer(sgd({ learningRate: 1, accumulationSteps: 2 }));
    const state = compiled.init(arrayOps, params());
    const wrong: OptimizerState<number[]> = { ...state, accumulated: { w: [1], b: [0] } };
    expect(() => compiled.checkState(arrayOps, params(), wrong)).toThrow(
      /^state\.accumulated\.w must hold 3 elements at micro-step 0, got 1$/,
    );
    // Accepted, the next cycle would broadcast it into the gradient: [1] + g gives the wrong sums.
    expect(() => new OptimizerRunner({ optimizer: compiled.optimizer, ops: arrayOps, params: params() }).loadState(wrong)).toThrow(
      /state\.accumulated\.w must hold 3 elements/,
    );
  });

  it('checkState refuses bad counters, unknown entries, stray slots and non-finite host state, under the given path', () => {
    const compiled = compileOptimizer(adam({ amsgrad: false, emaDecay: 0.9 }));
    const state = compiled.init(arrayOps, params());
    const check = (changed: Partial<OptimizerState<number[]>>) => () =>
      compiled.checkState(arrayOps, params(), { ...state, ...changed }, { path: 'checkpoint.optimizerState' });
    expect(check({ step: 1.5 })).toThrow(/^checkpoint\.optimizerState\.step must be an integer >= 0, got 1\.5$/);
    expect(check({ skipped: -1 })).toThrow(/^checkpoint\.optimizerState\.skipped must be an integer >= 0, got -1$/);
    expect(check({ microStep: 1 })).toThrow(/^checkpoint\.optimizerState\.microStep must be below accumulationSteps \(1\), got 1$/);
    expect(check({ accumulated: { c: [1] } })).toThrow(/^checkpoint\.optimizerState\.accumulated\.c is not a parameter \(w, b\)/);
    expect(check({ ema: { ...state.ema, c: [1] } })).toThrow(/^checkpoint\.optimizerState\.ema\.c is not a parameter/);
    expect(check({ ema: { ...state.ema, b: [1, 2] } })).toThrow(/^checkpoint\.optimizerState\.ema\.b must hold 1 elements/);
    expect(check({ params: { ...state.params, b: { ...state.params.b, maxExpAvgSq: [0] } } })).toThrow(
      /^checkpoint\.optimizerState\.params\.b\.maxExpAvgSq is not a slot of this adam \(expAvg, expAvgSq\)/,
    );
    expect(check({ groups: [{ muProduct: Number.NaN }] })).toThrow(
      /^checkpoint\.optimizerState\.groups\[0\]\.muProduct must be a finite number, got NaN$/,
    );
    expect(check({})).not.toThrow();
  });

  it('accumulates over distinct micro-batches: the update uses their mean', () => {
    const compiled = compileOptimizer(sgd({ learningRate: 1, accumulationSteps: 3 }));
    let state = compiled.init(arrayOps, params());
    let current: Record<string, number[]> = params();
    const outcomes: string[] = [];
    for (const g of [
      { w: [3, 0, 0], b: [0] },
      { w: [0, 6, 0], b: [3] },
      { w: [0, 0, 9], b: [0] },
    ]) {
      const result = compiled.update(arrayOps, { params: current, gradients: g, state });
      outcomes.push(result.report.outcome);
      current = result.params;
      state = result.state;
    }
    expect(outcomes).toEqual(['accumulated', 'accumulated', 'updated']);
    expect(current).toEqual({ w: [0.5 - 1, -0.25 - 2, 0.125 - 3], b: [0.1 - 1] });
    expect(state).toMatchObject({ step: 1, microStep: 0 });
  });
});
