import type { ScheduleSpec } from '../schedules/schedule.js';
import { scheduleFromJSON } from '../schedules/spec.js';
import { fail, isPlainObject } from '../schedules/options.js';

/**
 * One concrete change a finding recommends, as data:
 * - `scalePeak`: multiply the learning rate at every step by `factor` (below 1 lowers the peak);
 * - `addWarmup`: ramp the rate linearly from `1/steps` of its value to all of it over the first `steps` steps;
 * - `decayFrom`: a warmup-stable-decay cooldown: from `step` on, multiply the rate by a factor
 *   falling linearly from 1 to 0 over `steps` steps (0 after);
 * - `reduceOnPlateau`: multiply the rate by `factor` each time the monitored loss has not improved for
 *   more than `patience` evaluations (core's `reduceOnPlateau`, PyTorch `ReduceLROnPlateau`);
 * - `stopAt`: end training after `step` updates (or keep the parameters of that step: early stopping);
 * - `clipGradientNorm`: the optimizer option of that name (PyTorch `clip_grad_norm_`).
 *
 * The first four change the schedule ({@link applyScheduleChanges}); the last two change the run.
 */
export type ScheduleChange =
  | { readonly kind: 'scalePeak'; readonly factor: number }
  | { readonly kind: 'addWarmup'; readonly steps: number }
  | { readonly kind: 'decayFrom'; readonly step: number; readonly steps: number }
  | { readonly kind: 'reduceOnPlateau'; readonly factor: number; readonly patience: number }
  | { readonly kind: 'stopAt'; readonly step: number }
  | { readonly kind: 'clipGradientNorm'; readonly maxNorm: number };

const where = 'applyScheduleChanges';

/** Checks one change (the kinds and their numbers). */
function checkChange(change: unknown, path: string): ScheduleChange {
  if (!isPlainObject(change)) fail(path, 'must be a change object { kind, ... }', change);
  const positive = (key: string, integer: boolean, allowZero = false): void => {
    const value = change[key];
    const ok = typeof value === 'number' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
    if (!ok || (integer && !Number.isSafeInteger(value))) {
      fail(`${path}.${key}`, `must be ${integer ? 'an integer' : 'a finite number'} ${allowZero ? '>= 0' : '> 0'}`, value);
    }
  };
  switch (change.kind) {
    case 'scalePeak':
      positive('factor', false);
      break;
    case 'addWarmup':
      positive('steps', true);
      break;
    case 'decayFrom':
      positive('step', true, true);
      positive('steps', true);
      break;
    case 'reduceOnPlateau':
      positive('factor', false);
      if ((change.factor as number) >= 1) fail(`${path}.factor`, 'must be below 1', change.factor);
      positive('patience', true, true);
      break;
    case 'stopAt':
      positive('step', true);
      break;
    case 'clipGradientNorm':
      positive('maxNorm', false);
      break;
    default:
      fail(`${path}.kind`, 'must be scalePeak, addWarmup, decayFrom, reduceOnPlateau, stopAt or clipGradientNorm', change.kind);
  }
  return change as ScheduleChange;
}

/**
 * The schedule with `changes` applied, as a JSON spec built from core's composites, so it
 * keeps the base schedule's timeline (every step means the same update as before):
 * `scalePeak` → `scale`; `addWarmup` → `product` with a `linearFactor` from `1/steps` to 1;
 * `decayFrom` → `product` with a `linear` factor from 1 to 0 starting at `step`;
 * `reduceOnPlateau` → `product` with a `reduceOnPlateau` factor (initial value 1).
 * `stopAt` and `clipGradientNorm` change the run, not the schedule, and are skipped here.
 * The result is checked by `scheduleFromJSON`; `base` may be a spec or a schedule.
 *
 * @example
 * ```ts
 * const spec = applyScheduleChanges({ type: 'constant', value: 0.1 }, [{ kind: 'scalePeak', factor: 0.1 }]);
 * scheduleFromJSON(spec)(0); // 0.01
 * ```
 */
export function applyScheduleChanges(base: ScheduleSpec | { toJSON(): ScheduleSpec }, changes: readonly ScheduleChange[]): ScheduleSpec {
  const start = typeof (base as { toJSON?: unknown }).toJSON === 'function' ? (base as { toJSON(): ScheduleSpec }).toJSON() : base;
  scheduleFromJSON(start);
  if (!Array.isArray(changes)) fail(`${where} changes`, 'must be an array of changes', changes);
  let spec = start as ScheduleSpec;
  changes.forEach((raw, i) => {
    const change = checkChange(raw, `${where} changes[${i}]`);
    const times = (factor: Record<string, unknown>): ScheduleSpec => ({ type: 'product', schedules: [spec, factor] }) as ScheduleSpec;
    if (change.kind === 'scalePeak') spec = { type: 'scale', factor: change.factor, schedule: spec } as ScheduleSpec;
    else if (change.kind === 'addWarmup') {
      spec = times({ type: 'linearFactor', initialValue: 1, startFactor: 1 / change.steps, endFactor: 1, steps: change.steps });
    } else if (change.kind === 'decayFrom') {
      spec = times({ type: 'linear', initialValue: 1, endValue: 0, steps: change.steps, beginStep: change.step });
    } else if (change.kind === 'reduceOnPlateau') {
      spec = times({ type: 'reduceOnPlateau', initialValue: 1, factor: change.factor, patience: change.patience });
    }
  });
  scheduleFromJSON(spec);
  return spec;
}

/**
 * The schedule a history was trained with, as a spec, when it can be told from the rates
 * alone: `constant` when every recorded rate is the same, else `piecewiseConstant` over the
 * runs of equal rates (at most `maxPieces`), else undefined (pass the spec you trained with).
 */
export function recordedSchedule(
  learningRates: readonly number[] | undefined,
  steps: readonly number[],
  maxPieces = 200,
): ScheduleSpec | undefined {
  if (learningRates === undefined || learningRates.some((rate) => !Number.isFinite(rate))) return undefined;
  const values: number[] = [];
  const boundaries: number[] = [];
  learningRates.forEach((rate, i) => {
    if (values.length === 0 || rate !== values[values.length - 1]) {
      if (values.length > 0) boundaries.push(steps[i] as number);
      values.push(rate);
    }
  });
  if (values.length === 0) return undefined;
  if (values.length === 1) return { type: 'constant', value: values[0] } as ScheduleSpec;
  if (values.length > maxPieces || boundaries[0] === 0 || boundaries.some((step) => !Number.isSafeInteger(step))) return undefined;
  return { type: 'piecewiseConstant', boundaries, values, atBoundary: 'next' } as ScheduleSpec;
}
