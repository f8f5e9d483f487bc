/**
 * Conventions with no runnable reference on this machine (Keras, optax,
 * Hugging Face), and composition: expected values derived by hand from each
 * reference's published formula, cited next to each check.
 */
import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { adaGradNorm, reduceOnPlateau } from './metric-driven.js';
import { product, scale, sequence, warmup } from './compose.js';
import { constant } from './constant.js';
import { cosineAnnealing, cosineRestarts } from './cosine.js';
import { cyclic } from './cyclic.js';
import { exponential, exponentialDecay } from './exponential.js';
import { inverseSqrt, inverseTime } from './inverse.js';
import { linear, polynomial } from './linear.js';
import { oneCycleMomentum } from './one-cycle.js';
import { scheduleFromJSON } from './spec.js';
import { piecewiseConstant } from './stepwise.js';
import { warmupStableDecay } from './warmup-stable-decay.js';

const near = (actual: number, expected: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
};

describe('Keras (tf.keras.optimizers.schedules)', () => {
  it('ExponentialDecay: initial * rate^(step / decay_steps), floored when staircase', () => {
    const smooth = exponentialDecay({ initialValue: 0.1, decayRate: 0.96, decaySteps: 100 });
    const stairs = exponentialDecay({ initialValue: 0.1, decayRate: 0.96, decaySteps: 100, staircase: true });
    near(smooth(150), 0.1 * 0.96 ** 1.5);
    near(stairs(150), 0.1 * 0.96);
    near(stairs(99), 0.1);
  });

  it('PiecewiseConstantDecay: values[i] while step <= boundaries[i] (changes after the boundary); optax changes at it', () => {
    const keras = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.1] });
    expect([keras(99), keras(100), keras(101), keras(110), keras(111)]).toEqual([1, 1, 0.5, 0.5, 0.1]);
    const optax = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.1], atBoundary: 'next' });
    expect([optax(99), optax(100), optax(110)]).toEqual([1, 0.5, 0.1]);
  });

  it('PolynomialDecay: (initial - end)(1 - step/decay_steps)^power + end, and cycle stretches decay_steps to ceil(step/decay_steps) periods', () => {
    const plain = polynomial({ initialValue: 0.1, endValue: 0.01, steps: 100, power: 2 });
    near(plain(50), 0.09 * 0.25 + 0.01);
    near(plain(500), 0.01);
    const cycling = polynomial({ initialValue: 0.1, endValue: 0.01, steps: 100, power: 1, cycle: true });
    near(cycling(100), 0.01); // ceil(100/100) = 1 period
    near(cycling(150), 0.09 * (1 - 150 / 200) + 0.01); // ceil(1.5) = 2 periods
    near(cycling(0), 0.1);
  });

  it('InverseTimeDecay: initial / (1 + rate * step / decay_steps), floored when staircase', () => {
    near(inverseTime({ initialValue: 0.1, decayRate: 0.5, decaySteps: 10 })(15), 0.1 / (1 + 0.5 * 1.5));
    near(inverseTime({ initialValue: 0.1, decayRate: 0.5, decaySteps: 10, staircase: true })(15), 0.1 / 1.5);
  });

  it('CosineDecayRestarts: t_mul, m_mul and alpha (m_mul scales the height above alpha * initial)', () => {
    // Keras: i = floor(log(1 - f (1 - t_mul)) / log(t_mul)), f = step / first_decay_steps,
    // lr = initial * ((1 - alpha) * m_mul^i * (1 + cos(pi * frac)) / 2 + alpha).
    const initial = 0.1;
    const alpha = 0.1;
    const keras = (step: number): number => {
      const f = step / 10;
      const i = Math.floor(Math.log(1 - f * (1 - 2)) / Math.log(2));
      const sum = (1 - 2 ** i) / (1 - 2);
      const frac = (f - sum) / 2 ** i;
      return initial * ((1 - alpha) * 0.5 ** i * 0.5 * (1 + Math.cos(Math.PI * frac)) + alpha);
    };
    const ours = cosineRestarts({ initialValue: initial, firstPeriod: 10, periodMultiplier: 2, peakDecay: 0.5, minValue: alpha * initial });
    for (const step of [0, 5, 9, 11, 25, 29, 31, 69, 71, 200]) near(ours(step), keras(step));
    near(ours(10), 0.01 + 0.09 * 0.5); // second cycle starts at half the height
    near(ours(30), 0.01 + 0.09 * 0.25); // third cycle: 10 + 20 = 30
  });

  it('fractional t_mul finds cycle boundaries exactly, far out too', () => {
    const s = cosineRestarts({ initialValue: 1, firstPeriod: 8, periodMultiplier: 1.5 });
    // Boundaries: 8, 8 + 12 = 20, 20 + 18 = 38, 38 + 27 = 65.
    for (const start of [0, 8, 20, 38, 65]) expect(s(start)).toBe(1);
    near(s(20 + 9), 0.5); // middle of an 18-step cycle
    const integer = cosineRestarts({ initialValue: 1, firstPeriod: 3, periodMultiplier: 2 });
    const farStart = 3 * (2 ** 40 - 1); // sum of 40 doubling cycles
    expect(integer(farStart)).toBe(1);
    expect(integer(farStart - 1)).toBeLessThan(1e-20);
  });
});

describe('optax', () => {
  it('exponential_decay with transition_begin and end_value (floor when decaying, ceiling when growing)', () => {
    const decaying = exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, beginStep: 5, endValue: 0.2 });
    expect(decaying(5)).toBe(1);
    near(decaying(15), 0.5);
    expect(decaying(1000)).toBe(0.2);
    const growing = exponentialDecay({ initialValue: 1, decayRate: 2, decaySteps: 10, endValue: 3 });
    near(growing(10), 2);
    expect(growing(10_000)).toBe(3);
    expect(() => exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, endValue: 2 })).toThrow(StepsizeError);
  });

  it('linear_schedule with transition_begin; join_schedules re-bases steps; warmup_cosine_decay_schedule', () => {
    const ramp = linear({ initialValue: 1, endValue: 3, steps: 4, beginStep: 10 });
    expect([ramp(0), ramp(10), ramp(12), ramp(14), ramp(99)]).toEqual([1, 1, 2, 3, 3]);
    const joined = sequence({ schedules: [constant({ value: 1 }), exponential({ initialValue: 2, gamma: 0.5 })], boundaries: [10] });
    expect([joined(9), joined(10), joined(12)]).toEqual([1, 2, 0.5]);
    // optax.warmup_cosine_decay_schedule(init=0, peak=1, warmup=10, decay_steps=110, end=0.1):
    // linear 0 -> 1 over 10, then end + (peak - end)(1 + cos(pi (t - 10) / 100)) / 2.
    const s = warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 1, steps: 100, minValue: 0.1 }) });
    near(s(5), 0.5);
    near(s(60), 0.1 + 0.9 * 0.5);
    near(s(500), 0.1);
  });
});

describe('Hugging Face transformers', () => {
  it('get_inverse_sqrt_schedule: step / warmup, then 1 / sqrt((step + timescale - warmup) / timescale)', () => {
    const s = inverseSqrt({ initialValue: 1, warmupSteps: 100 });
    near(s(50), 0.5);
    near(s(100), 1);
    near(s(400), 1 / Math.sqrt(4));
    const noWarmup = inverseSqrt({ initialValue: 1 }); // timescale defaults to 10_000
    near(noWarmup(30_000), 1 / Math.sqrt(4));
    expect(noWarmup.toJSON()).toMatchObject({ timescale: 10_000 });
  });

  it('get_wsd_schedule: warmup, stable, then linear / cosine / 1 - sqrt decay to min_lr_ratio * lr', () => {
    const shapes = {
      linear: (p: number) => 1 - p,
      cosine: (p: number) => 0.5 * (1 + Math.cos(Math.PI * p)),
      sqrt: (p: number) => 1 - Math.sqrt(p),
    };
    for (const [decayShape, f] of Object.entries(shapes)) {
      const s = warmupStableDecay({
        peakValue: 2,
        warmupSteps: 10,
        stableSteps: 20,
        decaySteps: 40,
        minValue: 0.2,
        decayShape: decayShape as 'linear',
      });
      near(s(5), 1);
      expect(s(10)).toBe(2);
      expect(s(29)).toBe(2);
      near(s(40), 0.2 + 1.8 * f(0.25));
      near(s(70), 0.2);
      near(s(1000), 0.2);
    }
  });
});

describe('composition and metric-driven schedules', () => {
  it('constant warmup holds startValue, requires it, and re-bases the inner schedule', () => {
    const s = warmup({ steps: 5, mode: 'constant', startValue: 0.01, schedule: exponential({ initialValue: 1, gamma: 0.5 }) });
    expect([s(0), s(4), s(5), s(6)]).toEqual([0.01, 0.01, 1, 0.5]);
    expect(() => warmup({ steps: 5, mode: 'constant', schedule: constant({ value: 1 }) })).toThrow(
      /startValue is required when mode is 'constant'/,
    );
  });

  it('a plateau after a warmup ignores signals during the warmup and counts after it', () => {
    const plateau = reduceOnPlateau({ initialValue: 1, patience: 1, factor: 0.5 });
    const s = warmup({ steps: 10, schedule: plateau });
    for (let step = 0; step < 10; step += 1) s.observe({ step, metric: 5 }); // ignored
    expect(s.toJSON()).toMatchObject({ schedule: { state: { best: null } } });
    s.observe({ step: 10, metric: 5 }); // best = 5
    s.observe({ step: 11, metric: 5 }); // 1 bad
    expect(s(12)).toBe(1);
    s.observe({ step: 12, metric: 5 }); // 2 bad > patience: reduce
    expect(s(13)).toBe(0.5);
  });

  it('a plateau scales a cosine: the curve keeps its shape, scaled by factor after patience', () => {
    const cosine = cosineAnnealing({ initialValue: 1, steps: 100 });
    const s = product({ schedules: [cosine, reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.1 })] });
    s.observe({ step: 0, metric: 1 });
    expect(s(30)).toBe(cosine(30));
    s.observe({ step: 1, metric: 1 });
    near(s(30), 0.1 * cosine(30));
    expect(scale({ schedule: s, factor: 2 }).stateful).toBe(true);
  });

  it('AdaGrad-Norm: initial / sqrt(b0^2 + sum of squared gradient norms)', () => {
    const s = adaGradNorm({ initialValue: 0.1, initialNorm: 2 });
    expect(s(0)).toBe(0.05);
    s.observe({ step: 0, gradientNorm: 3 });
    s.observe({ step: 1, gradientNorm: 6 });
    near(s(2), 0.1 / Math.sqrt(4 + 9 + 36));
    s.observe({ step: 2, metric: 1 }); // no gradient norm: nothing to add
    near(scheduleFromJSON(JSON.stringify(s))(3), 0.1 / 7);
  });

  it('pure schedules ignore signals; every schedule refuses bad signals', () => {
    const pure = constant({ value: 1 });
    pure.observe({ step: 0, metric: 1 });
    expect(pure.stateful).toBe(false);
    const plateau = reduceOnPlateau({ initialValue: 1 });
    expect(() => plateau.observe({ step: 0, metric: NaN })).toThrow(/metric must be a finite number/);
    expect(() => plateau.observe({ step: 0, metric: Infinity })).toThrow(StepsizeError);
    expect(() => plateau.observe({ step: 0 })).toThrow(/must carry a metric or a gradientNorm/);
    expect(() => plateau.observe({ step: -1, metric: 1 })).toThrow(/step must be an integer step >= 0/);
    expect(() => plateau.observe({ step: 0, loss: 1 } as never)).toThrow(/loss is not a signal field/);
    expect(() => adaGradNorm({ initialValue: 1 }).observe({ step: 0, gradientNorm: -1 })).toThrow(
      /gradientNorm must be a finite number >= 0/,
    );
  });

  it('oneCycleMomentum mirrors the rate; cyclic with maxValue below baseValue inverts the wave', () => {
    const m = oneCycleMomentum({ totalSteps: 100 }); // phase ends at 29 and 99
    near(m(0), 0.95);
    near(m(29), 0.85);
    near(m(99), 0.95);
    const wave = cyclic({ baseValue: 0.9, maxValue: 0.8, stepSizeUp: 5 });
    near(wave(5), 0.8);
    near(wave(10), 0.9);
  });

  it('schedules refuse bad steps, naming the step', () => {
    const s = constant({ value: 1 });
    for (const bad of [-1, 1.5, NaN, 2 ** 53, Infinity]) expect(() => s(bad)).toThrow(/step must be an integer step >= 0/);
  });
});
