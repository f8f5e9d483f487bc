/**
 * optax's schedules that stepsize follows: reference values computed by optax
 * 0.2.8 (float32) in test-support/optax-schedules.json, and, where the
 * references stop, expected values derived here from optax's own formulas
 * (cited next to each check), never from the library's output.
 *
 * Sources (optax 0.2.9.dev, the formulas of 0.2.8): optax/schedules/_schedule.py
 * (cosine_decay_schedule, warmup_cosine_decay_schedule, sgdr_schedule,
 * piecewise_interpolate_schedule, cosine_onecycle_schedule,
 * linear_onecycle_schedule) and optax/schedules/_join.py (join_schedules);
 * Hugging Face transformers optimization.py (_get_wsd_scheduler_lambda).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { StepsizeError, describeValue } from '../errors.js';
import { sequence, warmup } from './compose.js';
import { cosineAnnealing } from './cosine.js';
import { cosineOnecycle, linearOnecycle, oneCycle } from './one-cycle.js';
import { piecewiseInterpolate } from './piecewise-interpolate.js';
import type { Schedule } from './schedule.js';
import { scheduleJSONSchema } from './json-schema.js';
import { scheduleFromJSON, scheduleTypes } from './spec.js';
import { warmupStableDecay } from './warmup-stable-decay.js';
import { expectStepsizeError } from '../test-support/stepsize-error.js';

interface Reference {
  readonly name: string;
  readonly options: Record<string, unknown>;
  readonly values: readonly number[];
}

const fixture = JSON.parse(readFileSync(new URL('./test-support/optax-schedules.json', import.meta.url), 'utf8')) as {
  readonly provenance: string;
  readonly schedules: readonly Reference[];
};

function reference(name: string): Reference {
  const found = fixture.schedules.find((s) => s.name === name);
  if (found === undefined) throw new Error(`${name} is not in optax-schedules.json`);
  return found;
}

/** Relative error against a float32 reference; the floor keeps exact zeros exact. */
const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);

/** The largest relative error of `schedule` over every reference value (each must be within 1e-6). */
function expectReproduces(schedule: Schedule, values: readonly number[]): number {
  let worst = 0;
  values.forEach((expected, step) => {
    const error = relativeError(schedule(step), expected);
    expect(error, `step ${step}: got ${schedule(step)}, optax ${expected}`).toBeLessThanOrEqual(1e-6);
    worst = Math.max(worst, error);
  });
  return worst;
}

/** |actual - expected| <= 1e-12 * max(1, |expected|), for values derived in float64 from a formula. */
function near(actual: number, expected: number, tolerance = 1e-12): void {
  expect(Math.abs(actual - expected), `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

/** `scheduleFromJSON(schedule.toJSON())` and the JSON text give the same value at every step, bit for bit. */
function expectRoundTrip(schedule: Schedule, steps: readonly number[]): void {
  const copies = [scheduleFromJSON(schedule.toJSON()), scheduleFromJSON(JSON.stringify(schedule))];
  for (const copy of copies) {
    expect(copy.toJSON()).toEqual(schedule.toJSON());
    for (const step of steps) expect(Object.is(copy(step), schedule(step)), `step ${step}`).toBe(true);
  }
}

/** optax `warmup_cosine_decay_schedule` keyword arguments. */
interface WarmupCosineKwargs {
  readonly init_value: number;
  readonly peak_value: number;
  readonly warmup_steps: number;
  readonly decay_steps: number;
  readonly end_value?: number;
  readonly exponent?: number;
}

/**
 * optax warmup_cosine_decay_schedule = join_schedules([linear_schedule(init, peak, W),
 * cosine_decay_schedule(peak, D - W, alpha = end / peak, exponent)], [W]): a warmup before a
 * cosineAnnealing of D - W steps ending at end; with W = 0 the join starts on the cosine at step 0.
 */
function warmupCosineDecay(o: WarmupCosineKwargs): Schedule {
  const cosine = cosineAnnealing({
    initialValue: o.peak_value,
    steps: o.decay_steps - o.warmup_steps,
    minValue: o.end_value ?? 0,
    ...(o.exponent !== undefined && { exponent: o.exponent }),
  });
  return o.warmup_steps === 0 ? cosine : warmup({ startValue: o.init_value, steps: o.warmup_steps, schedule: cosine });
}

/**
 * optax sgdr_schedule(cosine_kwargs) = join_schedules([warmup_cosine_decay_schedule(**k) for k],
 * boundaries = running sums of decay_steps, the last left out): a sequence of the same.
 */
function sgdr(kwargs: readonly WarmupCosineKwargs[]): Schedule {
  const schedules = kwargs.map(warmupCosineDecay);
  if (schedules.length === 1) return schedules[0] as Schedule;
  const boundaries: number[] = [];
  let step = 0;
  for (const k of kwargs.slice(0, -1)) {
    step += k.decay_steps;
    boundaries.push(step);
  }
  return sequence({ schedules, boundaries });
}

/**
 * optax piecewise_interpolate_schedule, transcribed from its vectorised form: bounds = (0, *sorted
 * keys), values = cumprod((init, *scales)), interval_sizes = max(bounds[1:] - bounds[:-1], 1),
 * indicator = bounds[:-1] <= t < bounds[1:], pct = (t - bounds[:-1]) / interval_sizes,
 * value = indicator . interpolate(values[:-1], values[1:], pct) + (bounds[-1] <= t) * values[-1],
 * with _linear_interpolate = (end - start) * pct + start and
 * _cosine_interpolate = end + (start - end) / 2 * (cos(pi * pct) + 1).
 */
function optaxPiecewise(type: 'linear' | 'cosine', init: number, boundariesAndScales: Record<number, number>): (t: number) => number {
  const entries = Object.entries(boundariesAndScales)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  const bounds = [0, ...entries.map(([k]) => k)];
  const values = [init];
  for (const [, scale] of entries) values.push((values.at(-1) as number) * scale);
  const interpolate = (start: number, end: number, pct: number): number =>
    type === 'linear' ? (end - start) * pct + start : end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return (t) => {
    let total = (bounds.at(-1) as number) <= t ? (values.at(-1) as number) : 0;
    for (let i = 0; i + 1 < bounds.length; i += 1) {
      const lower = bounds[i] as number;
      const upper = bounds[i + 1] as number;
      if (lower <= t && t < upper) {
        total += interpolate(values[i] as number, values[i + 1] as number, (t - lower) / Math.max(upper - lower, 1));
      }
    }
    return total;
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// ---------------------------------------------------------------------------
// optax's own numbers
// ---------------------------------------------------------------------------

describe('optax 0.2.8 reference values (float32), each within 1e-6 relative', () => {
  it('the fixture names its provenance and holds the three reference schedules', () => {
    expect(fixture.provenance).toBe(
      'optax 0.2.8 (jax 0.10.2), float32, from ../shared/references/modern-optimizers.json, generator oracle/modern_golden.py',
    );
    expect(fixture.schedules.map((s) => s.name)).toEqual([
      'warmup_cosine_decay_schedule',
      'sgdr_schedule',
      'piecewise_interpolate_schedule_linear',
    ]);
  });

  it('warmup_cosine_decay_schedule with exponent 2 = warmup + cosineAnnealing({ exponent: 2 })', () => {
    const { options, values } = reference('warmup_cosine_decay_schedule');
    expect(options).toEqual({ init_value: 0, peak_value: 0.1, warmup_steps: 10, decay_steps: 100, end_value: 0.001, exponent: 2 });
    const schedule = warmupCosineDecay(options as unknown as WarmupCosineKwargs);
    expect(expectReproduces(schedule, values)).toBeLessThan(1e-6);
    // The same from a JSON spec.
    const spec = {
      type: 'warmup',
      steps: 10,
      startValue: 0,
      schedule: { type: 'cosineAnnealing', initialValue: 0.1, steps: 90, minValue: 0.001, exponent: 2 },
    };
    expect(scheduleFromJSON(spec).toJSON()).toEqual(schedule.toJSON());
    expectReproduces(scheduleFromJSON(spec), values);
    expectRoundTrip(schedule, range(0, values.length + 10));
  });

  it('sgdr_schedule = sequence of warmup + cosineAnnealing cycles, boundaries at the running sums of decay_steps', () => {
    const { options, values } = reference('sgdr_schedule');
    const kwargs = options.cosine_kwargs as WarmupCosineKwargs[];
    expect(kwargs).toHaveLength(3);
    const schedule = sgdr(kwargs);
    expect(schedule.toJSON()).toMatchObject({ type: 'sequence', boundaries: [20, 40] });
    expect(expectReproduces(schedule, values)).toBeLessThan(1e-6);
    expectRoundTrip(schedule, range(0, values.length + 10));
  });

  it('piecewise_interpolate_schedule (linear) = piecewiseInterpolate with the same boundaries_and_scales', () => {
    const { options, values } = reference('piecewise_interpolate_schedule_linear');
    expect(options).toEqual({ interpolate_type: 'linear', init_value: 0.1, boundaries_and_scales: { '10': 0.5, '30': 2 } });
    const schedule = piecewiseInterpolate({
      interpolateType: options.interpolate_type as 'linear',
      initialValue: options.init_value as number,
      boundariesAndScales: options.boundaries_and_scales as Record<number, number>,
    });
    expect(expectReproduces(schedule, values)).toBeLessThan(1e-6);
    // The optax options are a valid JSON spec once renamed: keys are strings there too.
    const fromJSON = scheduleFromJSON({
      type: 'piecewiseInterpolate',
      interpolateType: 'linear',
      initialValue: 0.1,
      boundariesAndScales: { '30': 2, '10': 0.5 },
    });
    expect(fromJSON.toJSON()).toEqual(schedule.toJSON());
    expectReproduces(fromJSON, values);
    expectRoundTrip(schedule, range(0, values.length + 10));
  });
});

// ---------------------------------------------------------------------------
// Formulas where the references stop
// ---------------------------------------------------------------------------

describe('cosine_decay_schedule exponent as cosineAnnealing({ exponent })', () => {
  /** optax cosine_decay_schedule: count = min(count, T); init * ((1 - alpha) * (0.5 * (1 + cos(pi * count / T))) ** exponent + alpha). */
  const optaxCosine = (count: number, init: number, T: number, alpha: number, exponent: number): number => {
    const c = Math.min(count, T);
    return init * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * c) / T))) ** exponent + alpha);
  };

  it('exponent 3 and 0.5 with alpha 0.1, at the start, the middle, the end and far beyond', () => {
    for (const exponent of [3, 0.5, 2.5]) {
      const s = cosineAnnealing({ initialValue: 2, steps: 100, minValue: 0.2, exponent });
      for (const count of [0, 1, 25, 50, 75, 99, 100, 101, 1000, 2 ** 53 - 1]) near(s(count), optaxCosine(count, 2, 100, 0.1, exponent));
      expect(s(0)).toBe(2);
      expect(s(100)).toBe(0.2);
      expect(s(2 ** 53 - 1)).toBe(0.2);
      near(s(50), 0.2 + 1.8 * 0.5 ** exponent);
    }
  });

  it('exponent 0 is optax 0 ** 0 = 1: the initial value throughout', () => {
    const s = cosineAnnealing({ initialValue: 2, steps: 10, minValue: 0.5, exponent: 0 });
    for (const count of [0, 5, 10, 11]) expect(s(count)).toBe(optaxCosine(count, 2, 10, 0.25, 0));
  });

  it('the default exponent 1 is the plain half cosine, bit for bit, and is left out of the JSON', () => {
    const plain = cosineAnnealing({ initialValue: 0.3, steps: 77, minValue: 0.01 });
    const one = cosineAnnealing({ initialValue: 0.3, steps: 77, minValue: 0.01, exponent: 1 });
    for (const step of range(0, 160)) expect(Object.is(one(step), plain(step))).toBe(true);
    expect(plain.toJSON()).toEqual({ type: 'cosineAnnealing', initialValue: 0.3, steps: 77, minValue: 0.01, afterEnd: 'hold' });
    expect(one.toJSON()).toMatchObject({ exponent: 1 });
  });

  it("the exponent applies to PyTorch's periodic continuation too", () => {
    const s = cosineAnnealing({ initialValue: 1, steps: 10, afterEnd: 'periodic', exponent: 2 });
    near(s(15), 0.25); // cos(pi * 15 / 10) = 0: (1/2)^2
    expect(s(20)).toBe(1);
    expectRoundTrip(s, range(0, 45));
  });
});

describe('warmup_cosine_decay_schedule and sgdr_schedule edge cases', () => {
  /** optax warmup_cosine_decay_schedule written out: linear init -> peak over W, then the cosine decay of D - W steps. */
  const optaxWarmupCosine = (t: number, o: Required<WarmupCosineKwargs>): number => {
    if (t < o.warmup_steps) return o.init_value + ((o.peak_value - o.init_value) * t) / o.warmup_steps;
    const T = o.decay_steps - o.warmup_steps;
    const c = Math.min(t - o.warmup_steps, T);
    const alpha = o.peak_value === 0 ? 0 : o.end_value / o.peak_value;
    return o.peak_value * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * c) / T))) ** o.exponent + alpha);
  };

  it('step 0 is init_value, step W the peak, step D end_value, held after; with W = 0, init_value is never used', () => {
    const o = { init_value: 0.01, peak_value: 1, warmup_steps: 5, decay_steps: 25, end_value: 0.1, exponent: 3 };
    const s = warmupCosineDecay(o);
    for (const t of [...range(0, 30), 1e9]) near(s(t), optaxWarmupCosine(t, o));
    expect(s(0)).toBe(0.01);
    near(s(5), 1);
    expect([s(25), s(1e9)]).toEqual([0.1, 0.1]);
    // join_schedules with boundary 0: where(step < 0, ...) never takes the warmup.
    const noWarmup = { ...o, warmup_steps: 0 };
    const cosine = warmupCosineDecay(noWarmup);
    near(cosine(0), 1);
    for (const t of range(0, 30)) near(cosine(t), optaxWarmupCosine(t, noWarmup));
  });

  it('decay_steps == warmup_steps: optax raises (cosine_decay_schedule needs positive decay_steps); so does cosineAnnealing', () => {
    const e = expectError(
      () => warmupCosineDecay({ init_value: 0, peak_value: 1, warmup_steps: 10, decay_steps: 10 }),
      'cosineAnnealing options.steps',
      0,
    );
    expect(e.message).toContain('must be an integer >= 1');
  });

  it('sgdr with cycles of different lengths, warmups and exponents: each cycle restarts at its own step 0', () => {
    const cycles = [
      { init_value: 0.02, peak_value: 1, warmup_steps: 2, decay_steps: 10, end_value: 0.1, exponent: 1 },
      { init_value: 0, peak_value: 0.5, warmup_steps: 0, decay_steps: 6, end_value: 0, exponent: 2 },
      { init_value: 0.1, peak_value: 0.25, warmup_steps: 3, decay_steps: 8, end_value: 0.05, exponent: 1 },
    ];
    // join_schedules: schedule i at step - boundary_(i-1) from boundary_(i-1) on; boundaries 10, 16.
    const optax = (t: number): number => {
      if (t < 10) return optaxWarmupCosine(t, cycles[0] as Required<WarmupCosineKwargs>);
      if (t < 16) return optaxWarmupCosine(t - 10, cycles[1] as Required<WarmupCosineKwargs>);
      return optaxWarmupCosine(t - 16, cycles[2] as Required<WarmupCosineKwargs>);
    };
    const s = sgdr(cycles);
    for (const t of [...range(0, 40), 1e12]) near(s(t), optax(t));
    expect([s(9), s(10), s(16), s(24), s(1e12)]).toEqual([s(9), 0.5, 0.1, 0.05, 0.05]);
    near(s(9), 0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * 7) / 8))); // one step before the first restart
    expect(sgdr([cycles[0] as WarmupCosineKwargs]).toJSON()).toMatchObject({ type: 'warmup' });
  });

  it('deliberate difference: with peak_value 0 optax drops end_value (alpha = 0); cosineAnnealing still reaches minValue', () => {
    const o = { init_value: 0.5, peak_value: 0, warmup_steps: 2, decay_steps: 6, end_value: 0.1, exponent: 1 };
    expect(optaxWarmupCosine(6, o)).toBe(0);
    expect(warmupCosineDecay(o)(6)).toBe(0.1);
    expect(warmupCosineDecay(o)(1)).toBe(optaxWarmupCosine(1, o)); // the warmup agrees
  });
});

describe('piecewise_interpolate_schedule as piecewiseInterpolate', () => {
  it('the optax docstring example (linear, {4: 0.1, 8: 0.01}): 1, 0.55, 0.1, 0.0505, 0.001, 0.001', () => {
    const s = piecewiseInterpolate({ interpolateType: 'linear', initialValue: 1, boundariesAndScales: { 4: 0.1, 8: 0.01 } });
    const printed = [0, 2, 4, 6, 8, 10].map((t) => s(t).toFixed(6));
    expect(printed).toEqual(['1.000000', '0.550000', '0.100000', '0.050500', '0.001000', '0.001000']);
    const optax = optaxPiecewise('linear', 1, { 4: 0.1, 8: 0.01 });
    for (const t of [...range(0, 12), 1e9, 2 ** 53 - 1]) near(s(t), optax(t));
  });

  it('cosine: v_i + (v_(i-1) - v_i) / 2 * (cos(pi * pct) + 1) between the running products', () => {
    const scales = { 10: 0.5, 30: 2, 35: 0.1 };
    const s = piecewiseInterpolate({ interpolateType: 'cosine', initialValue: 0.1, boundariesAndScales: scales });
    const optax = optaxPiecewise('cosine', 0.1, scales);
    for (const t of [...range(0, 50), 1e12, 2 ** 53 - 1]) near(s(t), optax(t));
    // Running products 0.1, 0.05, 0.1, 0.01, each reached AT its boundary, the last held.
    const last = 0.1 * 0.5 * 2 * 0.1; // cumprod, left to right as optax
    expect([s(0), s(10), s(30), s(35), s(36), s(1e12)]).toEqual([0.1, 0.05, 0.1, last, last, last]);
    near(s(5), 0.05 + (0.05 / 2) * (Math.cos(Math.PI * 0.5) + 1)); // the middle of [0, 10): 0.075
    near(s(20), 0.075);
    near(s(15), 0.1 + (-0.05 / 2) * (Math.cos(Math.PI * 0.25) + 1));
    expectRoundTrip(s, [...range(0, 50), 1e12]);
  });

  it('no boundaries: a constant initial value (optax with boundaries_and_scales None or {})', () => {
    for (const s of [
      piecewiseInterpolate({ interpolateType: 'linear', initialValue: 0.3 }),
      piecewiseInterpolate({ interpolateType: 'cosine', initialValue: 0.3, boundariesAndScales: {} }),
    ]) {
      for (const t of [0, 1, 1e9]) expect(s(t)).toBe(0.3);
      expect(s.toJSON()).toMatchObject({ boundariesAndScales: {} });
      expectRoundTrip(s, [0, 5]);
    }
  });

  it('a boundary at step 0 applies its scale from step 0 (optax: the interval [0, 0) is empty)', () => {
    const scales = { 0: 0.5, 10: 4 };
    for (const type of ['linear', 'cosine'] as const) {
      const s = piecewiseInterpolate({ interpolateType: type, initialValue: 1, boundariesAndScales: scales });
      const optax = optaxPiecewise(type, 1, scales);
      for (const t of range(0, 15)) near(s(t), optax(t));
      expect([s(0), s(10), s(11)]).toEqual([0.5, 2, 2]);
    }
  });

  it('keys are read in step order whatever order they are given in; a zero scale zeroes the rest', () => {
    const s = piecewiseInterpolate({ interpolateType: 'linear', initialValue: 2, boundariesAndScales: { 20: 3, 5: 0, 1: 0.5 } });
    expect(Object.keys(s.toJSON().boundariesAndScales as object)).toEqual(['1', '5', '20']);
    const optax = optaxPiecewise('linear', 2, { 1: 0.5, 5: 0, 20: 3 });
    for (const t of range(0, 25)) near(s(t), optax(t));
    expect([s(1), s(5), s(12), s(20)]).toEqual([1, 0, 0, 0]);
    const far = piecewiseInterpolate({ interpolateType: 'linear', initialValue: 1, boundariesAndScales: { [2 ** 53 - 1]: 0.5 } });
    near(far(2 ** 52), 0.75, 1e-12);
    expect(far(2 ** 53 - 1)).toBe(0.5);
    expectRoundTrip(far, [0, 2 ** 52, 2 ** 53 - 1]);
  });
});

describe("cosine_onecycle_schedule and linear_onecycle_schedule: optax's one-cycle convention", () => {
  it('cosineOnecycle = piecewise_interpolate(cosine, peak / div, {int(pct_start * T): div, T: 1 / (div * final_div)})', () => {
    for (const [T, pctStart, divFactor, finalDivFactor] of [
      [1000, 0.3, 25, 1e4],
      [37, 0.25, 10, 100],
      [5, 0.5, 4, 2],
    ] as const) {
      const peakValue = 0.2;
      const s = cosineOnecycle({ transitionSteps: T, peakValue, pctStart, divFactor, finalDivFactor });
      const a = Math.trunc(pctStart * T);
      const optax = optaxPiecewise('cosine', peakValue / divFactor, { [a]: divFactor, [T]: 1 / (divFactor * finalDivFactor) });
      for (const t of [...range(0, T + 5), 10 ** 9]) near(s(t), optax(t));
      const start = peakValue / divFactor;
      const end = start / finalDivFactor;
      expect(s(0)).toBe(start);
      expect(s(a)).toBe(peakValue);
      expect(s(T)).toBe(end);
      expect(s(10 ** 9)).toBe(end);
      if ((T - a) % 2 === 0) near(s(a + (T - a) / 2), (peakValue + end) / 2);
      expectRoundTrip(s, [...range(0, T + 2), 10 ** 9]);
    }
  });

  it('defaults as optax (pct_start 0.3, div_factor 25, final_div_factor 1e4), written into the JSON spec', () => {
    const s = cosineOnecycle({ transitionSteps: 1000, peakValue: 0.1 });
    expect(s.toJSON()).toEqual({
      type: 'cosineOnecycle',
      transitionSteps: 1000,
      peakValue: 0.1,
      pctStart: 0.3,
      divFactor: 25,
      finalDivFactor: 1e4,
    });
    near(s(0), 0.004);
    expect(s(300)).toBe(0.1);
    expect(s(1000)).toBe(0.1 / 25 / 1e4);
    near(s(150), 0.1 + ((0.004 - 0.1) / 2) * (Math.cos(Math.PI * 0.5) + 1));
  });

  it('pct_start 0 starts at the peak (optax key 0); transition_steps 1 goes from the peak to the end in one step', () => {
    const s = cosineOnecycle({ transitionSteps: 10, peakValue: 1, pctStart: 0 });
    expect(s(0)).toBe(1);
    near(s(5), (1 + 1 / 25 / 1e4) / 2);
    const one = cosineOnecycle({ transitionSteps: 1, peakValue: 1 }); // int(0.3 * 1) = 0
    expect([one(0), one(1)]).toEqual([1, 1 / 25 / 1e4]);
  });

  it('differs from PyTorch OneCycleLR (oneCycle): same start, peak and end values, one step later', () => {
    const optaxConvention = cosineOnecycle({ transitionSteps: 1000, peakValue: 0.1 });
    const pytorch = oneCycle({ maxValue: 0.1, totalSteps: 1000 }); // peak at 0.3 * 1000 - 1 = 299, end at 999
    expect(pytorch(299)).toBe(0.1);
    expect(optaxConvention(300)).toBe(0.1);
    expect(optaxConvention(299)).toBeLessThan(0.1);
    near(pytorch(999), optaxConvention(1000));
    // The fall is PyTorch's, one step later: (t - 299) / (999 - 299) there, (t + 1 - 300) / (1000 - 300) here.
    for (let t = 299; t <= 1200; t += 1) near(optaxConvention(t + 1), pytorch(t));
    expect(optaxConvention(999)).toBeGreaterThan(optaxConvention(1000));
  });

  it('linearOnecycle = piecewise_interpolate(linear, peak / div, {int(pct_start T): div, int(pct_final T): 1 / div, T: 1 / final_div})', () => {
    for (const [T, pctStart, pctFinal, divFactor, finalDivFactor] of [
      [100, 0.3, 0.85, 25, 1e4],
      [33, 0.2, 0.7, 10, 50],
      [7, 0, 0.5, 2, 2],
    ] as const) {
      const peakValue = 0.5;
      const s = linearOnecycle({ transitionSteps: T, peakValue, pctStart, pctFinal, divFactor, finalDivFactor });
      const a = Math.trunc(pctStart * T);
      const b = Math.trunc(pctFinal * T);
      const optax = optaxPiecewise('linear', peakValue / divFactor, { [a]: divFactor, [b]: 1 / divFactor, [T]: 1 / finalDivFactor });
      for (const t of [...range(0, T + 5), 10 ** 9]) near(s(t), optax(t));
      const start = peakValue / divFactor;
      expect([s(a), s(b), s(T), s(10 ** 9)]).toEqual([peakValue, start, start / finalDivFactor, start / finalDivFactor]);
      if (a > 0) expect(s(0)).toBe(start);
      expectRoundTrip(s, [...range(0, T + 2), 10 ** 9]);
    }
  });

  it('linearOnecycle defaults: peak at 30, back at the start at 85, the end at 100 (T = 100)', () => {
    const s = linearOnecycle({ transitionSteps: 100, peakValue: 0.1 });
    expect(s.toJSON()).toMatchObject({ pctStart: 0.3, pctFinal: 0.85, divFactor: 25, finalDivFactor: 1e4 });
    near(s(0), 0.004);
    near(s(15), 0.004 + (0.1 - 0.004) * 0.5);
    expect(s(30)).toBe(0.1);
    near(s(85), 0.004);
    near(s(100), 4e-7);
    near(s(90), 0.004 + (4e-7 - 0.004) * (5 / 15));
  });
});

describe("Hugging Face get_wsd_schedule decay_type '1-sqrt' is warmupStableDecay({ decayShape: 'sqrt' })", () => {
  it('factor = (1 - sqrt(progress)) * (1 - min_lr_ratio) + min_lr_ratio through the cooldown, min_lr_ratio after', () => {
    // HF _get_wsd_scheduler_lambda: progress = (step - W - S) / max(1, D) for W + S <= step < W + S + D.
    const lr = 0.4;
    const r = 0.05;
    const s = warmupStableDecay({
      peakValue: lr,
      warmupSteps: 4,
      stableSteps: 6,
      decaySteps: 16,
      initialValue: r * lr,
      minValue: r * lr,
      decayShape: 'sqrt',
    });
    // HF's linear warmup starts from min_lr_ratio too: (step / W) * (1 - r) + r.
    const hf = (step: number): number => {
      if (step < 10) return step < 4 ? (step / 4) * (1 - r) + r : 1;
      if (step < 26) return (1 - Math.sqrt((step - 10) / 16)) * (1 - r) + r;
      return r;
    };
    for (const step of [...range(0, 30), 1e12]) near(s(step), lr * hf(step));
    expect(s(10)).toBe(lr); // progress 0
    near(s(14), lr * (0.5 * (1 - r) + r)); // progress 1/4: 1 - sqrt(1/4) = 1/2
    near(s(26), r * lr);
    expect(s.toJSON()).toMatchObject({ decayShape: 'sqrt' });
  });
});

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

/** Expects a StepsizeError at exactly `path` for `value`, whose message starts with the path and shows the value. */
function expectError(action: () => unknown, path: string, value: unknown): StepsizeError {
  const error = expectStepsizeError(action, path);
  expect(Object.is(error.value, value) || JSON.stringify(error.value) === JSON.stringify(value), `value ${String(error.value)}`).toBe(true);
  expect(error.message).toContain(`got ${describeValue(value)}`);
  return error;
}

describe('invalid options: a StepsizeError naming the option path and the bad value', () => {
  it('cosineAnnealing exponent', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '2', null, 1e300]) {
      expectError(() => cosineAnnealing({ initialValue: 1, steps: 10, exponent: bad as number }), 'cosineAnnealing options.exponent', bad);
      expectError(() => scheduleFromJSON({ type: 'cosineAnnealing', initialValue: 1, steps: 10, exponent: bad }), '$.exponent', bad);
    }
  });

  it('piecewiseInterpolate options', () => {
    const ok = { interpolateType: 'linear', initialValue: 1, boundariesAndScales: { 10: 0.5 } } as const;
    const make = (options: Record<string, unknown>) => () => piecewiseInterpolate({ ...ok, ...options } as never);
    expectError(make({ interpolateType: 'cubic' }), 'piecewiseInterpolate options.interpolateType', 'cubic');
    expectError(make({ interpolateType: 'cos' }), 'piecewiseInterpolate options.interpolateType', 'cos');
    const missing = expect(() => piecewiseInterpolate({ initialValue: 1 } as never));
    missing.toThrow(StepsizeError);
    missing.toThrow(/^piecewiseInterpolate options\.interpolateType is required/);
    for (const bad of [-1, Number.NaN, '1', 1e300])
      expectError(make({ initialValue: bad }), 'piecewiseInterpolate options.initialValue', bad);
    for (const bad of [[0.5], 5, 'x', null])
      expectError(make({ boundariesAndScales: bad }), 'piecewiseInterpolate options.boundariesAndScales', bad);
    for (const key of ['-1', '1.5', '01', 'abc', '', '9007199254740992', '1e3', ' 1']) {
      const e = expectError(
        make({ boundariesAndScales: { [key]: 0.5 } }),
        `piecewiseInterpolate options.boundariesAndScales[${JSON.stringify(key)}]`,
        key,
      );
      expect(e.message).toContain('keys must be integer steps >= 0');
    }
    for (const bad of [-0.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null, 1e300]) {
      expectError(make({ boundariesAndScales: { 3: 1, 10: bad } }), 'piecewiseInterpolate options.boundariesAndScales["10"]', bad);
    }
    // The running product must stay within the options' bound: 1e200 * 1e100 at step 7.
    const e = expectError(
      () => piecewiseInterpolate({ interpolateType: 'cosine', initialValue: 1e200, boundariesAndScales: { 2: 1, 7: 1e100 } }),
      'piecewiseInterpolate options.boundariesAndScales["7"]',
      1e100,
    );
    expect(e.message).toContain('value reached at step 7');
    expectError(make({ scales: {} }), 'piecewiseInterpolate options.scales', 'scales');
  });

  it('piecewiseInterpolate JSON specs report JSON paths; __proto__ keys never reach a prototype', () => {
    expectError(
      () =>
        scheduleFromJSON({ type: 'piecewiseInterpolate', interpolateType: 'linear', initialValue: 1, boundariesAndScales: { '10': -2 } }),
      '$.boundariesAndScales["10"]',
      -2,
    );
    expectError(
      () =>
        scheduleFromJSON(
          '{"type":"piecewiseInterpolate","interpolateType":"linear","initialValue":1,"boundariesAndScales":{"__proto__":{"polluted":true}}}',
        ),
      '$.boundariesAndScales["__proto__"]',
      '__proto__',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectError(
      () =>
        scheduleFromJSON({
          type: 'sequence',
          boundaries: [5],
          schedules: [
            { type: 'constant', value: 1 },
            { type: 'piecewiseInterpolate', interpolateType: 'linear', initialValue: 1, boundariesAndScales: { x: 1 } },
          ],
        }),
      '$.schedules[1].boundariesAndScales["x"]',
      'x',
    );
  });

  it('cosineOnecycle and linearOnecycle options', () => {
    for (const [type, build] of [
      ['cosineOnecycle', cosineOnecycle],
      ['linearOnecycle', linearOnecycle],
    ] as const) {
      const make = (options: Record<string, unknown>) => () => build({ transitionSteps: 100, peakValue: 1, ...options } as never);
      for (const bad of [0, -1, 2.5, Number.NaN, '100', 2 ** 53])
        expectError(make({ transitionSteps: bad }), `${type} options.transitionSteps`, bad);
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e300])
        expectError(make({ peakValue: bad }), `${type} options.peakValue`, bad);
      for (const bad of [1, 1.5, -0.1, Number.NaN]) expectError(make({ pctStart: bad }), `${type} options.pctStart`, bad);
      for (const bad of [0, -1, Number.NaN]) {
        expectError(make({ divFactor: bad }), `${type} options.divFactor`, bad);
        expectError(make({ finalDivFactor: bad }), `${type} options.finalDivFactor`, bad);
      }
      // Start and end values past the 1e280 bound.
      expect(expectError(make({ peakValue: 1e280, divFactor: 1e-3 }), `${type} options.divFactor`, 1e-3).message).toContain('start value');
      expectError(make({ peakValue: 1e280, divFactor: 1, finalDivFactor: 1e-3 }), `${type} options.finalDivFactor`, 1e-3);
      expectError(() => scheduleFromJSON({ type, transitionSteps: 100, peakValue: 1, pctStart: 1 }), '$.pctStart', 1);
      expectError(() => scheduleFromJSON({ type, transitionSteps: 100, peakValue: 1, totalSteps: 100 }), '$.totalSteps', 'totalSteps');
    }
    // linear: pct_final in (0, 1), and its boundary after pct_start's (optax would silently drop a phase).
    for (const bad of [0, 1, -0.5, Number.NaN]) {
      expectError(() => linearOnecycle({ transitionSteps: 100, peakValue: 1, pctFinal: bad }), 'linearOnecycle options.pctFinal', bad);
    }
    const e = expectError(
      () => linearOnecycle({ transitionSteps: 100, peakValue: 1, pctStart: 0.5, pctFinal: 0.505 }),
      'linearOnecycle options.pctFinal',
      0.505,
    );
    expect(e.message).toContain('floor(pctFinal * transitionSteps) = 50 at or before the previous one (50)');
    expectError(() => linearOnecycle({ transitionSteps: 1, peakValue: 1 }), 'linearOnecycle options.pctFinal', 0.85);
    expectError(
      () => linearOnecycle({ transitionSteps: 10, peakValue: 1, pctStart: 0.9, pctFinal: 0.6 }),
      'linearOnecycle options.pctFinal',
      0.6,
    );
  });
});

describe('catalogue, JSON Schema and JSON specs', () => {
  it('the new types are in scheduleTypes and the JSON Schema, which accepts their specs and refuses bad step keys', () => {
    for (const type of ['piecewiseInterpolate', 'cosineOnecycle', 'linearOnecycle']) expect(scheduleTypes).toContain(type);
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(scheduleJSONSchema());
    const specs = [
      piecewiseInterpolate({ interpolateType: 'cosine', initialValue: 1, boundariesAndScales: { 0: 0.5, 100: 0.1 } }).toJSON(),
      cosineOnecycle({ transitionSteps: 10, peakValue: 1 }).toJSON(),
      linearOnecycle({ transitionSteps: 10, peakValue: 1 }).toJSON(),
      cosineAnnealing({ initialValue: 1, steps: 10, exponent: 2 }).toJSON(),
    ];
    for (const spec of specs) expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    for (const boundariesAndScales of [{ '-1': 1 }, { '01': 1 }, { '1': -1 }, [1]]) {
      const spec = { type: 'piecewiseInterpolate', interpolateType: 'linear', initialValue: 1, boundariesAndScales };
      expect(validate(spec), JSON.stringify(spec)).toBe(false);
      expect(() => scheduleFromJSON(spec)).toThrow(StepsizeError);
    }
  });

  it('toJSON returns a copy: changing it does not change the schedule', () => {
    const s = piecewiseInterpolate({ interpolateType: 'linear', initialValue: 1, boundariesAndScales: { 10: 0.5 } });
    const spec = s.toJSON() as unknown as { boundariesAndScales: Record<string, number> };
    spec.boundariesAndScales['10'] = 7;
    expect(s.toJSON()).toMatchObject({ boundariesAndScales: { '10': 0.5 } });
    expect(s(10)).toBe(0.5);
  });
});
