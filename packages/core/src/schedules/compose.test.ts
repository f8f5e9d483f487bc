/**
 * Composition (warmup, sequence, product, scale), metric-driven schedules inside
 * composites (reduce-on-plateau, AdaGrad-Norm), their JSON state, signal
 * validation, and the code-only custom schedules (lambdaFactor, multiplicative).
 * Expected values are derived by hand from the published formulas cited next
 * to each check, never from the library's own output.
 */
import { describe, expect, it } from 'vitest';
import {
  StepsizeError,
  adaGradNorm,
  constant,
  constantFactor,
  cosineAnnealing,
  exponential,
  lambdaFactor,
  linear,
  linearFactor,
  multiplicative,
  product,
  reduceOnPlateau,
  scale,
  scheduleFromJSON,
  sequence,
  stepDecay,
  warmup,
  type Schedule,
  type ScheduleSignal,
} from '../index.js';

function near(actual: number, expected: number, tolerance = 1e-12): void {
  expect(Math.abs(actual - expected), `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

/** Half cosine from `from` at t = 0 to `to` at t = steps, held after (optax cosine_decay_schedule, PyTorch CosineAnnealingLR up to T_max). */
function cosineAt(t: number, from: number, steps: number, to = 0): number {
  return to + (from - to) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, steps)) / steps));
}

/** Runs `action`, expects a StepsizeError and returns it. */
function stepsizeError(action: () => unknown): StepsizeError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StepsizeError);
    return error as StepsizeError;
  }
  throw new Error('expected a StepsizeError, nothing was thrown');
}

// ---------------------------------------------------------------------------
// warmup
// ---------------------------------------------------------------------------

describe('warmup', () => {
  it('linear: from startValue (default 0) to schedule(0) over `steps`, then the inner schedule', () => {
    // optax linear_schedule(init, peak, warmup): init + (t / warmup) * (peak - init);
    // HF get_constant_schedule_with_warmup: t / warmup (startValue 0).
    const fromZero = warmup({ steps: 10, schedule: constant({ value: 1 }) });
    for (let t = 0; t < 10; t += 1) near(fromZero(t), t / 10);
    expect([fromZero(10), fromZero(11), fromZero(10 ** 9)]).toEqual([1, 1, 1]);
    const fromStart = warmup({ steps: 10, startValue: 0.01, schedule: constant({ value: 1 }) });
    expect(fromStart(0)).toBe(0.01);
    for (let t = 0; t < 10; t += 1) near(fromStart(t), 0.01 + (t / 10) * (1 - 0.01));
    expect(fromStart(10)).toBe(1);
    // The target is the inner schedule's value at its own step 0, whatever it does next.
    const decaying = warmup({ steps: 4, schedule: exponential({ initialValue: 0.8, gamma: 0.5 }) });
    near(decaying(2), 0.4);
    expect([decaying(4), decaying(5), decaying(6)]).toEqual([0.8, 0.4, 0.2]);
    // A startValue above the target ramps down.
    const down = warmup({ steps: 4, startValue: 1, schedule: constant({ value: 0.2 }) });
    near(down(2), 0.6);
  });

  it('constant mode holds startValue for `steps` steps, and requires it', () => {
    const s = warmup({ steps: 5, mode: 'constant', startValue: 0.01, schedule: exponential({ initialValue: 1, gamma: 0.5 }) });
    expect([s(0), s(4)]).toEqual([0.01, 0.01]);
    expect([s(5), s(6), s(7)]).toEqual([1, 0.5, 0.25]);
    const error = stepsizeError(() => warmup({ steps: 5, mode: 'constant', schedule: constant({ value: 1 }) }));
    expect(error.path).toBe('warmup options.startValue');
    expect(error.message).toContain("is required when mode is 'constant'");
  });

  it('re-bases the inner schedule: it starts at its own step 0 when the warmup ends', () => {
    // HF get_cosine_schedule_with_warmup / optax warmup_cosine_decay_schedule: cosine over (t - warmup).
    const s = warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1, steps: 900, minValue: 0.1 }) });
    for (const k of [0, 1, 225, 450, 899, 900, 5000]) near(s(100 + k), cosineAt(k, 1, 900, 0.1));
    // Nested warmups re-base twice: the inner warmup starts at outer step 5.
    const nested = warmup({ steps: 5, schedule: warmup({ steps: 5, schedule: constant({ value: 1 }) }) });
    for (let t = 0; t <= 5; t += 1) expect(nested(t)).toBe(0); // ramps from 0 to the inner warmup's value at its step 0 (= 0)
    near(nested(7), 0.4);
    expect(nested(10)).toBe(1);
  });

  it('round-trips through JSON with its inner schedule', () => {
    const s = warmup({ steps: 10, startValue: 0.5, schedule: linear({ initialValue: 1, endValue: 0, steps: 10 }) });
    const spec = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
    expect(spec).toEqual({
      type: 'warmup',
      steps: 10,
      mode: 'linear',
      startValue: 0.5,
      schedule: { type: 'linear', initialValue: 1, endValue: 0, steps: 10, beginStep: 0 },
    });
    const restored = scheduleFromJSON(spec);
    near(restored(5), 0.75);
    near(restored(15), 0.5);
    expect(restored(25)).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// sequence
// ---------------------------------------------------------------------------

describe('sequence', () => {
  const three = (): Schedule =>
    sequence({
      schedules: [
        linear({ initialValue: 0, endValue: 1, steps: 10 }),
        constant({ value: 0.5 }),
        exponential({ initialValue: 0.4, gamma: 0.5 }),
      ],
      boundaries: [10, 30],
    });

  it('runs schedules[i] on [boundaries[i - 1], boundaries[i]) at the re-based step t - boundaries[i - 1]', () => {
    // optax join_schedules: where(step < boundary, previous, schedule(step - boundary)).
    const s = three();
    near(s(0), 0);
    near(s(9), 0.9);
    expect([s(10), s(29)]).toEqual([0.5, 0.5]); // AT 10: schedules[1] at its step 0
    expect([s(30), s(31), s(32)]).toEqual([0.4, 0.2, 0.1]); // schedules[2] at its steps 0, 1, 2
    expect(s(30 + 50)).toBe(0.4 * 0.5 ** 50);
  });

  it('is a PyTorch SequentialLR with each child re-based at its milestone', () => {
    // SequentialLR([LinearLR(start_factor=0.1, total_iters=4), ExponentialLR(gamma=0.9)], milestones=[4]), base lr 0.1:
    // 0.1 * (0.1 + 0.9 * t / 4) for t < 4, then 0.1 * 0.9 ** (t - 4).
    const s = sequence({
      schedules: [linearFactor({ initialValue: 0.1, startFactor: 0.1, steps: 4 }), exponential({ initialValue: 0.1, gamma: 0.9 })],
      boundaries: [4],
    });
    for (let t = 0; t < 4; t += 1) near(s(t), 0.1 * (0.1 + (0.9 * t) / 4));
    for (let t = 4; t < 20; t += 1) near(s(t), 0.1 * 0.9 ** (t - 4));
  });

  it('refuses boundaries that do not fit the schedules', () => {
    const two = [constant({ value: 1 }), constant({ value: 2 })];
    let error = stepsizeError(() => sequence({ schedules: two, boundaries: [5, 10] }));
    expect(error.path).toBe('sequence options.boundaries');
    expect(error.message).toBe('sequence options.boundaries must have schedules.length - 1 = 1 element, got an array of length 2');
    error = stepsizeError(() => sequence({ schedules: [...two, constant({ value: 3 })], boundaries: [5] }));
    expect(error.path).toBe('sequence options.boundaries');
    expect(error.message).toContain('must have schedules.length - 1 = 2 elements, got an array of length 1');
    error = stepsizeError(() => sequence({ schedules: two, boundaries: [] }));
    expect(error.path).toBe('sequence options.boundaries');
    expect(error.message).toContain('must have at least 1 element');
    error = stepsizeError(() => sequence({ schedules: [...two, constant({ value: 3 })], boundaries: [10, 10] }));
    expect(error.path).toBe('sequence options.boundaries[1]');
    expect(error.message).toContain('strictly increasing, got 10');
    error = stepsizeError(() => sequence({ schedules: two, boundaries: [0] }));
    expect(error.path).toBe('sequence options.boundaries[0]');
    expect(error.message).toContain('must be an integer >= 1, got 0');
    error = stepsizeError(() => sequence({ schedules: [constant({ value: 1 })], boundaries: [] }));
    expect(error.path).toBe('sequence options.schedules');
    expect(error.message).toContain('must hold at least 2 schedules');
    error = stepsizeError(() =>
      sequence({ schedules: [constant({ value: 1 }), ((t: number) => t) as unknown as Schedule], boundaries: [3] }),
    );
    expect(error.path).toBe('sequence options.schedules[1]');
    expect(error.message).toContain('must be a schedule made by stepsize');
    // In JSON the path is the JSON path.
    error = stepsizeError(() =>
      scheduleFromJSON({
        type: 'sequence',
        schedules: [
          { type: 'constant', value: 1 },
          { type: 'constant', value: 2 },
        ],
        boundaries: [3, 4],
      }),
    );
    expect(error.path).toBe('$.boundaries');
  });
});

// ---------------------------------------------------------------------------
// product, scale
// ---------------------------------------------------------------------------

describe('product and scale', () => {
  it('product multiplies the schedules at the same step (PyTorch ChainedScheduler of factors)', () => {
    // ChainedScheduler([StepLR(step_size=10, gamma=0.5), ExponentialLR(gamma=0.99)]) on base lr 0.1:
    // 0.1 * 0.5 ** floor(t / 10) * 0.99 ** t.
    const s = product({
      schedules: [stepDecay({ initialValue: 0.1, stepSize: 10, gamma: 0.5 }), exponential({ initialValue: 1, gamma: 0.99 })],
    });
    for (const t of [0, 1, 9, 10, 25, 100]) near(s(t), 0.1 * 0.5 ** Math.floor(t / 10) * 0.99 ** t);
    const threeFactors = product({
      schedules: [
        constant({ value: 0.5 }),
        constantFactor({ initialValue: 1, factor: 0.5, steps: 3 }),
        cosineAnnealing({ initialValue: 2, steps: 10 }),
      ],
    });
    near(threeFactors(0), 0.5 * 0.5 * 2);
    near(threeFactors(5), 0.5 * 1 * cosineAt(5, 2, 10));
    const fourFactors = product({
      schedules: [
        constant({ value: 0.5 }),
        constant({ value: 0.5 }),
        constant({ value: 2 }),
        linear({ initialValue: 3, endValue: 1, steps: 2 }),
      ],
    });
    expect([fourFactors(0), fourFactors(1), fourFactors(2)]).toEqual([1.5, 1, 0.5]);
  });

  it('scale multiplies by a constant factor >= 0', () => {
    const s = scale({ schedule: cosineAnnealing({ initialValue: 0.1, steps: 100 }), factor: 10 });
    for (const t of [0, 30, 100]) near(s(t), 10 * cosineAt(t, 0.1, 100));
    expect(scale({ schedule: constant({ value: 3 }), factor: 0 })(5)).toBe(0);
    const error = stepsizeError(() => scale({ schedule: constant({ value: 3 }), factor: -1 }));
    expect(error.path).toBe('scale options.factor');
    expect(error.message).toContain('-1');
  });
});

// ---------------------------------------------------------------------------
// metric-driven schedules in composites
// ---------------------------------------------------------------------------

describe('reduceOnPlateau (PyTorch ReduceLROnPlateau semantics)', () => {
  // ReduceLROnPlateau.step(metric): if is_better(metric, best): best = metric, bad = 0 else bad += 1;
  // if cooldown_counter > 0: cooldown_counter -= 1, bad = 0; if bad > patience: reduce, cooldown_counter = cooldown, bad = 0.
  // is_better ('min', 'rel'): metric < best * (1 - threshold). Reduction: new = max(old * factor, min_lr), applied if old - new > eps.

  it('counts observations without improvement, reduces after more than `patience`, and honours the relative threshold', () => {
    const s = reduceOnPlateau({ initialValue: 1, patience: 2, factor: 0.5 });
    const observe = (step: number, metric: number): void => s.observe({ step, metric });
    observe(0, 1); // best = 1
    observe(1, 0.99995); // not < 1 * (1 - 1e-4) = 0.9999: bad 1
    observe(2, 0.99991); // not < 0.9999: bad 2
    expect(s(3)).toBe(1);
    observe(3, 1.5); // bad 3 > 2: reduce
    expect(s(4)).toBe(0.5);
    observe(4, 0.5); // improvement: best 0.5, bad 0
    observe(5, 0.6);
    observe(6, 0.6);
    expect(s(7)).toBe(0.5);
    observe(7, 0.6); // bad 3 > 2: reduce
    expect(s(8)).toBe(0.25);
    expect(s.toJSON().state).toEqual({ value: 0.25, best: 0.5, badSteps: 0, cooldownRemaining: 0 });
  });

  it("mode 'max' with an absolute threshold, cooldown, minValue and eps", () => {
    // is_better ('max', 'abs'): metric > best + threshold.
    const s = reduceOnPlateau({
      initialValue: 1,
      mode: 'max',
      thresholdMode: 'abs',
      threshold: 0.1,
      patience: 0,
      cooldown: 2,
      factor: 0.5,
      minValue: 0.2,
    });
    s.observe({ step: 0, metric: 0.5 }); // best 0.5
    s.observe({ step: 1, metric: 0.55 }); // 0.55 is not > 0.6: bad 1 > 0: reduce to 0.5, cooldown 2
    expect(s(2)).toBe(0.5);
    s.observe({ step: 2, metric: 0.5 }); // bad 1, cooldown 2 -> 1, bad 0
    s.observe({ step: 3, metric: 0.5 }); // bad 1, cooldown 1 -> 0, bad 0
    expect(s(4)).toBe(0.5);
    s.observe({ step: 4, metric: 0.5 }); // bad 1 > 0: reduce to 0.25
    expect(s(5)).toBe(0.25);
    s.observe({ step: 5, metric: 0.7 }); // 0.7 > 0.6: improvement, but cooldown 2 -> 1
    s.observe({ step: 6, metric: 0.7 }); // bad 1, cooldown 1 -> 0, bad 0
    s.observe({ step: 7, metric: 0.7 }); // bad 1 > 0: max(0.125, 0.2) = 0.2 (the floor)
    expect(s(8)).toBe(0.2);
    s.observe({ step: 8, metric: 0 });
    s.observe({ step: 9, metric: 0 });
    s.observe({ step: 10, metric: 0 });
    s.observe({ step: 11, metric: 0 });
    expect(s(12)).toBe(0.2); // at the floor: 0.2 - 0.2 = 0 is not > eps
    // eps: a reduction smaller than eps is skipped.
    const tiny = reduceOnPlateau({ initialValue: 1e-8, patience: 0, factor: 0.5 });
    tiny.observe({ step: 0, metric: 1 });
    tiny.observe({ step: 1, metric: 1 }); // 1e-8 - 5e-9 = 5e-9 is not > eps = 1e-8
    expect(tiny(2)).toBe(1e-8);
  });

  it('after a warmup: signals during the warmup are ignored, later ones reach it with re-based steps', () => {
    const plateau = reduceOnPlateau({ initialValue: 1, patience: 1, factor: 0.5 });
    const s = warmup({ steps: 10, schedule: plateau });
    expect(s.stateful).toBe(true);
    // Ten worsening metrics during the warmup would trigger several reductions if counted.
    for (let step = 0; step < 10; step += 1) s.observe({ step, metric: 10 + step });
    expect((s.toJSON().schedule as { state: unknown }).state).toEqual({ value: 1, best: null, badSteps: 0, cooldownRemaining: 0 });
    for (let t = 0; t < 10; t += 1) near(s(t), t / 10); // the ramp still targets the plateau's value, 1
    s.observe({ step: 10, metric: 5 }); // best = 5
    s.observe({ step: 11, metric: 5 }); // bad 1
    expect(s(12)).toBe(1);
    s.observe({ step: 12, metric: 5 }); // bad 2 > 1: reduce
    expect(s(13)).toBe(0.5);
    expect(plateau(0)).toBe(0.5); // the composite drives the very schedule it was given

    // Re-basing is visible through a sequence inside the warmup: outer step 14 is inner step 4
    // (the plateau, active on [0, 5)), outer step 15 is inner step 5 (the constant part).
    const inner = reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.5 });
    const routed = warmup({ steps: 10, schedule: sequence({ schedules: [inner, constant({ value: 0.01 })], boundaries: [5] }) });
    routed.observe({ step: 14, metric: 1 }); // inner step 4: best = 1
    routed.observe({ step: 15, metric: 1 }); // inner step 5: the constant part, ignored
    routed.observe({ step: 16, metric: 1 }); // ignored
    expect(inner(0)).toBe(1);
    routed.observe({ step: 10, metric: 1 }); // inner step 0: bad 1 > 0: reduce
    expect(inner(0)).toBe(0.5);
    near(routed(5), 0.5 * 0.5); // the warmup ramp now targets 0.5
    expect(routed(14)).toBe(0.5);
    expect(routed(15)).toBe(0.01);
  });

  it('scales a cosine through product: the cosine keeps its shape, the scale drops by `factor` after `patience`', () => {
    const s = product({
      schedules: [cosineAnnealing({ initialValue: 1, steps: 100 }), reduceOnPlateau({ initialValue: 1, patience: 2, factor: 0.5 })],
    });
    expect(s.stateful).toBe(true);
    const metrics = [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8];
    // Reductions: best 0.9 at step 1; bad 1, 2, 3 at steps 2, 3, 4: reduce after step 4;
    // bad 1, 2, 3 at steps 5, 6, 7: reduce after step 7; step 8 improves.
    const scaleAfter = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25];
    metrics.forEach((metric, step) => {
      for (const t of [0, 17, 50, 99, 100, 150]) near(s(t), (step === 0 ? 1 : (scaleAfter[step - 1] as number)) * cosineAt(t, 1, 100));
      s.observe({ step, metric });
      for (const t of [0, 17, 50, 99, 100, 150]) near(s(t), (scaleAfter[step] as number) * cosineAt(t, 1, 100));
    });
  });
});

describe('adaGradNorm (Ward, Wu & Bottou 2019)', () => {
  it('value = initialValue / sqrt(b0^2 + sum of the squared gradient norms observed so far)', () => {
    const s = adaGradNorm({ initialValue: 0.1, initialNorm: 2 });
    expect(s.stateful).toBe(true);
    expect(s(0)).toBe(0.1 / 2);
    s.observe({ step: 0, gradientNorm: 3 });
    near(s(0), 0.1 / Math.sqrt(4 + 9));
    s.observe({ step: 1, gradientNorm: 6 });
    near(s(1), 0.1 / Math.sqrt(4 + 9 + 36)); // 0.1 / 7
    s.observe({ step: 2, metric: 123 }); // no gradient norm: nothing to add
    s.observe({ step: 3, gradientNorm: 0 });
    near(s(3), 0.1 / 7);
    expect(s.toJSON().state).toEqual({ accumulator: 49 });
    // Default b0 = 1: the value starts at initialValue.
    const d = adaGradNorm({ initialValue: 0.3 });
    expect(d(0)).toBe(0.3);
    const norms = [0.5, 1.25, 2, 0.75];
    norms.forEach((gradientNorm, step) => {
      d.observe({ step, gradientNorm });
    });
    near(d(4), 0.3 / Math.sqrt(1 + 0.25 + 1.5625 + 4 + 0.5625));
  });

  it('in a warmup it only accumulates after the warmup; the reduce-on-plateau part ignores gradient norms', () => {
    const s = warmup({ steps: 3, schedule: adaGradNorm({ initialValue: 1 }) });
    s.observe({ step: 0, gradientNorm: 100 });
    s.observe({ step: 2, gradientNorm: 100 });
    s.observe({ step: 3, gradientNorm: 2 });
    near(s(3), 1 / Math.sqrt(1 + 4));
    const plateau = reduceOnPlateau({ initialValue: 1, patience: 0 });
    for (let step = 0; step < 5; step += 1) plateau.observe({ step, gradientNorm: 1 });
    expect(plateau.toJSON().state).toEqual({ value: 1, best: null, badSteps: 0, cooldownRemaining: 0 });
  });
});

describe('JSON round trip of composites holding metric-driven state mid-run', () => {
  it('the restored schedule continues exactly as the original would', () => {
    // product(warmup(5, product(cosine, plateau)), adaGradNorm): every step observes metric 1 and gradient norm 1.
    // Plateau (patience 1, factor 0.5, cooldown 1), fed from step 5 on with re-based index k = step - 5:
    // k0 best; k1 bad 1; k2 bad 2 > 1: reduce, cooldown 1; k3 cooldown -> 0; k4 bad 1; k5 bad 2: reduce; ...
    // so reductions happen at k = 2, 5, 8, ...; AdaGrad-Norm after observing steps 0..t: 1 / sqrt(1 + (t + 1)).
    const build = (): Schedule =>
      product({
        schedules: [
          warmup({
            steps: 5,
            schedule: product({
              schedules: [
                cosineAnnealing({ initialValue: 1, steps: 200 }),
                reduceOnPlateau({ initialValue: 1, patience: 1, factor: 0.5, cooldown: 1 }),
              ],
            }),
          }),
          adaGradNorm({ initialValue: 1 }),
        ],
      });
    const reductionsAfter = (t: number): number => (t < 7 ? 0 : Math.floor((t - 5 - 2) / 3) + 1);
    const expected = (t: number): number => {
      const ramp = t < 5 ? t / 5 : cosineAt(t - 5, 1, 200) * 0.5 ** reductionsAfter(t);
      return ramp / Math.sqrt(t + 2);
    };
    const original = build();
    expect(original.stateful).toBe(true);
    const signal = (step: number): ScheduleSignal => ({ step, metric: 1, gradientNorm: 1 });
    for (let t = 0; t <= 7; t += 1) {
      original.observe(signal(t));
      near(original(t), expected(t));
    }
    // Mid-run: the plateau has just reduced and is in its cooldown.
    const text = JSON.stringify(original);
    const spec = JSON.parse(text) as { schedules: [{ schedule: { schedules: [unknown, { state: unknown }] } }, { state: unknown }] };
    expect(spec.schedules[0].schedule.schedules[1].state).toEqual({ value: 0.5, best: 1, badSteps: 0, cooldownRemaining: 1 });
    expect(spec.schedules[1].state).toEqual({ accumulator: 1 + 8 });
    const fromText = scheduleFromJSON(text);
    const fromObject = scheduleFromJSON(spec);
    expect(fromText.stateful).toBe(true);
    for (const t of [0, 3, 7, 100]) {
      expect(fromText(t)).toBe(original(t));
      expect(fromObject(t)).toBe(original(t));
    }
    for (let t = 8; t <= 40; t += 1) {
      for (const s of [original, fromText, fromObject]) s.observe(signal(t));
      near(original(t), expected(t));
      expect(fromText(t)).toBe(original(t));
      expect(fromObject(t)).toBe(original(t));
    }
    expect(fromText.toJSON()).toEqual(original.toJSON());
    // Restoring did not share state: the copies evolve independently.
    fromText.observe(signal(41));
    expect(fromText.toJSON()).not.toEqual(original.toJSON());
  });

  it('a fresh spec (no state) starts fresh; a bad state is refused with its path', () => {
    const s = scheduleFromJSON({ type: 'warmup', steps: 2, schedule: { type: 'reduceOnPlateau', initialValue: 0.1 } });
    expect(s.toJSON()).toMatchObject({ schedule: { state: { value: 0.1, best: null, badSteps: 0, cooldownRemaining: 0 } } });
    const error = stepsizeError(() =>
      scheduleFromJSON({
        type: 'warmup',
        steps: 2,
        schedule: { type: 'adaGradNorm', initialValue: 0.1, initialNorm: 2, state: { accumulator: 1 } },
      }),
    );
    expect(error.path).toBe('$.schedule.state.accumulator');
    expect(error.message).toContain('must be >= initialNorm^2 (4), got 1');
  });
});

describe('stateful flags and pure schedules', () => {
  it('stateful is true exactly when a metric-driven part is inside', () => {
    const plateau = (): Schedule => reduceOnPlateau({ initialValue: 1 });
    const cases: [Schedule, boolean][] = [
      [constant({ value: 1 }), false],
      [cosineAnnealing({ initialValue: 1, steps: 10 }), false],
      [lambdaFactor({ factor: () => 1 }), false],
      [multiplicative({ initialValue: 1, factor: () => 1 }), false],
      [plateau(), true],
      [adaGradNorm({ initialValue: 1 }), true],
      [warmup({ steps: 3, schedule: constant({ value: 1 }) }), false],
      [warmup({ steps: 3, schedule: plateau() }), true],
      [sequence({ schedules: [constant({ value: 1 }), constant({ value: 2 })], boundaries: [3] }), false],
      [sequence({ schedules: [constant({ value: 1 }), plateau()], boundaries: [3] }), true],
      [product({ schedules: [constant({ value: 1 }), constant({ value: 2 })] }), false],
      [product({ schedules: [constant({ value: 1 }), adaGradNorm({ initialValue: 1 })] }), true],
      [scale({ schedule: constant({ value: 1 }), factor: 2 }), false],
      [scale({ schedule: plateau(), factor: 2 }), true],
    ];
    for (const [s, stateful] of cases) expect(s.stateful, s.type).toBe(stateful);
    expect(scheduleFromJSON(JSON.stringify((cases[9] as [Schedule, boolean])[0])).stateful).toBe(true);
  });

  it('pure schedules ignore (valid) signals', () => {
    const pure = [
      constant({ value: 0.5 }),
      cosineAnnealing({ initialValue: 1, steps: 10 }),
      warmup({ steps: 3, schedule: cosineAnnealing({ initialValue: 1, steps: 10 }) }),
      product({ schedules: [constant({ value: 0.5 }), linear({ initialValue: 1, endValue: 0, steps: 10 })] }),
    ];
    for (const s of pure) {
      const before = [0, 3, 5, 9].map((t) => s(t));
      const spec = JSON.stringify(s);
      for (let step = 0; step < 20; step += 1) s.observe({ step, metric: 100 - step, gradientNorm: step });
      expect([0, 3, 5, 9].map((t) => s(t))).toEqual(before);
      expect(JSON.stringify(s)).toBe(spec);
      expect(s.toJSON()).not.toHaveProperty('state');
    }
  });

  it('a plateau in one part of a sequence only hears signals at steps where that part is active', () => {
    const early = reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.5 });
    const late = reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.5 });
    const s = sequence({ schedules: [early, late], boundaries: [10] });
    s.observe({ step: 0, metric: 1 });
    s.observe({ step: 9, metric: 1 }); // early: bad 1 > 0: reduce
    s.observe({ step: 10, metric: 1 }); // late, at its step 0: best
    expect([s(0), s(10)]).toEqual([0.5, 1]);
    s.observe({ step: 11, metric: 1 }); // late: reduce
    expect([s(0), s(10)]).toEqual([0.5, 0.5]);
  });
});

describe('observe refuses bad signals (and leaves the state untouched)', () => {
  const cases: [string, unknown, string, string][] = [
    ['NaN metric', { step: 0, metric: NaN }, 'metric', 'must be a finite number'],
    ['Infinity metric', { step: 0, metric: Infinity }, 'metric', 'got Infinity'],
    ['-Infinity metric', { step: 0, metric: -Infinity }, 'metric', 'got -Infinity'],
    ['string metric', { step: 0, metric: '0.5' }, 'metric', 'got "0.5"'],
    ['NaN gradientNorm', { step: 0, gradientNorm: NaN }, 'gradientNorm', 'must be a finite number >= 0, got NaN'],
    ['negative gradientNorm', { step: 0, gradientNorm: -1 }, 'gradientNorm', 'must be a finite number >= 0, got -1'],
    ['infinite gradientNorm', { step: 0, gradientNorm: Infinity }, 'gradientNorm', 'got Infinity'],
    [
      'unknown field',
      { step: 0, metric: 1, loss: 1 },
      'loss',
      'is not a signal field; known fields: step, metric, gradientNorm, got "loss"',
    ],
    ['neither metric nor gradientNorm', { step: 0 }, '', 'must carry a metric or a gradientNorm'],
    ['negative step', { step: -1, metric: 1 }, 'step', 'must be an integer step >= 0 (at most 2^53 - 1), got -1'],
    ['fractional step', { step: 1.5, metric: 1 }, 'step', 'got 1.5'],
    ['NaN step', { step: NaN, metric: 1 }, 'step', 'got NaN'],
    ['step 2^53', { step: 2 ** 53, metric: 1 }, 'step', 'got 9007199254740992'],
    ['string step', { step: '3', metric: 1 }, 'step', 'got "3"'],
    ['missing step', { metric: 1 }, 'step', 'got undefined'],
    ['null signal', null, '', 'must be an object { step, metric?, gradientNorm? }, got null'],
    ['number signal', 3, '', 'got 3'],
  ];

  for (const [label, signal, field, message] of cases) {
    it(label, () => {
      for (const s of [
        warmup({ steps: 2, schedule: reduceOnPlateau({ initialValue: 1 }) }),
        product({ schedules: [adaGradNorm({ initialValue: 1 }), reduceOnPlateau({ initialValue: 1 })] }),
        constant({ value: 1 }), // pure schedules validate signals too
      ]) {
        const before = JSON.stringify(s);
        const error = stepsizeError(() => s.observe(signal as ScheduleSignal));
        expect(error.path).toBe(`${s.type}.observe(signal)${field ? `.${field}` : ''}`);
        expect(error.message).toContain(message);
        expect(JSON.stringify(s)).toBe(before);
      }
    });
  }

  it('an overflowing gradient norm sum is refused', () => {
    const s = adaGradNorm({ initialValue: 1 });
    const error = stepsizeError(() => s.observe({ step: 0, gradientNorm: 1e200 }));
    expect(error.path).toBe('adaGradNorm.observe(signal).gradientNorm');
    expect(error.message).toContain('overflows the accumulator');
    expect(s(0)).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// custom functions (code only)
// ---------------------------------------------------------------------------

describe('lambdaFactor (PyTorch LambdaLR)', () => {
  it('value = initialValue * factor(step), in any order', () => {
    const s = lambdaFactor({ initialValue: 0.1, factor: (t) => 0.95 ** t });
    for (const t of [5, 0, 100, 3, 2]) near(s(t), 0.1 * 0.95 ** t);
    expect(lambdaFactor({ factor: (t) => t / 10 })(7)).toBe(0.7); // default initialValue 1
    expect(s.stateful).toBe(false);
  });

  it('a factor returning NaN, a negative, Infinity or a non-number raises StepsizeError naming the step', () => {
    const s = lambdaFactor({
      initialValue: 1,
      factor: (t) => (t === 7 ? NaN : t === 8 ? -0.5 : t === 9 ? Infinity : t === 10 ? ('1' as unknown as number) : 1),
    });
    expect(s(6)).toBe(1);
    const cases: [number, string][] = [
      [7, 'returned NaN'],
      [8, 'returned -0.5'],
      [9, 'returned Infinity'],
      [10, 'returned "1"'],
    ];
    for (const [step, returned] of cases) {
      const error = stepsizeError(() => s(step));
      expect(error.path).toBe(`lambdaFactor options.factor(${step})`);
      expect(error.message).toBe(`lambdaFactor options.factor(${step}) ${returned}: the factor function must return a finite number >= 0`);
    }
    expect(s(11)).toBe(1);
  });

  it('toJSON refuses, explaining that functions are code, not data (also inside composites)', () => {
    const s = lambdaFactor({ factor: () => 1 });
    for (const action of [() => s.toJSON(), () => JSON.stringify(s), () => JSON.stringify(warmup({ steps: 2, schedule: s }))]) {
      const error = stepsizeError(action);
      expect(error.path).toBe('lambdaFactor options.factor');
      expect(error.message).toMatch(/is a custom function, which JSON cannot hold: functions are code, not data/);
    }
  });

  it('refuses a non-function factor', () => {
    const error = stepsizeError(() => lambdaFactor({ factor: 0.5 as unknown as (t: number) => number }));
    expect(error.path).toBe('lambdaFactor options.factor');
    expect(error.message).toContain('must be a function (step) => number, got 0.5');
  });
});

describe('multiplicative (PyTorch MultiplicativeLR)', () => {
  const factor = (t: number): number => 1 - 1 / (t + 7);
  /** PyTorch MultiplicativeLR: lr_t = lr_{t-1} * lambda(t), in this order from lr_0 = base. */
  const byHand = (t: number, initial = 0.1): number => {
    let v = initial;
    for (let step = 1; step <= t; step += 1) v *= factor(step);
    return v;
  };

  it('value(t) = value(t - 1) * factor(t), bit for bit, for sequential then random access', () => {
    const s = multiplicative({ initialValue: 0.1, factor });
    expect(s(0)).toBe(0.1);
    for (let t = 0; t <= 3000; t += 1) expect(s(t)).toBe(byHand(t));
    for (const t of [2500, 100, 2999, 1024, 1023, 5000, 4096, 10, 5000, 3000, 0, 9000, 8191, 8192]) expect(s(t)).toBe(byHand(t));
    // Random access first, on a fresh schedule.
    const fresh = multiplicative({ initialValue: 0.1, factor });
    for (const t of [7000, 3, 2048, 7001, 6999]) expect(fresh(t)).toBe(byHand(t));
  });

  it('a factor returning NaN or a negative raises StepsizeError naming the step', () => {
    const s = multiplicative({ initialValue: 1, factor: (t) => (t === 7 ? NaN : t === 12 ? -2 : 0.5) });
    expect(s(6)).toBe(0.5 ** 6);
    let error = stepsizeError(() => s(7));
    expect(error.path).toBe('multiplicative options.factor(7)');
    expect(error.message).toContain('returned NaN');
    error = stepsizeError(() => s(100)); // reaching 100 multiplies through step 7 again
    expect(error.path).toBe('multiplicative options.factor(7)');
    expect(s(5)).toBe(0.5 ** 5); // earlier steps still work
    const negative = multiplicative({ initialValue: 1, factor: (t) => (t === 12 ? -2 : 1) });
    error = stepsizeError(() => negative(20));
    expect(error.path).toBe('multiplicative options.factor(12)');
    expect(error.message).toContain('returned -2');
  });

  it('toJSON refuses with a message about functions', () => {
    const s = multiplicative({ initialValue: 1, factor: () => 1 });
    const error = stepsizeError(() => JSON.stringify(s));
    expect(error.path).toBe('multiplicative options.factor');
    expect(error.message).toContain('functions are code, not data');
  });
});
