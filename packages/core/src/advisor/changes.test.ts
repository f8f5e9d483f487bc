import { describe, expect, it } from 'vitest';
import { scheduleFromJSON } from '../schedules/spec.js';
import { applyScheduleChanges, recordedSchedule } from './changes.js';

describe('applyScheduleChanges', () => {
  const base = { type: 'cosineAnnealing', initialValue: 0.1, steps: 100 } as const;
  const cosine = (t: number): number => 0.05 * (1 + Math.cos((Math.PI * Math.min(t, 100)) / 100));

  it('scalePeak multiplies every step', () => {
    const lr = scheduleFromJSON(applyScheduleChanges(base, [{ kind: 'scalePeak', factor: 0.5 }]));
    for (const t of [0, 30, 100]) expect(lr(t)).toBeCloseTo(0.5 * cosine(t), 15);
  });

  it('addWarmup ramps the factor from 1/steps to 1 over the first steps, keeping the timeline', () => {
    const lr = scheduleFromJSON(applyScheduleChanges(base, [{ kind: 'addWarmup', steps: 10 }]));
    // factor(t) = 0.1 + 0.9 · t / 10 for t < 10, then 1.
    expect(lr(0)).toBeCloseTo(0.1 * cosine(0), 15);
    expect(lr(5)).toBeCloseTo(0.55 * cosine(5), 15);
    expect(lr(50)).toBeCloseTo(cosine(50), 15);
  });

  it('decayFrom is a warmup-stable-decay cooldown: 1 until step, then linear to 0', () => {
    const lr = scheduleFromJSON(applyScheduleChanges({ type: 'constant', value: 0.2 }, [{ kind: 'decayFrom', step: 60, steps: 40 }]));
    expect(lr(60)).toBeCloseTo(0.2, 15);
    expect(lr(80)).toBeCloseTo(0.1, 15);
    expect(lr(100)).toBe(0);
    expect(lr(150)).toBe(0);
  });

  it('reduceOnPlateau multiplies by a metric-driven factor', () => {
    const lr = scheduleFromJSON(
      applyScheduleChanges({ type: 'constant', value: 0.2 }, [{ kind: 'reduceOnPlateau', factor: 0.5, patience: 0 }]),
    );
    lr.observe({ step: 0, metric: 1 });
    lr.observe({ step: 1, metric: 1 });
    expect(lr(2)).toBeCloseTo(0.1, 15);
  });

  it('leaves stopAt and clipGradientNorm to the run, and composes changes in order', () => {
    const spec = applyScheduleChanges(base, [
      { kind: 'stopAt', step: 50 },
      { kind: 'clipGradientNorm', maxNorm: 1 },
      { kind: 'scalePeak', factor: 2 },
    ]);
    expect(spec).toEqual({ type: 'scale', factor: 2, schedule: base });
  });

  it('refuses bad changes and bad bases, naming them', () => {
    expect(() => applyScheduleChanges(base, [{ kind: 'scalePeak', factor: -1 }])).toThrow(
      'applyScheduleChanges changes[0].factor must be a finite number > 0',
    );
    expect(() => applyScheduleChanges(base, [{ kind: 'addWarmup', steps: 1.5 }])).toThrow('changes[0].steps must be an integer > 0');
    expect(() => applyScheduleChanges(base, [{ kind: 'nope' } as never])).toThrow('changes[0].kind must be scalePeak');
    expect(() => applyScheduleChanges(base, [{ kind: 'reduceOnPlateau', factor: 1, patience: 2 }])).toThrow('factor must be below 1');
    expect(() => applyScheduleChanges({ type: 'cosineAnnealing' } as never, [])).toThrow(/initialValue/);
  });
});

describe('recordedSchedule', () => {
  it('is constant for one rate, piecewise constant for runs of rates, undefined otherwise', () => {
    expect(recordedSchedule([0.1, 0.1, 0.1], [0, 1, 2])).toEqual({ type: 'constant', value: 0.1 });
    const spec = recordedSchedule([0.1, 0.1, 0.01, 0.01], [0, 1, 2, 3]);
    expect(spec).toEqual({ type: 'piecewiseConstant', boundaries: [2], values: [0.1, 0.01], atBoundary: 'next' });
    const lr = scheduleFromJSON(spec);
    expect([0, 1, 2, 3].map((t) => lr(t))).toEqual([0.1, 0.1, 0.01, 0.01]);
    expect(recordedSchedule([0.1, Number.NaN], [0, 1])).toBeUndefined();
    expect(recordedSchedule(undefined, [])).toBeUndefined();
    expect(recordedSchedule([1, 2, 3, 4], [0, 1, 2, 3], 3)).toBeUndefined();
  });
});
