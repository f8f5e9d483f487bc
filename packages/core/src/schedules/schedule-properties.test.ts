/**
 * Property-based tests (fast-check) over every JSON schedule type and the
 * spec parser: random valid specs work everywhere, random invalid ones always
 * raise StepsizeError with a path, and nothing pollutes prototypes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { product, scale, sequence, warmup } from './compose.js';
import { constant } from './constant.js';
import { cosineRestarts, cycleStart, locateCycle } from './cosine.js';
import { lambdaFactor, multiplicative } from './custom.js';
import { cyclic } from './cyclic.js';
import { exponential, exponentialDecay } from './exponential.js';
import { inverseSqrt, inverseTime } from './inverse.js';
import { adaGradNorm, reduceOnPlateau } from './metric-driven.js';
import type { Schedule } from './schedule.js';
import { MAX_SPEC_DEPTH, scheduleFromJSON, scheduleTypes } from './spec.js';
import { multiStep, stepDecay } from './stepwise.js';
import { propertyRun } from '../test-support/property-run.js';
import { compositeArbitraries, edgeSpec, edgeSteps, leafArbitraries, specArbitrary } from './test-support/arbitraries.js';

const { counted, count } = propertyRun('schedule properties');

const runs = { numRuns: 200 };
const farSteps = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 1e12 }), fc.constantFrom(0, 1, 1e12, 2 ** 53 - 1));
const allArbitraries = { ...leafArbitraries, ...compositeArbitraries(specArbitrary(1)) };

function expectStepsizeError(action: () => unknown): StepsizeError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StepsizeError);
    return error as StepsizeError;
  }
  throw new Error('expected a StepsizeError');
}

describe('schedule properties', () => {
  it('cover exactly the JSON schedule types', () => {
    expect(Object.keys(allArbitraries).sort()).toEqual([...scheduleTypes].sort());
  });

  for (const [type, arbitrary] of Object.entries(allArbitraries)) {
    describe(type, () => {
      it('is finite and >= 0 at any step up to 1e12 and 2^53 - 1, after random observations', () => {
        fc.assert(
          fc.property(
            arbitrary,
            fc.array(farSteps, { minLength: 1, maxLength: 8 }),
            fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 6 }),
            counted(([spec, steps, metrics]) => {
              const schedule = scheduleFromJSON(spec);
              metrics.forEach((metric, step) => {
                schedule.observe({ step, metric, gradientNorm: Math.abs(metric) });
              });
              for (const step of steps) {
                const v = schedule(step);
                expect(Number.isFinite(v) && v >= 0, `${JSON.stringify(spec)} at ${step}: ${v}`).toBe(true);
              }
            }),
          ),
          runs,
        );
      });

      it('round-trips through JSON exactly, state included', () => {
        fc.assert(
          fc.property(
            arbitrary,
            fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 6 }),
            farSteps,
            counted(([spec, metrics, step]) => {
              const original = scheduleFromJSON(spec);
              metrics.forEach((metric, i) => {
                original.observe({ step: i, metric, gradientNorm: Math.abs(metric) });
              });
              const copy = scheduleFromJSON(JSON.parse(JSON.stringify(original)));
              expect(copy.toJSON()).toEqual(original.toJSON());
              expect(Object.is(copy(step), original(step))).toBe(true);
              // Both continue identically.
              for (const s of [original, copy]) s.observe({ step: 10, metric: 0.5, gradientNorm: 2 });
              expect(Object.is(copy(step), original(step))).toBe(true);
              expect(copy.toJSON()).toEqual(original.toJSON());
            }),
          ),
          runs,
        );
      });
    });
  }

  it('refuses corrupted options with StepsizeError naming the key, and pollutes nothing', () => {
    const corruptions: unknown[] = [NaN, Infinity, -Infinity, -1, 2.5, 'abc', null, [], {}, true, -1e300];
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(leafArbitraries)).chain((type) => leafArbitraries[type] as fc.Arbitrary<Record<string, unknown>>),
        fc.nat(),
        fc.constantFrom(...corruptions),
        counted(([spec, keyIndex, bad]) => {
          const keys = Object.keys(spec).filter((k) => k !== 'type');
          const key = keys[keyIndex % keys.length] as string;
          let threw: StepsizeError | undefined;
          try {
            scheduleFromJSON({ ...spec, [key]: bad });
          } catch (error) {
            expect(error).toBeInstanceOf(StepsizeError);
            threw = error as StepsizeError;
          }
          // 2.5 can be a valid value for the key and then break a cross-option rule that names the
          // other option (e.g. minValue > initialValue); every other corruption is invalid in itself.
          if (threw && bad !== 2.5) expect(threw.path.startsWith(`$.${key}`), `${threw.path} for ${key}`).toBe(true);
          if (threw) expect(threw.path.startsWith('$')).toBe(true);
          // Some corruptions are valid for some keys (e.g. 2.5 for a real number); then it builds fine.
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses missing required keys, unknown keys and prototype keys', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(leafArbitraries)).chain((t) => leafArbitraries[t] as fc.Arbitrary<Record<string, unknown>>),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'unknownOption'),
        counted(([spec, key]) => {
          const withKey = JSON.parse(`{${JSON.stringify(key)}: {"polluted": true}, ${JSON.stringify(spec).slice(1)}`);
          const error = expectStepsizeError(() => scheduleFromJSON(withKey));
          expect(error.path).toBe(`$.${key}`);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
      ),
      runs,
    );
    for (const [type, arbitrary] of Object.entries(leafArbitraries)) {
      const spec = fc.sample(arbitrary, { numRuns: 1, seed: 1 })[0] as Record<string, unknown>;
      const required = Object.keys(spec).filter((k) => k !== 'type');
      for (const key of required) {
        const { [key]: _removed, ...rest } = spec;
        try {
          scheduleFromJSON(rest);
        } catch (error) {
          expect(error, `${type} without ${key}`).toBeInstanceOf(StepsizeError);
        }
        count();
      }
    }
  });

  it('parses arbitrary junk into a schedule or a StepsizeError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.jsonValue(),
          fc
            .record({ type: fc.constantFrom(...scheduleTypes) }, { requiredKeys: ['type'] })
            .chain((base) => fc.dictionary(fc.string(), fc.jsonValue()).map((extra) => ({ ...extra, ...base }))),
        ),
        counted(([input]) => {
          try {
            const schedule = scheduleFromJSON(input);
            expect(typeof schedule).toBe('function');
          } catch (error) {
            expect(error).toBeInstanceOf(StepsizeError);
          }
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses nesting deeper than the limit without overflowing the stack, and accepts huge lists', () => {
    let spec: Record<string, unknown> = { type: 'constant', value: 1 };
    for (let i = 0; i < 10_000; i += 1) spec = { type: 'scale', factor: 1, schedule: spec };
    expect(expectStepsizeError(() => scheduleFromJSON(spec)).message).toMatch(`nested deeper than ${MAX_SPEC_DEPTH}`);
    const milestones = Array.from({ length: 100_000 }, (_, i) => i + 1);
    expect(scheduleFromJSON({ type: 'multiStep', initialValue: 1, milestones, gamma: 0.5 })(50_000)).toBe(0.5 ** 50_000);
    count(2);
  });

  it('either returns a finite value or throws StepsizeError for growth factors above 1 (never Infinity)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1.0001, max: 10, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        farSteps,
        counted(([gamma, initialValue, step]) => {
          const schedule = exponential({ initialValue, gamma });
          try {
            expect(Number.isFinite(schedule(step))).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(StepsizeError);
            expect((error as Error).message).toMatch(/must be finite/);
          }
        }),
      ),
      runs,
    );
  });

  it('code-only schedules refuse JSON and misbehaving functions with StepsizeError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(NaN, -1, Infinity, 'x' as unknown as number),
        fc.integer({ min: 0, max: 100 }),
        counted(([bad, step]) => {
          const lambda = lambdaFactor({ factor: () => bad });
          const product = multiplicative({ initialValue: 1, factor: () => bad });
          expectStepsizeError(() => lambda(step));
          if (step > 0) expectStepsizeError(() => product(step));
          expectStepsizeError(() => JSON.stringify(lambda));
        }),
      ),
      runs,
    );
  });

  it('option values at the edges of their ranges, at far steps, after extreme signals: refused, or finite and exact through JSON', () => {
    // Types whose value may grow past float64 (a factor above 1): they may throw, saying so.
    const mayOverflow = (spec: Record<string, unknown>): boolean =>
      ['product', 'scale', 'warmup', 'sequence'].includes(spec.type as string) ||
      (['exponential', 'stepDecay', 'multiStep'].includes(spec.type as string) && ((spec.gamma ?? 0.1) as number) > 1) ||
      (spec.type === 'exponentialDecay' && (spec.decayRate as number) > 1 && spec.endValue === undefined);
    const signals = fc.array(fc.constantFrom(0, -0, 5e-324, 1, 1e154, 1e200, 1e300, -1e300, Number.MAX_VALUE), { maxLength: 3 });
    let built = 0;
    fc.assert(
      fc.property(
        edgeSpec,
        fc.array(edgeSteps, { minLength: 1, maxLength: 4 }),
        signals,
        counted(([spec, steps, metrics]) => {
          const label = JSON.stringify(spec);
          let schedule: Schedule;
          try {
            schedule = scheduleFromJSON(spec);
          } catch (error) {
            expect(error, label).toBeInstanceOf(StepsizeError);
            expect((error as StepsizeError).path.startsWith('$'), label).toBe(true);
            return;
          }
          built += 1;
          metrics.forEach((metric, step) => {
            try {
              schedule.observe({ step, metric, gradientNorm: Math.abs(metric) });
            } catch (error) {
              // Only an accumulator overflow (sum of squared norms past float64) is refused.
              expect(error, label).toBeInstanceOf(StepsizeError);
              expect((error as Error).message, label).toMatch(/overflows the accumulator/);
            }
          });
          const valueAt = (s: Schedule, step: number): number | string => {
            try {
              return s(step);
            } catch (error) {
              expect(error, `${label} at ${step}`).toBeInstanceOf(StepsizeError);
              return (error as Error).message;
            }
          };
          for (const step of steps) {
            const value = valueAt(schedule, step);
            if (typeof value === 'number') {
              expect(value >= 0 && value <= Number.MAX_VALUE && !Object.is(value, -0), `${label} at ${step}: ${value}`).toBe(true);
            } else {
              expect(mayOverflow(spec), `${label} at ${step}: ${value}`).toBe(true);
              if (!['product', 'scale', 'warmup', 'sequence'].includes(spec.type as string)) expect(value).toMatch(/produced Infinity/);
            }
          }
          // JSON holds no -0 and rebuilds the same schedule, state included, bit for bit.
          const text = JSON.stringify(schedule);
          expect(text.includes('-0,') || text.includes('-0}') || text.includes('-0]'), text).toBe(false);
          const copy = scheduleFromJSON(JSON.parse(text));
          expect(JSON.stringify(copy)).toBe(text);
          for (const step of steps) expect(Object.is(valueAt(copy, step), valueAt(schedule, step)), `${text} at ${step}`).toBe(true);
        }),
      ),
      { numRuns: 3000 },
    );
    // The edges must not all be refused: most specs build and get evaluated.
    expect(built).toBeGreaterThan(1000);
  });

  it('cosineRestarts finds the cycle of any step with a bounded search: 0 <= position <= period', () => {
    const firstPeriod = fc.oneof(fc.constantFrom(1, 1.5, 3, 10, 2 ** 53 - 1, 1e280), fc.double({ min: 1, max: 1e6, noNaN: true }));
    const multiplier = fc.oneof(
      fc.constantFrom(1, 1 + 1e-9, 1 + 1e-6, 1.5, 2, 10, 2 ** 53, 1e280),
      fc.double({ min: 1 + 1e-9, max: 100, noNaN: true }),
    );
    // Far steps, and steps next to a cycle boundary, where a logarithm lands a cycle off.
    const step = (fp: number, m: number): fc.Arbitrary<number> => {
      const lastCycle = m === 1 ? Math.floor(2 ** 53 / fp) : Math.floor(Math.log1p((2 ** 53 * (m - 1)) / fp) / Math.log(m));
      return fc.oneof(
        edgeSteps,
        fc
          .tuple(
            fc.oneof(fc.integer({ min: 0, max: lastCycle }), fc.constantFrom(lastCycle, lastCycle - 1)),
            fc.integer({ min: -1, max: 1 }),
          )
          .map(([i, d]) => {
            const start = m === 1 ? i * fp : (fp * (m ** i - 1)) / (m - 1);
            return Math.min(2 ** 53 - 1, Math.max(0, Math.floor(start) + d));
          }),
      );
    };
    fc.assert(
      fc.property(
        fc.tuple(firstPeriod, multiplier).chain(([fp, m]) => fc.tuple(fc.constant(fp), fc.constant(m), step(fp, m))),
        counted(([[fp, m, t]]) => {
          const { cycle, position, period } = locateCycle(t, fp, m);
          const label = `firstPeriod ${fp}, multiplier ${m}, step ${t}: ${JSON.stringify({ cycle, position, period })}`;
          expect(position >= 0 && position <= period && Number.isInteger(cycle) && cycle >= 0, label).toBe(true);
          // The position reaches the period (is capped at it) only on a last step of a cycle, within the
          // rounding of far starts (a few ulps of the step) before the next start.
          if (position === period) expect(cycleStart(cycle + 1, fp, m) - t, label).toBeLessThanOrEqual(Math.max(1, 2 ** -49 * t));
          const value = cosineRestarts({ initialValue: 1, firstPeriod: fp, periodMultiplier: m, peakDecay: 0.5 })(t);
          expect(value >= 0 && value <= 1).toBe(true);
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses, naming the option and the value, what cannot be computed: short or barely growing cosineRestarts periods, magnitudes past 1e280', () => {
    const cases = fc.oneof(
      fc
        .double({ min: 5e-324, max: 1, maxExcluded: true, noNaN: true })
        .map((x) => ({ key: 'firstPeriod', x, spec: { type: 'cosineRestarts', initialValue: 1, firstPeriod: x } })),
      fc.double({ min: 1, max: 1 + 1e-9, minExcluded: true, maxExcluded: true, noNaN: true }).map((x) => ({
        key: 'periodMultiplier',
        x,
        spec: { type: 'cosineRestarts', initialValue: 1, firstPeriod: 1, periodMultiplier: x },
      })),
      fc
        .oneof(
          fc.double({ min: 0, max: 1e-150, maxExcluded: true, noNaN: true }),
          fc.double({ min: 1e150, minExcluded: true, noNaN: true, noDefaultInfinity: true }),
        )
        .map((x) => ({ key: 'initialNorm', x, spec: { type: 'adaGradNorm', initialValue: 1, initialNorm: x } })),
      fc
        .double({ min: 1e-150, max: 1e-10, noNaN: true })
        .map((x) => ({ key: 'initialNorm', x, spec: { type: 'adaGradNorm', initialValue: 1e280, initialNorm: x } })),
      fc
        .double({ min: 5e-324, max: 1e-30, noNaN: true })
        .map((x) => ({ key: 'divFactor', x, spec: { type: 'oneCycle', maxValue: 1e260, totalSteps: 100, divFactor: x } })),
      fc.double({ min: 5e-324, max: 1e-30, noNaN: true }).map((x) => ({
        key: 'finalDivFactor',
        x,
        spec: { type: 'oneCycle', maxValue: 1e260, totalSteps: 100, divFactor: 1, finalDivFactor: x },
      })),
      // Every unbounded number option of every leaf, past the cap.
      fc
        .tuple(
          fc.constantFrom(...Object.keys(leafArbitraries)),
          fc.nat(),
          fc.double({ min: 1e280, minExcluded: true, noNaN: true, noDefaultInfinity: true }),
        )
        .chain(([type, index, x]) =>
          (leafArbitraries[type] as fc.Arbitrary<Record<string, unknown>>).map((spec) => {
            const keys = Object.keys(spec).filter(
              (k) =>
                typeof spec[k] === 'number' &&
                !Number.isSafeInteger(spec[k]) &&
                !['factor', 'startFactor', 'endFactor', 'peakDecay', 'pctStart', 'gamma', 'initialNorm'].includes(k),
            );
            const key = keys.length > 0 ? (keys[index % keys.length] as string) : undefined;
            return key === undefined ? { key: 'value', x, spec: { type: 'constant', value: x } } : { key, x, spec: { ...spec, [key]: x } };
          }),
        ),
    );
    fc.assert(
      fc.property(
        cases,
        counted(([{ key, x, spec }]) => {
          const error = expectStepsizeError(() => scheduleFromJSON(spec));
          expect(error.path, JSON.stringify(spec)).toBe(`$.${key}`);
          expect(error.message).toContain(`got ${x}`);
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('metric-driven state is data, not an option: any finite magnitude round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 1e300, -Number.MAX_VALUE)), {
          minLength: 1,
          maxLength: 5,
        }),
        counted(([metrics]) => {
          const plateau = reduceOnPlateau({ initialValue: 1, patience: 0 });
          const norms = adaGradNorm({ initialValue: 1 });
          metrics.forEach((metric, step) => {
            plateau.observe({ step, metric });
            try {
              norms.observe({ step, gradientNorm: Math.abs(metric) });
            } catch (error) {
              expect((error as Error).message).toMatch(/overflows the accumulator/);
            }
          });
          for (const schedule of [plateau, norms]) {
            const text = JSON.stringify(schedule);
            expect(JSON.stringify(scheduleFromJSON(JSON.parse(text))), text).toBe(text);
          }
        }),
      ),
      runs,
    );
  });

  it('reduceOnPlateau state comes back in a fixed key order, whatever order it was given in', () => {
    const entries = fc.record({
      value: fc.double({ min: 0, max: 1, noNaN: true }),
      best: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
      badSteps: fc.nat(5),
      cooldownRemaining: fc.nat(5),
    });
    fc.assert(
      fc.property(
        entries,
        fc.shuffledSubarray(['value', 'best', 'badSteps', 'cooldownRemaining'], { minLength: 4 }),
        counted(([state, order]) => {
          const shuffled = Object.fromEntries(order.map((key) => [key, state[key as keyof typeof state]]));
          const text = JSON.stringify(scheduleFromJSON({ type: 'reduceOnPlateau', initialValue: 1, state: shuffled }));
          expect(Object.keys((JSON.parse(text) as { state: object }).state)).toEqual(['value', 'best', 'badSteps', 'cooldownRemaining']);
          expect(JSON.stringify(scheduleFromJSON(JSON.parse(text)))).toBe(text);
        }),
      ),
      runs,
    );
  });

  it('a zero start stays 0, a rate of 1 keeps the start, tiny cycles stay in range, whatever the factor and time scale (no 0 * Infinity, 1^Infinity, 0 / 0)', () => {
    const factor = fc.oneof(fc.constantFrom(1, 2, 1e6, 1e280), fc.double({ min: 0, max: 1e280, noNaN: true }));
    const scaleOf = fc.oneof(fc.constantFrom(5e-324, 1e-300, 1, 1e280), fc.double({ min: 5e-324, max: 1e280, noNaN: true }));
    fc.assert(
      fc.property(
        factor,
        scaleOf,
        fc.boolean(),
        edgeSteps,
        counted(([gamma, decaySteps, staircase, step]) => {
          const zeros = [
            exponential({ initialValue: 0, gamma }),
            stepDecay({ initialValue: 0, stepSize: 1, gamma }),
            multiStep({ initialValue: 0, milestones: Array.from({ length: 2000 }, (_, i) => i), gamma }),
            ...(gamma > 0 ? [exponentialDecay({ initialValue: 0, decayRate: gamma, decaySteps, staircase })] : []),
            inverseTime({ initialValue: 0, decayRate: gamma, decaySteps, staircase }),
          ];
          for (const schedule of zeros) expect(schedule(step), schedule.type).toBe(0);
          expect(exponentialDecay({ initialValue: 0.5, decayRate: 1, decaySteps, staircase })(step)).toBe(0.5);
          expect(inverseTime({ initialValue: 0.5, decayRate: 0, decaySteps, staircase })(step)).toBe(0.5);
          // Tiny cycles: an infinite cycle count, a rise too short to divide by.
          expect(
            cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: decaySteps, mode: 'expRange', gamma: 1, scaleMode: 'cycle' })(step),
          ).toBeLessThanOrEqual(1);
          expect(
            cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: 5e-324, stepSizeDown: Math.max(1, decaySteps) })(step),
          ).toBeLessThanOrEqual(1);
        }),
      ),
      runs,
    );
  });

  it('inverseSqrt is Hugging Face bit for bit on ordinary options, and exactly the peak at warmupSteps for any timescale', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 2000 }),
        fc.option(fc.integer({ min: 1, max: 100_000 })),
        fc.oneof(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 3000 })),
        fc.oneof(fc.constantFrom(5e-324, 1e-300, 0.1, 1e280), fc.double({ min: 5e-324, max: 1e280, noNaN: true })),
        fc.oneof(fc.constantFrom(2 ** 53 - 1, 2 ** 52), fc.integer({ min: 0, max: 2 ** 53 - 1 })),
        counted(([lr, warmupSteps, given, step, tinyOrHuge, farWarmup]) => {
          const timescale = given ?? (warmupSteps > 0 ? warmupSteps : 10_000);
          // get_inverse_sqrt_schedule's lambda, times the base rate the way stepsize always has.
          const shift = timescale - warmupSteps;
          const expected = step < warmupSteps ? (lr * step) / Math.max(1, warmupSteps) : lr / Math.sqrt((step + shift) / timescale);
          expect(inverseSqrt({ initialValue: lr, warmupSteps, ...(given !== null && { timescale: given }) })(step)).toBe(expected);
          const far = inverseSqrt({ initialValue: lr, warmupSteps: farWarmup, timescale: tinyOrHuge });
          expect(far(farWarmup)).toBe(lr);
          const later = far(Math.min(2 ** 53 - 1, farWarmup + 1));
          expect(later >= 0 && later <= lr).toBe(true);
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('code constructors accept exactly the nesting JSON specs accept, and toJSON never overflows the stack', () => {
    const wrappers: ((s: Schedule) => Schedule)[] = [
      (schedule) => scale({ schedule, factor: 1 }),
      (schedule) => warmup({ schedule, steps: 2 }),
      (schedule) => product({ schedules: [schedule, constant({ value: 1 })] }),
      (schedule) => sequence({ schedules: [constant({ value: 0.1 }), schedule], boundaries: [3] }),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_SPEC_DEPTH - 3, max: MAX_SPEC_DEPTH + 3 }),
        fc.array(fc.nat(wrappers.length - 1), { minLength: MAX_SPEC_DEPTH + 3, maxLength: MAX_SPEC_DEPTH + 3 }),
        counted(([levels, picks]) => {
          // The same nesting as JSON: accepted by scheduleFromJSON iff levels <= MAX_SPEC_DEPTH.
          let json: Record<string, unknown> = { type: 'exponential', initialValue: 0.1, gamma: 1 };
          for (let i = 0; i < levels; i += 1) json = wrapSpec(json, picks[i] as number);
          let schedule: Schedule | undefined = exponential({ initialValue: 0.1, gamma: 1 });
          let refused: StepsizeError | undefined;
          for (let i = 0; i < levels && refused === undefined; i += 1) {
            try {
              schedule = (wrappers[picks[i] as number] as (s: Schedule) => Schedule)(schedule);
            } catch (error) {
              refused = error as StepsizeError;
            }
          }
          if (levels <= MAX_SPEC_DEPTH) {
            expect(refused).toBeUndefined();
            const text = JSON.stringify(schedule);
            expect(JSON.stringify(scheduleFromJSON(JSON.parse(text)))).toBe(text);
            expect(JSON.stringify(scheduleFromJSON(json))).toBe(text);
          } else {
            expect(refused).toBeInstanceOf(StepsizeError);
            expect(refused?.message).toMatch(`nest schedules deeper than ${MAX_SPEC_DEPTH} levels`);
            expectStepsizeError(() => scheduleFromJSON(json));
          }
        }),
      ),
      { numRuns: 50 },
    );
  });
});

/** The JSON counterpart of the code wrappers above. */
function wrapSpec(schedule: Record<string, unknown>, pick: number): Record<string, unknown> {
  const one = { type: 'constant', value: 1 };
  const first = { type: 'constant', value: 0.1 };
  return [
    { type: 'scale', schedule, factor: 1 },
    { type: 'warmup', schedule, steps: 2 },
    { type: 'product', schedules: [schedule, one] },
    { type: 'sequence', schedules: [first, schedule], boundaries: [3] },
  ][pick] as Record<string, unknown>;
}
