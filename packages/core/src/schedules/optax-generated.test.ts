/**
 * Every optax schedule the core README's "From optax" table maps, run by optax 0.2.8 itself
 * (tooling/goldens/optax_schedules.py, float32) on non-default options and edge cases. Each
 * optax call is translated here exactly as the table says, into a stepsize JSON spec, and each
 * value must agree within `1e-6 |optax| + 2^-23 max|optax|`: optax computes in float32, and where a
 * cosine nears its end `1 + cos(pi t / T)` cancels, so its error is a float32 unit of the
 * schedule's largest value, not of the small value left (measured: at most 0.7 of that unit).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from './schedule.js';
import { reduceOnPlateau } from './metric-driven.js';
import { scheduleFromJSON } from './spec.js';

interface GeneratedSchedule {
  readonly name: string;
  readonly optax: string;
  readonly options: Record<string, unknown>;
  readonly values: readonly number[];
}

interface GeneratedPlateau {
  readonly name: string;
  readonly options: Record<string, number>;
  /** The loss fed to each update. */
  readonly metrics: readonly number[];
  /** optax's scale after each update. */
  readonly values: readonly number[];
}

const fixture = JSON.parse(readFileSync(new URL('./test-support/optax-generated-schedules.json', import.meta.url), 'utf8')) as {
  readonly provenance: string;
  readonly schedules: readonly GeneratedSchedule[];
  readonly plateaus: readonly GeneratedPlateau[];
};

type Kwargs = Record<string, unknown>;
const num = (k: Kwargs, key: string, fallback?: number): number => {
  const value = k[key] ?? fallback;
  if (typeof value !== 'number') throw new Error(`optax option ${key} missing`);
  return value;
};

/** optax `boundaries_and_scales` as sorted boundaries and the running products of the scales. */
function runningProducts(init: number, boundariesAndScales: Record<string, number>): { boundaries: number[]; values: number[] } {
  const entries = Object.entries(boundariesAndScales)
    .map(([b, s]) => [Number(b), s] as const)
    .sort((a, b) => a[0] - b[0]);
  const values = [init];
  for (const [, s] of entries) values.push((values.at(-1) as number) * s);
  return { boundaries: entries.map(([b]) => b), values };
}

/** optax `warmup_cosine_decay_schedule(init, peak, W, D, end, exponent)` by the table: a warmup into a cosine of D - W steps. */
function warmupCosine(k: Kwargs): ScheduleSpec {
  const warmupSteps = num(k, 'warmup_steps');
  const cosine = {
    type: 'cosineAnnealing',
    initialValue: num(k, 'peak_value'),
    steps: num(k, 'decay_steps') - warmupSteps,
    minValue: num(k, 'end_value', 0),
    exponent: num(k, 'exponent', 1),
  };
  return warmupSteps === 0 ? cosine : { type: 'warmup', startValue: num(k, 'init_value'), steps: warmupSteps, schedule: cosine };
}

/** optax `exponential_decay` keyword arguments as `exponentialDecay`'s. */
function exponentialSpec(k: Kwargs, init = num(k, 'init_value')): ScheduleSpec {
  return {
    type: 'exponentialDecay',
    initialValue: init,
    decaySteps: num(k, 'transition_steps'),
    decayRate: num(k, 'decay_rate'),
    beginStep: num(k, 'transition_begin', 0),
    staircase: k.staircase === true,
    ...(k.end_value !== undefined && k.end_value !== null && { endValue: num(k, 'end_value') }),
  };
}

/** The core README's "From optax" table, as code. */
function fromOptax(name: string, k: Kwargs): ScheduleSpec {
  switch (name) {
    case 'constant_schedule':
      return { type: 'constant', value: num(k, 'value') };
    case 'linear_schedule':
      return {
        type: 'linear',
        initialValue: num(k, 'init_value'),
        endValue: num(k, 'end_value'),
        steps: num(k, 'transition_steps'),
        beginStep: num(k, 'transition_begin', 0),
      };
    case 'polynomial_schedule':
      return {
        type: 'polynomial',
        initialValue: num(k, 'init_value'),
        endValue: num(k, 'end_value'),
        power: num(k, 'power'),
        steps: num(k, 'transition_steps'),
        beginStep: num(k, 'transition_begin', 0),
      };
    case 'exponential_decay':
      return exponentialSpec(k);
    case 'piecewise_constant_schedule': {
      const { boundaries, values } = runningProducts(num(k, 'init_value'), k.boundaries_and_scales as Record<string, number>);
      return { type: 'piecewiseConstant', boundaries, values, atBoundary: 'next' };
    }
    case 'piecewise_interpolate_schedule':
      return {
        type: 'piecewiseInterpolate',
        interpolateType: k.interpolate_type as string,
        initialValue: num(k, 'init_value'),
        boundariesAndScales: k.boundaries_and_scales as Record<string, number>,
      };
    case 'cosine_decay_schedule':
      return {
        type: 'cosineAnnealing',
        initialValue: num(k, 'init_value'),
        steps: num(k, 'decay_steps'),
        minValue: num(k, 'alpha', 0) * num(k, 'init_value'),
        exponent: num(k, 'exponent', 1),
      };
    case 'warmup_cosine_decay_schedule':
      return warmupCosine(k);
    case 'warmup_exponential_decay_schedule':
      return {
        type: 'warmup',
        startValue: num(k, 'init_value'),
        steps: num(k, 'warmup_steps'),
        schedule: exponentialSpec(k, num(k, 'peak_value')),
      };
    case 'cosine_onecycle_schedule':
    case 'linear_onecycle_schedule':
      return {
        type: name === 'cosine_onecycle_schedule' ? 'cosineOnecycle' : 'linearOnecycle',
        transitionSteps: num(k, 'transition_steps'),
        peakValue: num(k, 'peak_value'),
        ...(k.pct_start !== undefined && { pctStart: num(k, 'pct_start') }),
        ...(k.pct_final !== undefined && { pctFinal: num(k, 'pct_final') }),
        ...(k.div_factor !== undefined && { divFactor: num(k, 'div_factor') }),
        ...(k.final_div_factor !== undefined && { finalDivFactor: num(k, 'final_div_factor') }),
      };
    case 'sgdr_schedule': {
      const cycles = k.cosine_kwargs as Kwargs[];
      let step = 0;
      const boundaries = cycles.slice(0, -1).map((c) => {
        step += num(c, 'decay_steps');
        return step;
      });
      return { type: 'sequence', schedules: cycles.map(warmupCosine), boundaries };
    }
    case 'join_schedules':
      return {
        type: 'sequence',
        schedules: (k.schedules as [string, Kwargs][]).map(([n, kw]) => fromOptax(n, kw)),
        boundaries: k.boundaries as number[],
      };
    default:
      throw new Error(`no mapping for optax ${name}`);
  }
}

describe('optax 0.2.8 schedules run by optax itself, mapped by the core README table', () => {
  it('names its provenance and covers every optax schedule of the table', () => {
    expect(fixture.provenance).toMatch(/^generated by tooling\/goldens\/optax_schedules\.py: optax 0\.2\.8, jax 0\.10\.2, float32$/);
    expect(new Set(fixture.schedules.map((s) => s.optax))).toEqual(
      new Set([
        'constant_schedule',
        'linear_schedule',
        'polynomial_schedule',
        'exponential_decay',
        'piecewise_constant_schedule',
        'piecewise_interpolate_schedule',
        'cosine_decay_schedule',
        'warmup_cosine_decay_schedule',
        'warmup_exponential_decay_schedule',
        'cosine_onecycle_schedule',
        'linear_onecycle_schedule',
        'sgdr_schedule',
        'join_schedules',
      ]),
    );
  });

  for (const reference of fixture.schedules) {
    it(`${reference.name}: optax ${reference.optax} over steps 0 to ${reference.values.length - 1}`, () => {
      const schedule = scheduleFromJSON(fromOptax(reference.optax, reference.options));
      const unit = 2 ** -23 * Math.max(...reference.values.map(Math.abs));
      reference.values.forEach((expected, step) => {
        const actual = schedule(step);
        const bound = 1e-6 * Math.abs(expected) + unit;
        expect(Math.abs(actual - expected), `step ${step}: stepsize ${actual}, optax ${expected}`).toBeLessThanOrEqual(bound);
      });
    });
  }
});

/**
 * optax `contrib.reduce_on_plateau(factor, patience, rtol, atol, cooldown, min_scale)` as the core
 * README maps it: a reduction after `patience` observations without improvement (PyTorch's, and
 * stepsize's, after more than `patience`: so `patience - 1`), improvement `v < (1 - rtol) best - atol`
 * (`thresholdMode: 'rel'` with `rtol` when `atol` is 0, `'abs'` with `atol` when `rtol` is 0), the
 * floor `min_scale`, and no `eps` (optax reduces whenever the floor allows).
 */
function plateauFromOptax(k: Record<string, number>) {
  const rtol = k.rtol ?? 1e-4;
  const atol = k.atol ?? 0;
  if (rtol !== 0 && atol !== 0) throw new Error('optax rtol and atol together have no stepsize equivalent');
  return reduceOnPlateau({
    initialValue: 1,
    factor: k.factor ?? 0.1,
    patience: (k.patience ?? 10) - 1,
    threshold: atol !== 0 ? atol : rtol,
    thresholdMode: atol !== 0 ? 'abs' : 'rel',
    cooldown: k.cooldown ?? 0,
    minValue: k.min_scale ?? 0,
    eps: 0,
  });
}

describe('optax 0.2.8 contrib.reduce_on_plateau, fed the same losses, as reduceOnPlateau', () => {
  it('holds four runs that reduce several times', () => {
    expect(fixture.plateaus.map((p) => p.name)).toEqual(['plateau_defaults', 'plateau_patient', 'plateau_cooldown_floor', 'plateau_one']);
    for (const p of fixture.plateaus) expect(new Set(p.values).size, p.name).toBeGreaterThan(2);
  });

  for (const reference of fixture.plateaus) {
    it(`${reference.name}: the scale after each of ${reference.metrics.length} losses`, () => {
      const schedule = plateauFromOptax(reference.options);
      reference.metrics.forEach((metric, step) => {
        schedule.observe({ step, metric });
        const expected = reference.values[step] as number;
        // optax multiplies its float32 scale by the factor in float32; stepsize in float64.
        expect(
          Math.abs(schedule(step + 1) - expected),
          `after loss ${step}: stepsize ${schedule(step + 1)}, optax ${expected}`,
        ).toBeLessThanOrEqual(1e-6 * expected);
      });
    });
  }
});
