import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { scheduleFromJSON } from '../schedules/spec.js';
import { seededRandom } from '../training/random.js';
import { diagnose } from './diagnose.js';

/** Rows of a curve `loss(t)` with uniform noise of ± `noise` (seeded), at a constant rate unless given. */
function curve(steps: number, loss: (t: number) => number, noise = 0, learningRate: (t: number) => number = () => 0.01) {
  const random = seededRandom(3);
  return Array.from({ length: steps }, (_, step) => ({
    step,
    loss: loss(step) + noise * (2 * random() - 1),
    learningRate: learningRate(step),
  }));
}

const kinds = (input: unknown, options?: Parameters<typeof diagnose>[1]) => diagnose(input, options).findings.map((f) => f.kind);
const cosine = (t: number): number => 0.005 * (1 + Math.cos((Math.PI * t) / 400));

describe('diagnose on curves derived by formula', () => {
  it('healthy: a decaying loss with small noise under warmup + cosine', () => {
    const rows = curve(
      400,
      (t) => 1.1 * Math.exp(-t / 60) + 0.05,
      0.01,
      (t) => (t < 20 ? 0.01 * (t / 20) : cosine(t)),
    );
    const { findings } = diagnose(rows);
    expect(findings.map((f) => f.kind)).toEqual(['healthy']);
    expect(findings[0]?.recommendation.changes).toEqual([]);
  });

  it('slow: a loss that barely moves; 10 × the rate, as a spec on the recorded constant rate', () => {
    const rows = curve(300, (t) => 1.1 - 0.0001 * t, 0.01);
    const [finding] = diagnose(rows).findings;
    expect(finding?.kind).toBe('slow');
    expect(finding?.recommendation.changes).toEqual([{ kind: 'scalePeak', factor: 10 }]);
    expect(finding?.recommendation.schedule).toEqual({ type: 'scale', factor: 10, schedule: { type: 'constant', value: 0.01 } });
    // drop = 1 − L_end / L0 with L_end ≈ 1.1 − 0.0001 · 293 and L0 ≈ 1.1: about 2.7%.
    expect(finding?.evidence.find((e) => e.name === 'drop')?.value).toBeCloseTo(0.027, 2);
  });

  it('slow: a steady fall whose pace has not bent (exp(−t/1000) over 400 steps)', () => {
    const rows = curve(400, (t) => 2 * Math.exp(-t / 1000) + 0.001 * Math.sin(t));
    const [finding] = diagnose(rows).findings;
    expect(finding?.kind).toBe('slow');
    // the log-slope is −1/1000 per step everywhere: another 400 steps cut the loss by 1 − e^(−0.4) = 33.0%, at the average pace.
    expect(finding?.evidence.find((e) => e.name === 'projectedDrop')?.value).toBeCloseTo(1 - Math.exp(-0.4), 2);
    // ≈ 1 (L_end is the median of the last tenth, so the average pace is taken over 380 of the 399 steps: 399/380 ≈ 1.05).
    expect(finding?.evidence.find((e) => e.name === 'paceRatio')?.value).toBeCloseTo(399 / 380, 1);
    expect(finding?.recommendation.changes).toEqual([{ kind: 'scalePeak', factor: 10 }]);
  });

  it('diverging: the first non-finite loss', () => {
    const rows = curve(100, (t) => (t < 50 ? 1 - t / 100 : Number.NaN));
    const [finding] = diagnose(rows).findings;
    expect(finding?.kind).toBe('diverging');
    expect(finding?.severity).toBe('high');
    expect(finding?.evidence.find((e) => e.name === 'firstNonFiniteStep')?.value).toBe(50);
    expect(finding?.recommendation.changes[0]).toEqual({ kind: 'scalePeak', factor: 0.1 });
  });

  it('diverging: a finite rise that gives back the progress; the peak goes to the rate of the lowest loss', () => {
    // The rate rises linearly 0.001 -> 0.1; the loss falls until step 100 (rate 0.0505), then rises past the start.
    const rows = curve(
      200,
      (t) => (t < 100 ? 1 - 0.007 * t : 0.3 + 0.02 * (t - 100)),
      0,
      (t) => 0.001 + (0.099 * t) / 199,
    );
    const [finding] = diagnose(rows).findings;
    expect(finding?.kind).toBe('diverging');
    const factor = (finding?.recommendation.changes[0] as { factor: number } | undefined)?.factor;
    // lowest level at step ~100: rate 0.001 + 0.099 · 100 / 199 ≈ 0.0507 over a peak of 0.1 (capped at 0.5).
    expect(factor).toBeGreaterThan(0.45);
    expect(factor).toBeLessThanOrEqual(0.5);
  });

  it('oscillating: wide swings around a level that does not fall', () => {
    const rows = curve(400, (t) => (t < 20 ? 1.1 - 0.03 * t : 0.5), 0.45);
    expect(kinds(rows)[0]).toBe('oscillating');
  });

  it('plateau: flat for most of the run at a constant rate; a cooldown from where it flattened', () => {
    const rows = curve(400, (t) => 1.1 * Math.exp(-t / 20) + 0.1);
    const [finding] = diagnose(rows).findings;
    expect(finding?.kind).toBe('plateau');
    // flat once 1.1 e^(−t/20) <= 0.05 · (L0 − L_min) ≈ 0.055: t >= 20 ln 20 ≈ 60.
    const change = finding?.recommendation.changes[0] as { kind: string; step: number; steps: number };
    expect(change.kind).toBe('decayFrom');
    expect(change.step).toBeGreaterThanOrEqual(55);
    expect(change.step).toBeLessThanOrEqual(70);
    expect(change.step + change.steps).toBe(400);
    const lr = scheduleFromJSON(finding?.recommendation.schedule);
    expect(lr(change.step)).toBeCloseTo(0.01, 15);
    expect(lr(400)).toBe(0);
  });

  it('overfitting: validation loss up 50% from its minimum while training loss falls; stop at the minimum', () => {
    const rows = curve(400, (t) => Math.exp(-t / 100) + 0.01, 0.005).map((row) => ({
      ...row,
      ...(row.step % 20 === 0 && { valLoss: 0.4 + 0.2 * ((row.step - 200) / 200) ** 2 }),
    }));
    const finding = diagnose(rows).findings.find((f) => f.kind === 'overfitting');
    expect(finding?.steps.from).toBe(200);
    expect(finding?.recommendation.changes).toEqual([
      { kind: 'stopAt', step: 200 },
      { kind: 'decayFrom', step: 160, steps: 40 },
    ]);
  });

  it('spike: one bad point that recovers; clipping at twice the median gradient norm', () => {
    const rows = curve(300, (t) => 1.1 * Math.exp(-t / 50) + 0.05, 0.005).map((row) => ({
      ...row,
      loss: row.step === 150 ? row.loss + 3 : row.loss,
      gradientNorm: row.step === 150 ? 40 : 2,
    }));
    const finding = diagnose(rows).findings.find((f) => f.kind === 'spike');
    expect(finding?.steps).toEqual({ from: 150, to: 150 });
    expect(finding?.evidence.find((e) => e.name === 'jump')?.value).toBeCloseTo(3, 1);
    expect(finding?.evidence.find((e) => e.name === 'gradientNormRatio')?.value).toBe(20);
    expect(finding?.recommendation.changes).toEqual([{ kind: 'clipGradientNorm', maxNorm: 4 }]);
    // raising the threshold above the jump removes it
    expect(kinds(rows, { spikeRise: 5 })).not.toContain('spike');
  });

  it('builds the recommended spec on the schedule given in options', () => {
    const rows = curve(300, (t) => 1.1 - 0.0001 * t, 0.01, cosine);
    const schedule = { type: 'cosineAnnealing', initialValue: 0.01, steps: 400 } as const;
    const [finding] = diagnose(rows, { schedule }).findings;
    expect(finding?.recommendation.schedule).toEqual({ type: 'scale', factor: 10, schedule });
    // rates that are not piecewise constant, and no spec: the changes only
    expect(diagnose(rows).findings[0]?.recommendation.schedule).toBeUndefined();
  });

  it('refuses bad options and too short a history, naming them', () => {
    const rows = curve(50, () => 1);
    expect(() => diagnose(rows, { slowPace: 2 })).toThrow('diagnose options.slowPace must be a number in (0, 1), got 2');
    expect(() => diagnose(rows, { divergenceRatio: 1 })).toThrow('diagnose options.divergenceRatio must be a finite number > 1');
    expect(() => diagnose(rows, { window: 4 })).toThrow('diagnose options.window must be an odd integer >= 1, got 4');
    expect(() => diagnose(rows, { threshold: 1 } as never)).toThrow('diagnose options.threshold is not an option');
    expect(() => diagnose(rows, { schedule: { type: 'nope' } as never })).toThrow('diagnose options.schedule is not a valid schedule spec');
    expect(() => diagnose(curve(5, () => 1))).toThrow(StepsizeError);
    expect(() => diagnose(curve(5, () => 1))).toThrow('diagnose history needs at least 8 training losses');
    // a run that blew up at once is still read
    expect(
      kinds([
        { step: 0, loss: 1 },
        { step: 1, loss: Number.POSITIVE_INFINITY },
      ]),
    ).toEqual(['diverging']);
  });
});
