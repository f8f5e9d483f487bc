/**
 * A schedule's value is a function of the step alone: evaluating steps in any
 * order (in order, backwards, repeated, with far jumps) gives exactly the values
 * a fresh schedule gives, so a resumed run is the uninterrupted one bit for bit.
 * Metric-driven schedules are included for their value without observations
 * (what they observed is their state; which steps were evaluated is not).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRun } from '../test-support/property-run.js';
import { scheduleDefinitions } from './catalogue.js';
import { cosineRestarts, locateCycle } from './cosine.js';
import { lambdaFactor, multiplicative } from './custom.js';
import type { Schedule } from './schedule.js';
import { scheduleFromJSON, scheduleTypes } from './spec.js';
import { compositeArbitraries, leafArbitraries, specArbitrary } from './test-support/arbitraries.js';

const { counted, count } = propertyRun('step order');

type Spec = Record<string, unknown>;

const MAX_STEP = 2 ** 53 - 1;
const jsonArbitraries: Record<string, fc.Arbitrary<Spec>> = { ...leafArbitraries, ...compositeArbitraries(specArbitrary(1)) };

/** The value at `step`, or the error it raises (then both evaluations must raise the same one). */
function outcome(schedule: Schedule, step: number): number | string {
  try {
    return schedule(step);
  } catch (error) {
    return `throws ${(error as Error).message}`;
  }
}

const clampStep = (step: number): number => Math.min(MAX_STEP, Math.max(0, step));

/** `length` consecutive steps from `first`, forwards or backwards. */
const run = (first: number, length: number, direction: 1 | -1): number[] =>
  Array.from({ length }, (_, i) => clampStep(first + direction * i));

/** Every number in a spec (options of nested schedules, milestones and boundaries included). */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(numbersIn);
  return [];
}

/** Cycle starts of every cosineRestarts in a spec, to aim steps at its restarts (approximately: the steps around are visited too). */
function restartsIn(value: unknown): number[] {
  if (Array.isArray(value)) return value.flatMap(restartsIn);
  if (typeof value !== 'object' || value === null) return [];
  const spec = value as Spec;
  const own: number[] = [];
  if (spec.type === 'cosineRestarts') {
    const period = spec.firstPeriod as number;
    const multiplier = (spec.periodMultiplier as number | undefined) ?? 1;
    for (let i = 1; i <= 12; i += 1) own.push(multiplier === 1 ? i * period : (period * (multiplier ** i - 1)) / (multiplier - 1));
  }
  return [...own, ...Object.values(spec).flatMap(restartsIn)];
}

/**
 * Orders of evaluation for a spec: runs from 0 (a training run); runs across the spec's own
 * numbers (boundaries, periods, milestones, twice and three times them) and its restarts,
 * forwards and backwards, so that the step before each is evaluated first; runs from random
 * steps; single far steps; then some steps repeated.
 */
function evaluationOrder(spec: Spec, maxStep: number): fc.Arbitrary<number[]> {
  const anchors = [...numbersIn(spec).flatMap((x) => [x, 2 * x, 3 * x]), ...restartsIn(spec)]
    .map((x) => Math.floor(x))
    .filter((x) => x >= 0 && x <= maxStep);
  const step = fc.oneof(fc.integer({ min: 0, max: Math.min(maxStep, 3000) }), fc.integer({ min: 0, max: maxStep }));
  const direction = fc.constantFrom<1 | -1>(1, -1);
  const pieces: fc.WeightedArbitrary<number[]>[] = [
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((length) => run(0, length, 1)) },
    {
      weight: 1,
      arbitrary: fc.tuple(step, fc.integer({ min: 1, max: 12 }), direction).map(([first, length, way]) => run(first, length, way)),
    },
    { weight: 1, arbitrary: step.map((t) => [t]) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, Math.min(maxStep, 1e12), maxStep).map((t) => [t]) },
  ];
  if (anchors.length > 0) {
    const across = fc
      .tuple(fc.constantFrom(...anchors), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), direction)
      .map(([anchor, before, after, way]) =>
        way === 1 ? run(anchor - before, before + 1 + after, 1) : run(Math.min(maxStep, anchor + before), before + 1 + after, -1),
      );
    pieces.push({ weight: 4, arbitrary: across });
  }
  return fc
    .tuple(fc.array(fc.oneof(...pieces), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 }))
    .map(([runs, repeats]) => {
      const steps = runs.flat();
      for (const pick of repeats) steps.splice(pick % (steps.length + 1), 0, steps[pick % steps.length] as number);
      return steps;
    });
}

/** Evaluates `steps` in order on one schedule and each step on a fresh one; both must be the same, bit for bit. */
function expectOrderIndependent(label: string, build: () => Schedule, steps: readonly number[]): void {
  const shared = build();
  const fresh = new Map<number, number | string>();
  steps.forEach((step, index) => {
    const got = outcome(shared, step);
    let expected = fresh.get(step);
    if (expected === undefined) {
      expected = outcome(build(), step);
      fresh.set(step, expected);
    }
    if (!Object.is(got, expected)) {
      const before = steps.slice(Math.max(0, index - 5), index);
      expect.fail(`${label}: step ${step} gave ${got} after steps [..., ${before.join(', ')}], but ${expected} on a fresh schedule`);
    }
  });
}

const runs = { numRuns: 60 };

describe('a schedule value depends on the step alone, not on the steps evaluated before', () => {
  it('covers every schedule type, JSON and code-only', () => {
    expect(Object.keys(jsonArbitraries).sort()).toEqual([...scheduleTypes].sort());
    const codeOnly = scheduleDefinitions.filter((d) => d.codeOnly).map((d) => d.type);
    expect(codeOnly.sort()).toEqual(['lambdaFactor', 'multiplicative']);
    count(2);
  });

  for (const [type, arbitrary] of Object.entries(jsonArbitraries)) {
    it(`${type}: any order of steps (repeats, backwards, far jumps) equals fresh evaluation, exactly`, () => {
      fc.assert(
        fc.property(
          arbitrary.chain((spec) => fc.tuple(fc.constant(spec), evaluationOrder(spec, MAX_STEP))),
          counted(([[spec, steps]]) => {
            expectOrderIndependent(JSON.stringify(spec), () => scheduleFromJSON(spec), steps);
          }),
        ),
        runs,
      );
    });
  }

  it('lambdaFactor and multiplicative (code only): any order of steps equals fresh evaluation, exactly', () => {
    // Pure factor functions; multiplicative replays a product over past steps, so its steps stay near.
    const factor = fc.oneof(
      fc.double({ min: 0.5, max: 1, noNaN: true }).map((gamma) => (t: number) => gamma ** (t % 7)),
      fc.integer({ min: 1, max: 50 }).map((every) => (t: number) => (t % every === 0 ? 0.5 : 1)),
      fc.double({ min: 0, max: 1, noNaN: true }).map((x) => (t: number) => 1 / (1 + x * t)),
    );
    const initialValue = fc.double({ min: 0, max: 10, noNaN: true });
    fc.assert(
      fc.property(
        initialValue,
        factor,
        evaluationOrder({}, MAX_STEP),
        evaluationOrder({ every: 1024 }, 5000),
        counted(([value, fn, farSteps, nearSteps]) => {
          expectOrderIndependent('lambdaFactor', () => lambdaFactor({ initialValue: value, factor: fn }), farSteps);
          expectOrderIndependent('multiplicative', () => multiplicative({ initialValue: value, factor: fn }), nearSteps);
        }),
      ),
      runs,
    );
  });
});

describe('cosineRestarts with a period multiplier just above 1 (regression: a cached cycle disagreed with a fresh lookup)', () => {
  /**
   * The cycle of step t in exact rational arithmetic: the largest i with
   * t >= firstPeriod * (m^i - 1) / (m - 1), m being the double exactly (m = M / 2^52, 1 <= m < 2).
   */
  function exactCycle(t: number, firstPeriod: number, multiplier: number): number {
    const scale = 2n ** 52n;
    const numerator = BigInt(multiplier * 2 ** 52);
    let cycle = 0;
    // t >= start(i)  <=>  t * 2^(52 (i - 1)) * (M - 2^52) >= firstPeriod * (M^i - 2^(52 i)).
    while (
      BigInt(t) * scale ** BigInt(cycle) * (numerator - scale) >=
      BigInt(firstPeriod) * (numerator ** BigInt(cycle + 1) - scale ** BigInt(cycle + 1))
    ) {
      cycle += 1;
    }
    return cycle;
  }

  for (const periodMultiplier of [1.000000001, 1 + 1e-8]) {
    it(`periodMultiplier ${periodMultiplier}: steps 0..200 in order, backwards and fresh agree bit for bit, in the exact cycle`, () => {
      const options = { initialValue: 1, firstPeriod: 10, periodMultiplier };
      const steps = Array.from({ length: 201 }, (_, t) => t);
      const inOrder = cosineRestarts(options);
      const backwards = cosineRestarts(options);
      const forwardValues = steps.map((t) => inOrder(t));
      const backwardValues = [...steps].reverse().map((t) => backwards(t));
      for (const t of steps) {
        const fresh = cosineRestarts(options)(t);
        expect(Object.is(forwardValues[t], fresh), `step ${t}: ${forwardValues[t]} in order, ${fresh} fresh`).toBe(true);
        expect(Object.is(backwardValues[200 - t], fresh), `step ${t}: ${backwardValues[200 - t]} backwards, ${fresh} fresh`).toBe(true);
        const cycle = exactCycle(t, 10, periodMultiplier);
        expect(locateCycle(t, 10, periodMultiplier).cycle, `cycle of step ${t}`).toBe(cycle);
        // Only the first cycle starts (0 and 10) are integer steps: every later cycle starts just after
        // a multiple of 10, so the multiple is its predecessor's last step (near the floor), the next its second.
        if (t % 10 === 0 && t >= 20) expect(fresh, `step ${t}, the last of cycle ${cycle}`).toBeLessThan(1e-10);
        if (t % 10 === 1 && t >= 21) expect(fresh, `step ${t}, the first of cycle ${cycle}`).toBeGreaterThan(0.97);
      }
      expect([inOrder(0), inOrder(10)]).toEqual([1, 1]);
      count(201);
    });
  }
});

describe('cosineRestarts: the first step of every cycle is the cycle peak exactly, in any order', () => {
  it('integer (PyTorch T_0, T_mult) and fractional multipliers whose cycle starts are integers', () => {
    // Multipliers p / q with q a power of 2, so cycle starts firstPeriod * (p^i - q^i) / (q^(i - 1) (p - q)) are rational.
    const multipliers: readonly (readonly [bigint, bigint])[] = [
      [1n, 1n],
      [2n, 1n],
      [3n, 1n],
      [5n, 1n],
      [3n, 2n],
      [5n, 4n],
      [7n, 4n],
      [5n, 2n],
      [9n, 8n],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...multipliers),
        fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 ** 20 }), fc.constantFrom(2 ** 10, 3 * 2 ** 12)),
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        counted(([[p, q], firstPeriod, initialValue, peakDecay, minFraction, order]) => {
          const multiplier = Number(p) / Number(q);
          const minValue = initialValue * minFraction;
          const options = { initialValue, firstPeriod, periodMultiplier: multiplier, peakDecay, minValue };
          const starts: { cycle: number; start: number }[] = [];
          for (let i = 0; i < 200; i += 1) {
            const numerator = BigInt(firstPeriod) * (p === q ? BigInt(i) : p ** BigInt(i) - q ** BigInt(i));
            const denominator = p === q ? 1n : q ** BigInt(Math.max(0, i - 1)) * (p - q) * (i === 0 ? q : 1n);
            if (numerator > BigInt(MAX_STEP) * denominator) break;
            if (numerator % denominator === 0n) starts.push({ cycle: i, start: Number(numerator / denominator) });
          }
          const peak = (cycle: number): number => minValue + (initialValue - minValue) * peakDecay ** cycle;
          const shared = cosineRestarts(options);
          for (const pick of order) {
            const { cycle, start } = starts[pick % starts.length] as { cycle: number; start: number };
            const label = `${JSON.stringify(options)} cycle ${cycle} starting at ${start}`;
            expect(shared(start), label).toBe(peak(cycle));
            expect(cosineRestarts(options)(start), label).toBe(peak(cycle));
            if (start > 0) expect(shared(start - 1), label).toBe(cosineRestarts(options)(start - 1));
          }
        }),
      ),
      { numRuns: 300 },
    );
  });
});
