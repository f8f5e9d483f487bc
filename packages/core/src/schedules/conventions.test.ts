/**
 * Conventions of the references that cannot run on this machine (Keras, optax,
 * Hugging Face transformers), plus PyTorch's momentum cycling and the large-step
 * contract. Every expected value is derived in the test from the reference's
 * published formula (cited next to it), never from the library's own output.
 *
 * Sources (read for these tests):
 * - Keras: keras/src/optimizers/schedules/learning_rate_schedule.py
 *   (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
 *   CosineDecay, CosineDecayRestarts) and the tf.keras.optimizers.schedules docs.
 * - optax: optax/schedules/_schedule.py (exponential_decay, polynomial_schedule,
 *   linear_schedule, cosine_decay_schedule, piecewise_constant_schedule,
 *   warmup_cosine_decay_schedule) and optax/schedules/_join.py (join_schedules).
 * - Hugging Face: src/transformers/optimization.py (get_inverse_sqrt_schedule,
 *   get_wsd_schedule, get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup,
 *   get_polynomial_decay_schedule_with_warmup, get_constant_schedule_with_warmup).
 * - PyTorch: torch/optim/lr_scheduler.py (OneCycleLR cycle_momentum, CyclicLR momentum).
 */
import { describe, expect, it } from 'vitest';
import {
  StepsizeError,
  constant,
  constantFactor,
  cosineAnnealing,
  cosineRestarts,
  cyclic,
  exponential,
  exponentialDecay,
  inverseSqrt,
  inverseTime,
  linear,
  linearFactor,
  multiStep,
  oneCycle,
  oneCycleMomentum,
  piecewiseConstant,
  polynomial,
  product,
  scale,
  sequence,
  stepDecay,
  warmup,
  warmupStableDecay,
  type Schedule,
} from '../index.js';

/** |actual - expected| <= 1e-12 * max(1, |expected|): absolute for small values, relative for large ones. */
function near(actual: number, expected: number, tolerance = 1e-12): void {
  expect(Math.abs(actual - expected), `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

/** Relative closeness, for values far below 1. */
function close(actual: number, expected: number, relative = 1e-12): void {
  expect(Math.abs(actual - expected), `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(relative * Math.abs(expected));
}

const MAX_STEP = 2 ** 53 - 1;

/** Exact `step mod m` for any safe integer, through BigInt (independent of float division). */
function mod(step: number, m: number): number {
  return Number(BigInt(step) % BigInt(m));
}

// ---------------------------------------------------------------------------
// Keras
// ---------------------------------------------------------------------------

describe('Keras (keras.optimizers.schedules)', () => {
  it('ExponentialDecay: initial * decay_rate ^ (step / decay_steps)', () => {
    // Keras ExponentialDecay.__call__: p = step / decay_steps; initial * decay_rate ** p.
    const s = exponentialDecay({ initialValue: 0.1, decayRate: 0.96, decaySteps: 100 });
    expect(s(0)).toBe(0.1);
    near(s(1), 0.1 * 0.96 ** (1 / 100));
    near(s(250), 0.1 * 0.96 ** 2.5);
    near(s(100_000), 0.1 * 0.96 ** 1000);
  });

  it('ExponentialDecay staircase: the exponent is floor(step / decay_steps)', () => {
    // Keras ExponentialDecay: `if self.staircase: p = floor(p)`.
    const s = exponentialDecay({ initialValue: 0.1, decayRate: 0.96, decaySteps: 100, staircase: true });
    expect(s(0)).toBe(0.1);
    expect(s(99)).toBe(0.1); // floor(0.99) = 0
    near(s(100), 0.1 * 0.96); // floor(1) = 1: the jump happens AT the multiple
    near(s(199), 0.1 * 0.96);
    near(s(200), 0.1 * 0.96 ** 2);
    near(s(250), 0.1 * 0.96 ** 2);
    // Keras casts decay_steps to float: a fractional decay_steps is allowed.
    const fractional = exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 2.5, staircase: true });
    expect(fractional(4)).toBe(0.5); // floor(4 / 2.5) = 1
    expect(fractional(5)).toBe(0.25); // floor(5 / 2.5) = 2
    expect(fractional(7)).toBe(0.25); // floor(2.8) = 2
  });

  it("PiecewiseConstantDecay: values[0] while step <= boundaries[0]; the value changes on the step AFTER a boundary ('previous', the default)", () => {
    // Keras PiecewiseConstantDecay docstring: "values[0] when step <= boundaries[0],
    // values[1] when step > boundaries[0] and step <= boundaries[1], ...,
    // values[-1] when step > boundaries[-1]".
    const keras = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.1] });
    expect([keras(0), keras(99), keras(100)]).toEqual([1, 1, 1]); // AT 100: still values[0]
    expect([keras(101), keras(109), keras(110)]).toEqual([0.5, 0.5, 0.5]); // AT 110: still values[1]
    expect([keras(111), keras(10 ** 9)]).toEqual([0.1, 0.1]);
    // A boundary at step 0: Keras gives values[0] at step 0 (0 <= 0) and values[1] from step 1.
    const atZero = piecewiseConstant({ boundaries: [0], values: [3, 2] });
    expect([atZero(0), atZero(1)]).toEqual([3, 2]);
  });

  it("atBoundary 'next' is optax piecewise_constant_schedule / PyTorch MultiStepLR: the value changes AT the boundary step", () => {
    // optax piecewise_constant_schedule: indicator = max(0, sign(threshold - count)) is 0 when
    // count == threshold, so the scale applies AT the boundary. With init 1 and
    // boundaries_and_scales {100: 0.5, 110: 0.2}: 1, then 0.5, then 0.5 * 0.2 = 0.1.
    const optax = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.5 * 0.2], atBoundary: 'next' });
    expect([optax(99), optax(100), optax(109), optax(110), optax(111)]).toEqual([1, 0.5, 0.5, 0.5 * 0.2, 0.5 * 0.2]);
    const atZero = piecewiseConstant({ boundaries: [0], values: [3, 2], atBoundary: 'next' });
    expect([atZero(0), atZero(1)]).toEqual([2, 2]);
    // PyTorch MultiStepLR(milestones=[100, 110], gamma=0.5) agrees with 'next' at the milestones.
    const torch = multiStep({ initialValue: 1, milestones: [100, 110], gamma: 0.5 });
    expect([torch(99), torch(100), torch(110)]).toEqual([1, 0.5, 0.25]);
  });

  it('PolynomialDecay: (initial - end) * (1 - min(step, decay_steps) / decay_steps) ^ power + end', () => {
    // Keras PolynomialDecay (cycle=False): step = min(step, decay_steps).
    const s = polynomial({ initialValue: 0.1, endValue: 0.01, steps: 100, power: 2 });
    expect(s(0)).toBe(0.1);
    near(s(50), (0.1 - 0.01) * 0.5 ** 2 + 0.01);
    near(s(100), 0.01);
    near(s(1000), 0.01);
    const sqrt = polynomial({ initialValue: 0.1, endValue: 0.01, steps: 10_000, power: 0.5 }); // the Keras docstring example
    near(sqrt(7500), (0.1 - 0.01) * Math.sqrt(0.25) + 0.01);
    // Deliberate difference: Keras defaults end_learning_rate to 0.0001; stepsize
    // defaults endValue to 0 (PyTorch PolynomialLR, optax polynomial_schedule), as documented.
    expect(polynomial({ initialValue: 1, steps: 10 })(10)).toBe(0);
  });

  it('PolynomialDecay cycle=True: decay_steps is stretched to decay_steps * ceil(step / decay_steps) (multiplier 1 at step 0)', () => {
    // Keras PolynomialDecay (cycle=True): multiplier = 1 if step == 0 else ceil(step / decay_steps);
    // decay_steps *= multiplier; p = step / decay_steps.
    const initial = 0.1;
    const end = 0.01;
    const keras = (step: number, decaySteps: number, power: number): number => {
      const multiplier = step === 0 ? 1 : Math.ceil(step / decaySteps);
      return (initial - end) * (1 - step / (decaySteps * multiplier)) ** power + end;
    };
    const s = polynomial({ initialValue: initial, endValue: end, steps: 10, cycle: true });
    expect(s(0)).toBe(0.1);
    near(s(5), 0.09 * 0.5 + 0.01);
    near(s(10), 0.01); // ceil(10 / 10) = 1: exactly the end of the first period
    // Second period: 20 steps long (the period doubles), restarting from a lower peak.
    near(s(11), 0.09 * (1 - 11 / 20) + 0.01);
    near(s(15), 0.09 * (1 - 15 / 20) + 0.01);
    near(s(20), 0.01);
    // Third period: 30 steps long.
    near(s(21), 0.09 * (1 - 21 / 30) + 0.01);
    near(s(30), 0.01);
    for (let step = 0; step <= 200; step += 1) near(s(step), keras(step, 10, 1));
    const squared = polynomial({ initialValue: initial, endValue: end, steps: 7, power: 2, cycle: true });
    for (let step = 0; step <= 100; step += 1) near(squared(step), keras(step, 7, 2));
  });

  it('InverseTimeDecay: initial / (1 + decay_rate * step / decay_steps)', () => {
    // Keras InverseTimeDecay: p = step / decay_steps; initial / (1 + decay_rate * p).
    const s = inverseTime({ initialValue: 0.1, decayRate: 0.5, decaySteps: 10 });
    expect(s(0)).toBe(0.1);
    near(s(15), 0.1 / (1 + 0.5 * 1.5));
    near(s(20), 0.1 / 2);
    near(s(1000), 0.1 / (1 + 0.5 * 100));
    // The Keras docstring example: decay_steps = 1.0, decay_rate = 0.5 (stepsize's default decaySteps is 1).
    near(inverseTime({ initialValue: 0.1, decayRate: 0.5 })(4), 0.1 / (1 + 0.5 * 4));
  });

  it('InverseTimeDecay staircase: initial / (1 + decay_rate * floor(step / decay_steps))', () => {
    const s = inverseTime({ initialValue: 0.1, decayRate: 0.5, decaySteps: 10, staircase: true });
    expect(s(9)).toBe(0.1);
    near(s(10), 0.1 / 1.5);
    near(s(15), 0.1 / 1.5);
    near(s(19), 0.1 / 1.5);
    near(s(20), 0.1 / 2);
  });

  describe('CosineDecayRestarts mapped to cosineRestarts { periodMultiplier: t_mul, peakDecay: m_mul, minValue: alpha * initial }', () => {
    /**
     * Keras CosineDecayRestarts.__call__, transcribed from the published formula:
     * f = step / first_decay_steps; for t_mul != 1:
     * i = floor(log(1 - f (1 - t_mul)) / log(t_mul)), sum_r = (1 - t_mul^i) / (1 - t_mul),
     * f = (f - sum_r) / t_mul^i; for t_mul == 1: i = floor(f), f -= i;
     * lr = initial * ((1 - alpha) * m_mul^i * 0.5 * (1 + cos(pi f)) + alpha).
     * The float logarithm can land one cycle off exactly AT a cycle boundary, so this
     * transcription is compared off the boundaries; boundaries are checked by hand below.
     */
    function keras(step: number, initial: number, first: number, tMul: number, mMul: number, alpha: number): number {
      let f = step / first;
      let i: number;
      if (tMul === 1) {
        i = Math.floor(f);
        f -= i;
      } else {
        i = Math.floor(Math.log(1 - f * (1 - tMul)) / Math.log(tMul));
        const sum = (1 - tMul ** i) / (1 - tMul);
        f = (f - sum) / tMul ** i;
      }
      return initial * ((1 - alpha) * mMul ** i * 0.5 * (1 + Math.cos(Math.PI * f)) + alpha);
    }
    /** Keras's value at the first step of cycle i: the cycle's peak, initial * ((1 - alpha) * m_mul^i + alpha). */
    const peak = (initial: number, mMul: number, alpha: number, i: number): number => initial * ((1 - alpha) * mMul ** i + alpha);

    it('t_mul = 2, m_mul = 0.5, alpha = 0.1 agrees with the Keras formula at every step off the boundaries', () => {
      const initial = 0.1;
      const s = cosineRestarts({ initialValue: initial, firstPeriod: 10, periodMultiplier: 2, peakDecay: 0.5, minValue: 0.1 * initial });
      // Cycles: [0, 10), [10, 30), [30, 70), [70, 150), [150, 310), [310, 630).
      const boundaries = [0, 10, 30, 70, 150, 310, 630];
      for (let step = 0; step <= 700; step += 1) {
        if (!boundaries.includes(step)) near(s(step), keras(step, initial, 10, 2, 0.5, 0.1));
      }
      boundaries.forEach((b, i) => {
        near(s(b), peak(initial, 0.5, 0.1, i));
      });
      // Mid-cycle of the third cycle (starts 30, lasts 40): height above the floor halved twice, cos(pi/2) = 0.
      near(s(50), initial * ((1 - 0.1) * 0.25 * 0.5 + 0.1));
    });

    it('exact cycle boundaries are the cycle peaks whatever the access order (t_mul = 2)', () => {
      const s = cosineRestarts({ initialValue: 1, firstPeriod: 10, periodMultiplier: 2, peakDecay: 0.5 });
      const boundaries = [10, 30, 70, 150, 310, 630, 1270];
      // Descending, then each boundary right after its predecessor step (the cached-cycle path).
      for (const [i, b] of [...boundaries.entries()].reverse()) expect(s(b)).toBe(0.5 ** (i + 1));
      for (const [i, b] of boundaries.entries()) {
        expect(s(b - 1)).toBeLessThan(0.5 ** i * 0.03); // last step of cycle i: (1 + cos(pi (L - 1) / L)) / 2 <= 0.0245
        expect(s(b)).toBe(0.5 ** (i + 1));
      }
    });

    it('a fractional t_mul = 1.5 agrees with Keras (cycles of 10, 15, 22.5, 33.75 ... steps)', () => {
      const initial = 0.2;
      const s = cosineRestarts({ initialValue: initial, firstPeriod: 10, periodMultiplier: 1.5, peakDecay: 0.5, minValue: 0.1 * initial });
      // Cycle starts: 0, 10, 25, 47.5, 81.25, 131.875, 207.8125 ... only 0, 10, 25 are integer steps.
      for (let step = 0; step <= 400; step += 1) {
        if (![0, 10, 25].includes(step)) near(s(step), keras(step, initial, 10, 1.5, 0.5, 0.1));
      }
      near(s(0), peak(initial, 0.5, 0.1, 0));
      near(s(10), peak(initial, 0.5, 0.1, 1));
      near(s(25), peak(initial, 0.5, 0.1, 2));
      // Step 48 is half a step into the fourth cycle (start 47.5, length 33.75).
      near(s(48), initial * ((1 - 0.1) * 0.5 ** 3 * 0.5 * (1 + Math.cos((Math.PI * 0.5) / 33.75)) + 0.1));
    });

    it('a fractional t_mul = 1.5 hits integer cycle boundaries exactly (8, 20, 38, 65)', () => {
      const s = cosineRestarts({ initialValue: 1, firstPeriod: 8, periodMultiplier: 1.5, peakDecay: 0.5 });
      // Cycle lengths 8, 12, 18, 27: starts 8, 8 + 12 = 20, 20 + 18 = 38, 38 + 27 = 65.
      [0, 8, 20, 38, 65].forEach((b, i) => {
        expect(s(b)).toBe(0.5 ** i);
      });
      // The step before each restart: cos(pi (L - 1) / L) of the previous cycle.
      near(s(7), 0.5 * (1 + Math.cos((Math.PI * 7) / 8)));
      near(s(19), 0.5 * 0.5 * (1 + Math.cos((Math.PI * 11) / 12)));
      near(s(64), 0.5 ** 3 * 0.5 * (1 + Math.cos((Math.PI * 26) / 27)));
      near(s(29), 0.5 ** 2 * 0.5); // 9 steps into the 18-step third cycle: cos(pi / 2) = 0
    });

    it('t_mul = 1 (Keras compute_step without geometry): i = floor(step / first_decay_steps)', () => {
      const initial = 0.5;
      const s = cosineRestarts({ initialValue: initial, firstPeriod: 7, peakDecay: 0.8, minValue: 0.2 * initial });
      for (let step = 0; step <= 100; step += 1) near(s(step), keras(step, initial, 7, 1, 0.8, 0.2));
    });
  });
});

// ---------------------------------------------------------------------------
// optax
// ---------------------------------------------------------------------------

describe('optax', () => {
  it('exponential_decay with transition_begin and end_value (a floor when decaying)', () => {
    // optax exponential_decay: decreased_count = count - transition_begin;
    // value = init if decreased_count <= 0 else init * rate ** (decreased_count / transition_steps);
    // then clipped with max(value, end_value) when decay_rate < 1.
    const s = exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, beginStep: 5, endValue: 0.2 });
    expect([s(0), s(5)]).toEqual([1, 1]);
    near(s(6), 0.5 ** 0.1);
    near(s(10), 0.5 ** 0.5);
    near(s(15), 0.5);
    near(s(25), 0.25);
    expect(s(30)).toBe(0.2); // 0.5 ** 2.5 = 0.177 is below the floor: clipped to 0.2
    expect(s(10 ** 6)).toBe(0.2);
    const stairs = exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, beginStep: 5, staircase: true, endValue: 0.2 });
    expect([stairs(14), stairs(15), stairs(24), stairs(25), stairs(35)]).toEqual([1, 0.5, 0.5, 0.25, 0.2]);
  });

  it('exponential_decay growing (decay_rate > 1): end_value is a ceiling', () => {
    // optax: clip_fn = jnp.minimum when decay_rate >= 1.
    const s = exponentialDecay({ initialValue: 1, decayRate: 2, decaySteps: 10, beginStep: 4, endValue: 3 });
    expect(s(4)).toBe(1);
    near(s(14), 2);
    near(s(19), 2 ** 1.5); // 2.83 < 3
    expect(s(20)).toBe(3); // 2 ** 1.6 = 3.03 > 3
    expect(s(MAX_STEP)).toBe(3);
    // Without a ceiling the growth overflows float64 at far steps: the call throws instead of returning Infinity.
    const unbounded = exponentialDecay({ initialValue: 1, decayRate: 2, decaySteps: 1 });
    expect(() => unbounded(5000)).toThrow(StepsizeError);
    // Deliberate difference: optax silently accepts an end_value on the wrong side of
    // init_value (the clip then pins the value to end_value); stepsize refuses it.
    expect(() => exponentialDecay({ initialValue: 1, decayRate: 2, decaySteps: 10, endValue: 0.5 })).toThrow(
      /endValue must be >= initialValue/,
    );
    expect(() => exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, endValue: 2 })).toThrow(
      /endValue must be <= initialValue/,
    );
  });

  it('linear_schedule with transition_begin: I before B, I + (t - B) / T * (E - I) on [B, B + T), E after', () => {
    const up = linear({ initialValue: 1, endValue: 3, steps: 4, beginStep: 10 });
    expect([up(0), up(9), up(10)]).toEqual([1, 1, 1]);
    near(up(11), 1 + (1 / 4) * (3 - 1));
    near(up(12), 2);
    near(up(13), 1 + (3 / 4) * (3 - 1));
    expect([up(14), up(15), up(MAX_STEP)]).toEqual([3, 3, 3]);
    // The optax docstring example: linear_schedule(1.0, 0.01, 100): 1 at 0, 0.01 at 100.
    const down = linear({ initialValue: 1, endValue: 0.01, steps: 100 });
    expect(down(0)).toBe(1);
    near(down(50), 1 + 0.5 * (0.01 - 1));
    expect(down(100)).toBe(0.01);
  });

  it('polynomial_schedule: (I - E) * (1 - clip(t - B, 0, T) / T) ^ P + E (the optax docstring example)', () => {
    // optax docstring: init 1.0, end 0.01, transition_steps 100, transition_begin 5, power 2:
    // counts 0, 5, 6, 104, 105, 110 give 1.0000, 1.0000, 0.9803, 0.0101, 0.0100, 0.0100.
    const s = polynomial({ initialValue: 1, endValue: 0.01, steps: 100, power: 2, beginStep: 5 });
    const optax = (count: number): number => {
      const c = Math.min(Math.max(count - 5, 0), 100);
      return (1 - 0.01) * (1 - c / 100) ** 2 + 0.01;
    };
    for (const count of [0, 5, 6, 50, 104, 105, 110, 10 ** 9]) near(s(count), optax(count));
    expect(s(6).toFixed(4)).toBe('0.9803');
    expect(s(104).toFixed(4)).toBe('0.0101');
    expect(s(110).toFixed(4)).toBe('0.0100');
  });

  it('cosine_decay_schedule: init * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha), held after the end', () => {
    // optax cosine_decay_schedule: count = min(count, decay_steps). alpha * init is minValue.
    const init = 2;
    const alpha = 0.1;
    const optax = (count: number): number => {
      const c = Math.min(count, 100);
      return init * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * c) / 100)) + alpha);
    };
    const s = cosineAnnealing({ initialValue: init, steps: 100, minValue: alpha * init });
    for (const count of [0, 1, 25, 50, 99, 100, 101, 150, 200, 10 ** 12]) near(s(count), optax(count));
    expect(s(100)).toBe(alpha * init);
    // Held: PyTorch would rise again after T_max (afterEnd: 'periodic'); optax and Keras CosineDecay hold.
    expect(s(199)).toBe(alpha * init);
    expect(s(MAX_STEP)).toBe(alpha * init);
  });

  it('join_schedules: schedules[i] runs at the re-based step (step - boundaries[i - 1]); the switch happens AT the boundary', () => {
    // optax join_schedules: output = where(step < boundary, output, schedule(step - boundary)).
    const joined = sequence({
      schedules: [
        linear({ initialValue: 0, endValue: 1, steps: 10 }),
        constant({ value: 0.5 }),
        exponential({ initialValue: 0.4, gamma: 0.5 }),
      ],
      boundaries: [10, 30],
    });
    near(joined(5), 0.5);
    near(joined(9), 0.9);
    expect([joined(10), joined(29)]).toEqual([0.5, 0.5]);
    expect(joined(30)).toBe(0.4); // exponential at its own step 0
    expect(joined(31)).toBe(0.2);
    expect(joined(33)).toBe(0.05);
  });

  it('warmup_cosine_decay_schedule = warmup(linear init -> peak) + cosineAnnealing over decay_steps - warmup_steps', () => {
    // optax warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value):
    // join_schedules([linear_schedule(init, peak, warmup), cosine_decay_schedule(peak, decay_steps - warmup,
    // alpha = end / peak)], [warmup]). Here init 0.1, peak 1, warmup 10, decay_steps 110, end 0.05.
    const init = 0.1;
    const peakValue = 1;
    const end = 0.05;
    const optax = (t: number): number => {
      if (t < 10) return init + (t / 10) * (peakValue - init);
      const c = Math.min(t - 10, 100);
      const alpha = end / peakValue;
      return peakValue * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * c) / 100)) + alpha);
    };
    const s = warmup({ steps: 10, startValue: init, schedule: cosineAnnealing({ initialValue: peakValue, steps: 100, minValue: end }) });
    for (let t = 0; t <= 130; t += 1) near(s(t), optax(t));
    expect(s(0)).toBe(init);
    expect(s(10)).toBe(peakValue);
    expect(s(110)).toBe(end);
    expect(s(10 ** 9)).toBe(end);
  });
});

// ---------------------------------------------------------------------------
// Hugging Face transformers
// ---------------------------------------------------------------------------

describe('Hugging Face transformers (optimization.py)', () => {
  /** HF _get_inverse_sqrt_schedule_lr_lambda, with timescale defaulting to `num_warmup_steps or 10_000`. */
  function hfInverseSqrt(step: number, warmupSteps: number, timescale = warmupSteps || 10_000): number {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const shift = timescale - warmupSteps;
    return 1 / Math.sqrt((step + shift) / timescale);
  }

  it('get_inverse_sqrt_schedule with warmup: linear from 0, then 1 / sqrt((step + timescale - warmup) / timescale), timescale = warmup', () => {
    const lr = 1.5;
    const s = inverseSqrt({ initialValue: lr, warmupSteps: 100 });
    expect(s(0)).toBe(0);
    near(s(50), lr * 0.5);
    near(s(100), lr);
    near(s(400), lr / 2); // (400 + 0) / 100 = 4
    for (const step of [1, 37, 99, 101, 1000, 12_345, 10 ** 9]) near(s(step), lr * hfInverseSqrt(step, 100));
    expect(s.toJSON()).toMatchObject({ warmupSteps: 100, timescale: 100 });
  });

  it('get_inverse_sqrt_schedule without warmup: the default timescale is 10 000', () => {
    const s = inverseSqrt({ initialValue: 1 });
    expect(s(0)).toBe(1); // (0 + 10000) / 10000 = 1
    near(s(30_000), 0.5); // (30000 + 10000) / 10000 = 4
    for (const step of [1, 5000, 99_999, 10 ** 7]) near(s(step), hfInverseSqrt(step, 0));
    expect(s.toJSON()).toMatchObject({ warmupSteps: 0, timescale: 10_000 });
  });

  it('get_inverse_sqrt_schedule with an explicit timescale', () => {
    const s = inverseSqrt({ initialValue: 1, warmupSteps: 100, timescale: 50 });
    near(s(100), 1); // shift = -50: (100 - 50) / 50 = 1
    near(s(250), 0.5); // (250 - 50) / 50 = 4
    for (const step of [0, 60, 101, 777, 10 ** 6]) near(s(step), hfInverseSqrt(step, 100, 50));
  });

  describe('get_wsd_schedule as warmupStableDecay (min_lr_ratio * lr -> minValue and initialValue)', () => {
    /**
     * HF _get_wsd_scheduler_lambda with warmup_type 'linear': warmup factor = progress * (1 - r) + r
     * (it starts from min_lr_ratio r, so stepsize's initialValue is r * lr), stable 1, then
     * factor = shape(progress) * (1 - r) + r until warmup + stable + decay, r after.
     */
    function hfWsd(
      step: number,
      warmupSteps: number,
      stableSteps: number,
      decaySteps: number,
      r: number,
      shape: (p: number) => number,
    ): number {
      if (step < warmupSteps) return (step / Math.max(1, warmupSteps)) * (1 - r) + r;
      if (step < warmupSteps + stableSteps) return 1;
      if (step < warmupSteps + stableSteps + decaySteps) {
        const progress = (step - warmupSteps - stableSteps) / Math.max(1, decaySteps);
        return shape(progress) * (1 - r) + r;
      }
      return r;
    }
    const shapes = {
      linear: (p: number) => 1 - p, // decay_type 'linear'
      cosine: (p: number) => 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * p)), // decay_type 'cosine', num_cycles 0.5
      sqrt: (p: number) => 1 - Math.sqrt(p), // decay_type '1-sqrt'
    } as const;

    for (const [decayShape, shape] of Object.entries(shapes) as [keyof typeof shapes, (p: number) => number][]) {
      it(`decay_type ${decayShape === 'sqrt' ? "'1-sqrt'" : `'${decayShape}'`} with min_lr_ratio 0.1`, () => {
        const lr = 2;
        const r = 0.1;
        const s = warmupStableDecay({
          peakValue: lr,
          warmupSteps: 10,
          stableSteps: 20,
          decaySteps: 40,
          initialValue: r * lr,
          minValue: r * lr,
          decayShape,
        });
        for (let step = 0; step <= 90; step += 1) near(s(step), lr * hfWsd(step, 10, 20, 40, r, shape));
        near(s(0), 0.2);
        near(s(5), 1.1); // 2 * (0.5 * 0.9 + 0.1)
        expect([s(10), s(29), s(30)]).toEqual([2, 2, 2]);
        near(s(40), lr * (shape(0.25) * 0.9 + 0.1));
        near(s(70), 0.2); // warmup + stable + decay: min_lr_ratio * lr
        near(s(10 ** 12), 0.2);
      });
    }

    it('min_lr_ratio 0 with the default initialValue 0 is HF with warmup from 0; the default shape differs (HF cosine, stepsize linear)', () => {
      const s = warmupStableDecay({ peakValue: 1, warmupSteps: 4, stableSteps: 0, decaySteps: 8 });
      for (let step = 0; step <= 20; step += 1) near(s(step), hfWsd(step, 4, 0, 8, 0, shapes.linear));
      expect(s(12)).toBe(0);
    });
  });

  it('get_cosine_schedule_with_warmup = warmup + cosineAnnealing(steps = training - warmup)', () => {
    // HF _get_cosine_schedule_with_warmup_lr_lambda: step / W during warmup, then
    // max(0, 0.5 * (1 + cos(pi * num_cycles * 2 * progress))), progress = (step - W) / (T - W), num_cycles 0.5.
    const lr = 2;
    const hf = (step: number): number => {
      if (step < 10) return step / 10;
      const progress = (step - 10) / (110 - 10);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
    };
    const s = warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: lr, steps: 100 }) });
    for (let step = 0; step <= 110; step += 1) near(s(step), lr * hf(step));
    expect(s(110)).toBe(0);
    // Past num_training_steps HF's cosine keeps going (progress > 1 climbs back up):
    // that is afterEnd 'periodic'; the default 'hold' stays at 0 (a deliberate, documented choice).
    const periodic = warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: lr, steps: 100, afterEnd: 'periodic' }) });
    for (let step = 111; step <= 400; step += 7) near(periodic(step), lr * hf(step));
    expect(s(160)).toBe(0);
  });

  it('get_cosine_with_min_lr_schedule_with_warmup: factor * (1 - min_lr_rate) + min_lr_rate is minValue = min_lr_rate * lr', () => {
    const lr = 1;
    const rate = 0.1;
    const hf = (step: number): number => {
      if (step < 5) return step / 5;
      const progress = (step - 5) / (25 - 5);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)) * (1 - rate) + rate);
    };
    const s = warmup({ steps: 5, schedule: cosineAnnealing({ initialValue: lr, steps: 20, minValue: rate * lr }) });
    for (let step = 0; step <= 25; step += 1) near(s(step), lr * hf(step));
  });

  it('get_linear_schedule_with_warmup = warmup + linear(lr -> 0 over training - warmup)', () => {
    // HF: step / W during warmup, then max(0, (T - step) / (T - W)).
    const hf = (step: number): number => (step < 8 ? step / 8 : Math.max(0, (50 - step) / (50 - 8)));
    const s = warmup({ steps: 8, schedule: linear({ initialValue: 1, endValue: 0, steps: 42 }) });
    for (let step = 0; step <= 60; step += 1) near(s(step), hf(step));
  });

  it('get_constant_schedule_with_warmup = warmup + constant', () => {
    const hf = (step: number): number => (step < 4 ? step / Math.max(1, 4) : 1);
    const s = warmup({ steps: 4, schedule: constant({ value: 0.3 }) });
    for (let step = 0; step <= 10; step += 1) near(s(step), 0.3 * hf(step));
  });

  it('get_polynomial_decay_schedule_with_warmup = warmup + polynomial(lr -> lr_end over training - warmup)', () => {
    // HF: warmup step / W; past T lr_end / lr; else ((lr - lr_end) * (1 - (step - W) / (T - W)) ** power + lr_end) / lr.
    const lr = 1e-3;
    const end = 1e-7;
    const hf = (step: number): number => {
      if (step < 10) return (step / 10) * lr;
      if (step > 100) return end;
      return (lr - end) * (1 - (step - 10) / 90) ** 2 + end;
    };
    const s = warmup({ steps: 10, schedule: polynomial({ initialValue: lr, endValue: end, steps: 90, power: 2 }) });
    for (let step = 0; step <= 120; step += 1) near(s(step), hf(step));
  });
});

// ---------------------------------------------------------------------------
// PyTorch momentum cycling (OneCycleLR cycle_momentum, CyclicLR momentum)
// ---------------------------------------------------------------------------

describe('momentum cycling', () => {
  /** PyTorch OneCycleLR._annealing_cos(start, end, pct) = end + (start - end) / 2 * (cos(pi * pct) + 1). */
  const annealCos = (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  /** PyTorch OneCycleLR._annealing_linear(start, end, pct) = (end - start) * pct + start. */
  const annealLinear = (start: number, end: number, pct: number): number => (end - start) * pct + start;

  it('oneCycleMomentum: max_momentum -> base_momentum over [0, pct_start * total - 1], back up to max at total - 1', () => {
    // OneCycleLR(total_steps=100, pct_start=0.3): phase ends at 0.3 * 100 - 1 = 29 and 99;
    // momentum phase 1 anneals max -> base, phase 2 base -> max (defaults 0.85, 0.95).
    const m = oneCycleMomentum({ totalSteps: 100 });
    const torch = (t: number): number => (t <= 29 ? annealCos(0.95, 0.85, t / 29) : annealCos(0.85, 0.95, (t - 29) / (99 - 29)));
    for (let t = 0; t <= 99; t += 1) near(m(t), torch(t));
    near(m(0), 0.95);
    near(m(29), 0.85);
    near(m(64), 0.9);
    near(m(99), 0.95);
    // PyTorch raises past total_steps; stepsize holds the end value.
    near(m(10 ** 9), 0.95);
  });

  it('oneCycleMomentum, linear and three-phase', () => {
    const lin = oneCycleMomentum({ totalSteps: 50, pctStart: 0.4, annealStrategy: 'linear', baseMomentum: 0.8, maxMomentum: 0.9 });
    // Phase ends: 0.4 * 50 - 1 = 19, 49.
    const torchLinear = (t: number): number => (t <= 19 ? annealLinear(0.9, 0.8, t / 19) : annealLinear(0.8, 0.9, (t - 19) / 30));
    for (let t = 0; t <= 49; t += 1) near(lin(t), torchLinear(t));
    // three_phase: ends at pct * total - 1 = 24, 2 * pct * total - 2 = 48, total - 1 = 99;
    // momentum max -> base, base -> max, then flat at max.
    const three = oneCycleMomentum({ totalSteps: 100, pctStart: 0.25, threePhase: true });
    const torchThree = (t: number): number => {
      if (t <= 24) return annealCos(0.95, 0.85, t / 24);
      if (t <= 48) return annealCos(0.85, 0.95, (t - 24) / 24);
      return annealCos(0.95, 0.95, (t - 48) / 51);
    };
    for (let t = 0; t <= 99; t += 1) near(three(t), torchThree(t));
    near(three(36), 0.9);
  });

  it('cyclic with maxValue < baseValue is the inverted wave PyTorch uses for momentum', () => {
    // PyTorch CyclicLR momentum: momentum = max_momentum - (max_momentum - base_momentum) * factor * scale,
    // i.e. baseValue = max_momentum (0.9), maxValue = base_momentum (0.8).
    const torch = (t: number, up: number, down: number, scaleOf: (cycle: number) => number): number => {
      const total = up + down;
      const cycle = Math.floor(1 + t / total);
      const x = 1 + t / total - cycle;
      const ratio = up / total;
      const factor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
      return 0.9 - (0.9 - 0.8) * factor * scaleOf(cycle);
    };
    const wave = cyclic({ baseValue: 0.9, maxValue: 0.8, stepSizeUp: 5 });
    near(wave(0), 0.9);
    near(wave(2), 0.9 - 0.1 * 0.4);
    near(wave(5), 0.8);
    near(wave(10), 0.9);
    for (let t = 0; t <= 60; t += 1)
      near(
        wave(t),
        torch(t, 5, 5, () => 1),
      );
    const asymmetric = cyclic({ baseValue: 0.9, maxValue: 0.8, stepSizeUp: 5, stepSizeDown: 15 });
    near(asymmetric(10), 0.9 - 0.1 * (2 / 3)); // x = 0.5, ratio 0.25: (0.5 - 1) / (0.25 - 1) = 2/3
    for (let t = 0; t <= 80; t += 1)
      near(
        asymmetric(t),
        torch(t, 5, 15, () => 1),
      );
    const halving = cyclic({ baseValue: 0.9, maxValue: 0.8, stepSizeUp: 5, mode: 'triangular2' });
    near(halving(15), 0.9 - 0.1 * 0.5); // the second cycle's dip is half as deep
    for (let t = 0; t <= 60; t += 1)
      near(
        halving(t),
        torch(t, 5, 5, (c) => 1 / 2 ** (c - 1)),
      );
    for (let t = 0; t <= 60; t += 1) expect(wave(t)).toBeLessThanOrEqual(0.9);
  });
});

// ---------------------------------------------------------------------------
// Large steps: closed form, exact, O(1)
// ---------------------------------------------------------------------------

describe('large steps (1e9, 1e12, 2^53 - 1) give the exact closed-form value', () => {
  it('cosineAnnealing periodic returns exactly initialValue at every multiple of 2 * steps, and minValue at odd multiples of steps', () => {
    const s = cosineAnnealing({ initialValue: 0.1, steps: 100, afterEnd: 'periodic' });
    expect(s(2 * 100 * 1e9)).toBe(0.1);
    expect(s(2 * 100 * 1e9 + 100)).toBe(0);
    expect(s(1e12)).toBe(0.1); // 1e12 = 200 * 5e9
    near(s(1e12 + 50), 0.05); // a quarter period: (1 + cos(pi / 2)) / 2
    // 2^53 - 1: the position in the period is (2^53 - 1) mod 200, exactly.
    const r = mod(MAX_STEP, 200);
    near(s(MAX_STEP), (0.1 * (1 + Math.cos((Math.PI * r) / 100))) / 2);
    const withFloor = cosineAnnealing({ initialValue: 0.75, minValue: 0.25, steps: 1000, afterEnd: 'periodic' });
    expect(withFloor(2000 * 1e9)).toBe(0.75);
    expect(withFloor(2000 * 1e9 + 1000)).toBe(0.25);
    near(withFloor(2000 * 1e9 + 500), 0.5);
    // 'hold' (default) is minValue from `steps` on.
    expect(cosineAnnealing({ initialValue: 0.1, steps: 100, minValue: 0.01 })(MAX_STEP)).toBe(0.01);
  });

  it('cosineRestarts at far cycle boundaries is exactly the cycle peak', () => {
    // t_mul = 2, first period 1: cycle i starts at 2^i - 1; 2^53 - 1 starts cycle 53.
    const doubling = cosineRestarts({ initialValue: 0.5, firstPeriod: 1, periodMultiplier: 2 });
    expect(doubling(MAX_STEP)).toBe(0.5);
    expect(doubling(2 ** 52 - 1)).toBe(0.5);
    expect(doubling(2 ** 40 - 1)).toBe(0.5);
    expect(doubling(MAX_STEP - 1)).toBeLessThan(1e-15); // last step of the 2^52-step cycle: the floor, to float precision
    near(doubling(2 ** 52 - 1 + 2 ** 51), 0.25); // middle of cycle 52
    const decaying = cosineRestarts({ initialValue: 1, firstPeriod: 1, periodMultiplier: 2, peakDecay: 0.5 });
    expect(decaying(2 ** 52 - 1)).toBe(0.5 ** 52);
    expect(decaying(MAX_STEP)).toBe(0.5 ** 53);
    // t_mul = 1: every multiple of the period.
    const fixed = cosineRestarts({ initialValue: 0.3, firstPeriod: 10 });
    expect(fixed(1e9)).toBe(0.3);
    expect(fixed(1e12)).toBe(0.3);
    near(fixed(1e12 + 5), 0.15);
    const r = mod(MAX_STEP, 10);
    near(fixed(MAX_STEP), (0.3 * (1 + Math.cos((Math.PI * r) / 10))) / 2);
  });

  it('cosineRestarts with t_mul = 1.5 finds far integer boundaries exactly (first period 2^20, starts up to 1e10)', () => {
    // Cycle i starts at B_i = 2^20 * (1.5^i - 1) / 0.5 = 2^(21 - i) * (3^i - 2^i), an integer for i <= 21,
    // computed here in BigInt; cycle i lasts P_i = 2^(20 - i) * 3^i steps.
    const s = cosineRestarts({ initialValue: 1, firstPeriod: 2 ** 20, periodMultiplier: 1.5, peakDecay: 0.5 });
    const start = (i: number): number => Number(2n ** BigInt(21 - i) * (3n ** BigInt(i) - 2n ** BigInt(i)));
    const length = (i: number): number => 2 ** (20 - i) * 3 ** i;
    expect(start(21)).toBe(10_458_256_051);
    for (let i = 21; i >= 1; i -= 1) expect(s(start(i))).toBe(0.5 ** i); // descending, no cached cycle helps
    for (let i = 1; i <= 21; i += 1) {
      const before = start(i) - 1; // last step of cycle i - 1
      near(s(before), 0.5 ** (i - 1) * 0.5 * (1 + Math.cos((Math.PI * (length(i - 1) - 1)) / length(i - 1))));
      expect(s(start(i))).toBe(0.5 ** i);
      if (i <= 19) near(s(start(i) + length(i) / 2), 0.5 ** i * 0.5); // mid-cycle: cos(pi / 2) = 0
    }
  });

  it('the other closed forms at 1e9, 1e12 and 2^53 - 1', () => {
    // Keras/optax exponential decay: 0.5 ^ (1e12 / 1e11) = 2^-10.
    expect(exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 1e11 })(1e12)).toBe(2 ** -10);
    expect(exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 1e11, staircase: true })(1e12 + 5)).toBe(2 ** -10);
    expect(exponentialDecay({ initialValue: 1, decayRate: 0.5, decaySteps: 10, endValue: 0.125 })(MAX_STEP)).toBe(0.125);
    // PyTorch StepLR / MultiStepLR closed forms.
    expect(stepDecay({ initialValue: 1, stepSize: 1e8, gamma: 0.5 })(1e9)).toBe(2 ** -10);
    expect(multiStep({ initialValue: 1, milestones: [10, 1e12], gamma: 0.5 })(1e12)).toBe(0.25);
    expect(multiStep({ initialValue: 1, milestones: [10, 1e12], gamma: 0.5 })(1e12 - 1)).toBe(0.5);
    expect(exponential({ initialValue: 1, gamma: 0.5 })(1e12)).toBe(0); // underflows to 0, not NaN
    expect(exponential({ initialValue: 0.7, gamma: 1 })(MAX_STEP)).toBe(0.7);
    expect(piecewiseConstant({ boundaries: [1e12], values: [1, 0.5] })(1e12)).toBe(1);
    expect(piecewiseConstant({ boundaries: [1e12], values: [1, 0.5] })(MAX_STEP)).toBe(0.5);
    // Ramps end exactly at their end values.
    expect(linear({ initialValue: 0.3, endValue: 0.1, steps: 1000 })(MAX_STEP)).toBe(0.1);
    expect(polynomial({ initialValue: 1, endValue: 0.25, steps: 1000, power: 3 })(MAX_STEP)).toBe(0.25);
    expect(constantFactor({ initialValue: 0.5, factor: 0.1, steps: 5 })(MAX_STEP)).toBe(0.5);
    expect(linearFactor({ initialValue: 0.5, startFactor: 0.1, endFactor: 0.5, steps: 5 })(MAX_STEP)).toBe(0.25);
    // Keras PolynomialDecay cycle: at 1e12, ceil(1e12 / 100) periods end exactly there.
    const cycling = polynomial({ initialValue: 1, endValue: 0.25, steps: 100, cycle: true });
    expect(cycling(1e12)).toBe(0.25);
    near(cycling(1e12 + 50), 0.75 * (50 / (1e12 + 100)) + 0.25); // 1 - (1e12 + 50) / (1e12 + 100)
    // Hugging Face inverse sqrt: (1e12 + 100 - 100) / 100 = 1e10, sqrt = 1e5.
    expect(inverseSqrt({ initialValue: 1, warmupSteps: 100 })(1e12)).toBe(1e-5);
    // Default timescale 1e4: (t + 1e4) / 1e4 = 1e8 at t = 1e4 * (1e8 - 1).
    expect(inverseSqrt({ initialValue: 1 })(1e4 * (1e8 - 1))).toBe(1e-4);
    close(inverseTime({ initialValue: 1, decayRate: 1 })(1e12), 1 / (1 + 1e12));
    close(
      inverseTime({ initialValue: 1, decayRate: 0.5, decaySteps: 3, staircase: true })(MAX_STEP),
      1 / (1 + 0.5 * Math.floor(MAX_STEP / 3)),
    );
    // WSD ends exactly at minValue for every shape.
    for (const decayShape of ['linear', 'cosine', 'sqrt'] as const) {
      expect(
        warmupStableDecay({ peakValue: 1, warmupSteps: 10, stableSteps: 10, decaySteps: 10, minValue: 0.125, decayShape })(MAX_STEP),
      ).toBe(0.125);
    }
    // One-cycle holds its end value (PyTorch raises past total_steps).
    expect(oneCycleMomentum({ totalSteps: 100 })(MAX_STEP)).toBeCloseTo(0.95, 15);
    close(oneCycle({ maxValue: 0.1, totalSteps: 100 })(MAX_STEP), 0.1 / 25 / 1e4);
    // Composites re-base and hold.
    const composed = warmup({ steps: 1000, schedule: cosineAnnealing({ initialValue: 1, steps: 1e9, minValue: 0.5 }) });
    expect(composed(1e9 + 1000)).toBe(0.5);
    near(composed(5e8 + 1000), 0.75);
    const joined = sequence({
      schedules: [constant({ value: 1 }), linear({ initialValue: 1, endValue: 0, steps: 1e12 })],
      boundaries: [1e12],
    });
    near(joined(1.5e12), 0.5);
    expect(joined(MAX_STEP)).toBe(0);
    expect(product({ schedules: [constant({ value: 0.5 }), constant({ value: 0.25 })] })(MAX_STEP)).toBe(0.125);
    expect(scale({ schedule: constant({ value: 0.5 }), factor: 4 })(MAX_STEP)).toBe(2);
  });

  describe('cyclic at far steps: the position in the cycle is exact', () => {
    // PyTorch CyclicLR formula: cycle = floor(1 + t / total), x = 1 + t / total - cycle; factor = x / ratio
    // going up, (x - 1) / (ratio - 1) going down. Mathematically x = (t mod total) / total, so the value
    // at any step is a function of t mod total only: the Schedule contract ("evaluating step 10^9 is exact").
    it('a period dividing the step (4000 divides 1e12)', () => {
      const wave = cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: 2000 });
      expect(wave(1e12)).toBe(0); // 1e12 = 4000 * 2.5e8: bottom of a cycle
      expect(wave(1e12 + 2000)).toBe(1); // top
      near(wave(1e12 + 1000), 0.5);
    });

    it('period 10 at 1e9 + 3: x = 0.3 going up, factor 0.6', () => {
      const short = cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: 5 });
      expect(mod(1e9 + 3, 10)).toBe(3);
      near(short(1e9 + 3), 0.6);
    });

    it('period 6 at 1e9 + 1: x = 5/6 going down, factor (5/6 - 1) / (1/2 - 1) = 1/3', () => {
      const thirds = cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: 3 });
      expect(mod(1e9 + 1, 6)).toBe(5);
      near(thirds(1e9 + 1), 1 / 3);
    });

    it('period 10 at 2^53 - 1: x = 0.1 going up, factor 0.2', () => {
      const short = cyclic({ baseValue: 0, maxValue: 1, stepSizeUp: 5 });
      expect(mod(MAX_STEP, 10)).toBe(1);
      near(short(MAX_STEP), 0.2);
    });
  });

  it('each evaluation is O(1): 100 000 random far steps per schedule finish (no loop over steps)', () => {
    // Deterministic PRNG (mulberry32), steps uniform over [0, 2^53 - 1].
    let seed = 0x5eed;
    const random32 = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const randomStep = (): number => (random32() % 2 ** 21) * 2 ** 32 + random32();
    const schedules: Schedule[] = [
      cosineAnnealing({ initialValue: 1, steps: 1000, afterEnd: 'periodic' }),
      cosineRestarts({ initialValue: 1, firstPeriod: 10, periodMultiplier: 1.5, peakDecay: 0.9, minValue: 0.1 }),
      cosineRestarts({ initialValue: 1, firstPeriod: 3, periodMultiplier: 2 }),
      cosineRestarts({ initialValue: 1, firstPeriod: 7 }),
      cyclic({ baseValue: 0.1, maxValue: 1, stepSizeUp: 7, stepSizeDown: 11, mode: 'triangular2' }),
      cyclic({ baseValue: 0.1, maxValue: 1, stepSizeUp: 7, mode: 'expRange', gamma: 0.999 }),
      polynomial({ initialValue: 1, endValue: 0.1, steps: 77, power: 1.5, cycle: true }),
      exponentialDecay({ initialValue: 1, decayRate: 0.9, decaySteps: 13, staircase: true }),
      inverseSqrt({ initialValue: 1, warmupSteps: 100 }),
      inverseTime({ initialValue: 1, decayRate: 0.5, decaySteps: 3 }),
      multiStep({ initialValue: 1, milestones: Array.from({ length: 1000 }, (_, i) => i * 1e9) }),
      warmupStableDecay({ peakValue: 1, warmupSteps: 10, stableSteps: 10, decaySteps: 10, decayShape: 'sqrt' }),
      oneCycle({ maxValue: 1, totalSteps: 1000, threePhase: true }),
      warmup({
        steps: 100,
        schedule: sequence({
          schedules: [constant({ value: 1 }), cosineAnnealing({ initialValue: 1, steps: 99, afterEnd: 'periodic' })],
          boundaries: [5e12],
        }),
      }),
    ];
    for (const s of schedules) {
      let sum = 0;
      for (let i = 0; i < 100_000; i += 1) sum += s(randomStep());
      expect(Number.isFinite(sum), s.type).toBe(true);
      expect(sum, s.type).toBeGreaterThanOrEqual(0);
    }
  });
});
