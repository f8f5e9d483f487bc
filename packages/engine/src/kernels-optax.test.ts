import {
  adabelief,
  ademamix,
  adopt,
  lars,
  linear,
  optimizerDefinitions,
  OptimizerRunner,
  scheduleFreeAdamW,
  scheduleFreeSgd,
  seededRandom,
  type AdabeliefHyper,
  type AdemamixHyper,
  type AdoptHyper,
  type FusedKernelArgs,
  type HostState,
  type LarsHyper,
  type Optimizer,
  type ScheduleFreeHyper,
  type Slots,
} from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { fusedKernels } from './kernels.js';
import { float32Ops } from './ops.js';

type Kernel = (args: FusedKernelArgs<string, unknown, string, Float32Array>) => void;

/** Hyperparameters of one update (numbers drawn from `next`) with the given flags. */
const hypers: Record<string, (flags: Record<string, boolean>, next: () => number) => object> = {
  adabelief: (f, next): AdabeliefHyper => ({
    learningRate: 1e-3 + next() * 0.1,
    beta1: 0.8 + next() * 0.19,
    beta2: 0.99 + next() * 0.0099,
    epsilon: 10 ** (-16 + next() * 10),
    epsilonRoot: next() < 0.5 ? 0 : 10 ** (-16 + next() * 10),
    weightDecay: next() * 0.1,
    nesterov: f.nesterov === true,
    useWeightDecay: f.useWeightDecay === true,
  }),
  adopt: (f, next): AdoptHyper => ({
    learningRate: 1e-3 + next() * 0.1,
    beta1: 0.8 + next() * 0.19,
    beta2: 0.99 + next() * 0.0099,
    epsilon: 10 ** (-8 + next() * 4),
    clipping: f.clipping === true,
    clipExponent: 0.25 + next() * 0.5,
    nesterov: f.nesterov === true,
  }),
  ademamix: (f, next): AdemamixHyper => ({
    learningRate: 1e-3 + next() * 0.1,
    beta1: 0.8 + next() * 0.19,
    beta2: 0.99 + next() * 0.0099,
    beta3: 0.999 + next() * 0.00099,
    alpha: next() * 8,
    epsilon: 10 ** (-10 + next() * 4),
    epsilonRoot: next() < 0.5 ? 0 : 10 ** (-16 + next() * 10),
    weightDecay: next() * 0.1,
    useWeightDecay: f.useWeightDecay === true,
  }),
  lars: (f, next): LarsHyper => ({
    learningRate: 0.01 + next(),
    weightDecay: next() * 0.01,
    trustCoefficient: 10 ** (-4 + next() * 3),
    epsilon: next() < 0.5 ? 0 : 10 ** (-9 + next() * 6),
    momentum: next(),
    nesterov: f.nesterov === true,
    trustRatio: f.trustRatio === true,
    useWeightDecay: f.useWeightDecay === true,
  }),
  scheduleFreeAdamW: (f, next): ScheduleFreeHyper => scheduleFreeHyper(f, next),
  scheduleFreeSgd: (f, next): ScheduleFreeHyper => scheduleFreeHyper(f, next),
};

function scheduleFreeHyper(f: Record<string, boolean>, next: () => number): ScheduleFreeHyper {
  const adaptive = f.adaptive === true;
  return {
    learningRate: next() < 0.2 ? 0 : 1e-3 + next(),
    beta1: 0.05 + next() * 0.9,
    beta2: adaptive ? 0.99 + next() * 0.0099 : 0,
    epsilon: adaptive ? 10 ** (-10 + next() * 4) : 0,
    weightDecay: next() * 0.01,
    weightLearningRatePower: next() * 3,
    adaptive,
    useWeightDecay: f.useWeightDecay === true,
  };
}

/** The flags each kernel branches on (schedule-free: `adaptive` both ways under both keys, one kernel serves both). */
const flagNames: Record<string, readonly string[]> = {
  adabelief: ['nesterov', 'useWeightDecay'],
  adopt: ['clipping', 'nesterov'],
  ademamix: ['useWeightDecay'],
  lars: ['nesterov', 'trustRatio', 'useWeightDecay'],
  scheduleFreeAdamW: ['adaptive', 'useWeightDecay'],
  scheduleFreeSgd: ['adaptive', 'useWeightDecay'],
};

function flagCombinations(names: readonly string[]): Record<string, boolean>[] {
  return Array.from({ length: 2 ** names.length }, (_, bits) =>
    Object.fromEntries(names.map((name, i) => [name, (bits & (1 << i)) !== 0])),
  );
}

const specials = [Number.NaN, Infinity, -Infinity, 0, -0, 3e38, -3e38, 1e30, -1e-30, 1e-38, -1e-45, 1e-45];

type Mode = 'finite' | 'specials' | 'zero parameter' | 'zero gradient';

/** Float32 values of mixed magnitudes and signs with exact zeros; with specials in 'specials' mode. */
function values(next: () => number, size: number, mode: Mode, positive: boolean): Float32Array {
  return Float32Array.from({ length: size }, () => {
    if (mode === 'specials' && next() < 0.15) return specials[Math.floor(next() * specials.length)] as number;
    if (next() < 0.05) return next() < 0.5 ? 0 : -0;
    const value = (next() - 0.5) * 10 ** (next() * 8 - 4);
    return positive ? Math.abs(value) : value;
  });
}

const signedZeros = (next: () => number, size: number): Float32Array => Float32Array.from({ length: size }, () => (next() < 0.5 ? 0 : -0));

const show = (x: number | undefined): string => (Object.is(x, -0) ? '-0' : String(x));

/** First element where `actual` and `expected` differ (`Object.is`: NaN equals NaN, +0 is not -0), or undefined. */
function firstDifference(actual: Float32Array, expected: Float32Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let i = 0; i < actual.length; i += 1)
    if (!Object.is(actual[i], expected[i])) return `index ${i}: fused ${show(actual[i])}, generic ${show(expected[i])}`;
  return undefined;
}

const definition = (type: string) => {
  const found = optimizerDefinitions.find((d) => d.type === type);
  if (!found) throw new Error(`no optimizer ${type}`);
  return found;
};

/** One update of `type` at `step` on the same inputs, generic math vs fused kernel; describes the first difference. */
function compareUpdate(type: string, flags: Record<string, boolean>, size: number, step: number, mode: Mode, seed: number): string[] {
  const next = seededRandom(seed);
  const { math } = definition(type);
  const h = (hypers[type] as (f: Record<string, boolean>, n: () => number) => object)(flags, next);
  let host: HostState = math.initHost?.(h) ?? {};
  let scalars: Record<string, number> = {};
  // Host state (schedule-free's weight sum) after `step` updates.
  for (let t = 1; t <= step; t += 1) ({ values: scalars, host } = math.scalars(h, t, host, () => h));
  const param = mode === 'zero parameter' ? signedZeros(next, size) : values(next, size, mode, false);
  const grad = mode === 'zero gradient' ? signedZeros(next, size) : values(next, size, mode, false);
  const slots: Slots<Float32Array> = {};
  for (const name of math.slots(h, [size])) slots[name] = values(next, size, mode, /Sq|Var/.test(name));
  const s = Object.fromEntries(Object.entries(scalars).map(([name, value]) => [name, float32Ops.scalar(value)]));
  const generic = math.update({ ops: float32Ops, s, h, param, grad, slots, shape: [size] });

  const fusedParam = param.slice();
  const fusedSlots = Object.fromEntries(Object.entries(slots).map(([name, slot]) => [name, slot.slice()]));
  const kernel = (fusedKernels as Record<string, Kernel | undefined>)[type];
  if (!kernel) return [`no kernel for ${type}`];
  const gradCopy = grad.slice();
  kernel({ param: fusedParam, grad, slots: fusedSlots, scalars, flags: h });

  const differences: string[] = [];
  const label = `${type} ${JSON.stringify(flags)} size ${size} step ${step} ${mode} seed ${seed}`;
  const check = (what: string, actual: Float32Array | undefined, expected: Float32Array) => {
    const difference = actual === undefined ? 'missing' : firstDifference(actual, expected);
    if (difference !== undefined) differences.push(`${label} ${what}: ${difference}`);
  };
  check('param', fusedParam, generic.param);
  for (const [name, slot] of Object.entries(generic.slots)) check(`slot ${name}`, fusedSlots[name], slot);
  check('gradient (unchanged)', grad, gradCopy);
  return differences;
}

const sizes = [1, 3, 17, 1000];
const steps = [1, 2, 7];
const modes: readonly Mode[] = ['finite', 'specials', 'zero parameter', 'zero gradient'];

describe('optax-convention fused kernels equal the generic math bit for bit, per update', () => {
  for (const [type, names] of Object.entries(flagNames)) {
    it(`${type}: every flag combination, sizes ${sizes.join(', ')}, steps ${steps.join(', ')}, with specials`, () => {
      const differences: string[] = [];
      let seed = 1;
      for (const flags of flagCombinations(names))
        for (const size of sizes)
          for (const step of steps)
            for (const mode of modes)
              for (let repeat = 0; repeat < 2; repeat += 1) differences.push(...compareUpdate(type, flags, size, step, mode, seed++));
      expect(differences.slice(0, 5)).toEqual([]);
    });
  }
});

const runnerCases: Record<string, () => Optimizer> = {
  'adabelief defaults': () => adabelief(),
  'adabelief nesterov weight decay': () =>
    adabelief({ learningRate: 1e-2, nesterov: true, weightDecay: 1e-2, epsilon: 1e-8, epsilonRoot: 0 }),
  'adopt defaults': () => adopt(),
  'adopt nesterov': () => adopt({ learningRate: 1e-2, nesterov: true }),
  'adopt no clipping nesterov': () => adopt({ clipping: false, nesterov: true, beta2: 0.99 }),
  'ademamix weight decay': () => ademamix({ weightDecay: 1e-2, epsilonRoot: 1e-12 }),
  'ademamix scheduled alpha and beta3': () =>
    ademamix({
      alpha: linear({ initialValue: 0, endValue: 5, steps: 5 }),
      beta3: linear({ initialValue: 0.9, endValue: 0.9999, steps: 5 }),
    }),
  'lars defaults': () => lars(),
  'lars nesterov weight decay, bias group without trust ratio': () =>
    lars({
      learningRate: 1,
      weightDecay: 1e-4,
      nesterov: true,
      epsilon: 1e-9,
      groups: [{ params: ['bias'], weightDecay: 0, trustRatio: false }],
    }),
  'scheduleFreeAdamW defaults': () => scheduleFreeAdamW(),
  'scheduleFreeAdamW warmup weight decay': () =>
    scheduleFreeAdamW({ learningRate: linear({ initialValue: 0, endValue: 0.0025, steps: 3 }), weightDecay: 1e-4, beta1: 0.7 }),
  'scheduleFreeSgd defaults': () => scheduleFreeSgd(),
  'scheduleFreeSgd warmup weight decay power': () =>
    scheduleFreeSgd({
      learningRate: linear({ initialValue: 0, endValue: 0.5, steps: 4 }),
      weightDecay: 1e-3,
      weightLearningRatePower: 1.5,
    }),
};

function runnerFor(make: () => Optimizer, fused: boolean, seed: number) {
  const next = seededRandom(seed);
  const params = Object.fromEntries(
    Object.entries({ scalar: 1, small: 3, mid: 17, big: 1000, bias: 17 }).map(([name, size]) => [
      name,
      values(next, size, 'finite', false),
    ]),
  );
  const runner = new OptimizerRunner({ optimizer: make(), ops: float32Ops, params, ...(fused && { kernels: fusedKernels }) });
  return { runner, params };
}

describe('optax-convention fused kernels equal the generic math bit for bit, through OptimizerRunner', () => {
  for (const [name, make] of Object.entries(runnerCases)) {
    it(name, () => {
      for (const seed of [1, 2]) {
        const generic = runnerFor(make, false, seed);
        const fused = runnerFor(make, true, seed);
        const gradients = seededRandom(seed + 100);
        const differences: string[] = [];
        for (let step = 1; step <= 8; step += 1) {
          const grads = Object.fromEntries(
            generic.runner.names.map((p) => [p, values(gradients, generic.params[p]?.length ?? 0, 'finite', false)]),
          );
          generic.runner.step(grads);
          fused.runner.step(grads);
          const evaluationGeneric = generic.runner.evaluationParams();
          const evaluationFused = fused.runner.evaluationParams();
          for (const p of generic.runner.names) {
            const compare = (what: string, actual: Float32Array | undefined, expected: Float32Array | undefined) => {
              const difference = actual && expected ? firstDifference(actual, expected) : actual === expected ? undefined : 'missing';
              if (difference !== undefined) differences.push(`seed ${seed} step ${step} ${p} ${what}: ${difference}`);
            };
            compare('param', fused.runner.params[p], generic.runner.params[p]);
            compare('evaluation param', evaluationFused?.[p], evaluationGeneric?.[p]);
            const slotsGeneric = generic.runner.state.params[p] ?? {};
            const slotsFused = fused.runner.state.params[p] ?? {};
            expect(Object.keys(slotsFused).sort()).toEqual(Object.keys(slotsGeneric).sort());
            for (const slot of Object.keys(slotsGeneric)) compare(`slot ${slot}`, slotsFused[slot], slotsGeneric[slot]);
          }
        }
        expect(differences.slice(0, 5)).toEqual([]);
      }
    });
  }
});
