import type { LossHistory } from './history.js';
import { argMin, median, robustScale, rollingMedian } from './statistics.js';

/** The shared reading of a history that every detector starts from. */
export interface CurveProfile {
  readonly history: LossHistory;
  /** Points before the first non-finite loss. */
  readonly count: number;
  /** Index of the first non-finite loss, or -1. */
  readonly firstNonFinite: number;
  /** Steps and losses of the finite prefix. */
  readonly steps: readonly number[];
  readonly losses: readonly number[];
  /** Rolling-median window, in points (odd). */
  readonly window: number;
  /** The rolling median of the losses (see `rollingMedian`). */
  readonly level: readonly number[];
  /** L0: the first loss, or the median of the first 5 (or `window`, if fewer) losses when that is lower: the loss the run started from, even when it blew up at once. */
  readonly initial: number;
  /** L_end: the median of the last `coarseWindow` losses. */
  readonly final: number;
  /** Points of the coarse level that L_min and L_end are read on: the larger of `window` and a tenth of the run (odd), so that noise cannot make a rise. */
  readonly coarseWindow: number;
  /** L_min: the lowest rolling median over `coarseWindow` points, and its index. */
  readonly minimum: { readonly index: number; readonly value: number };
  /** Robust scale of the residuals `loss − level` over the second half of the finite prefix. */
  readonly lateNoise: number;
  /** True when every finite loss is > 0: trends are then fitted on `log(loss)`. */
  readonly logScale: boolean;
  /** The learning rate at each point of the finite prefix (NaN where unknown), or undefined. */
  readonly learningRates: readonly number[] | undefined;
  /** Steps covered by the whole history: last step − first step + 1. */
  readonly span: number;
}

/** The default window: `2 · ⌊clamp(n / 25, 5, 101) / 2⌋ + 1` points (about 4% of the run, at least 5). */
export function defaultWindow(points: number): number {
  const target = Math.min(101, Math.max(5, Math.round(points / 25)));
  return 2 * Math.floor(target / 2) + 1;
}

/** Reads the finite prefix of a history into a {@link CurveProfile}. */
export function profileOf(history: LossHistory, window: number | undefined): CurveProfile {
  const firstNonFinite = history.losses.findIndex((loss) => !Number.isFinite(loss));
  const count = firstNonFinite === -1 ? history.losses.length : firstNonFinite;
  const steps = history.steps.slice(0, count);
  const losses = history.losses.slice(0, count);
  const size = Math.min(window ?? defaultWindow(count), Math.max(1, count));
  const level = rollingMedian(losses, size);
  const coarse = Math.min(Math.max(1, count), 2 * Math.floor(Math.max(size, Math.round(count / 10)) / 2) + 1);
  const late = Math.floor(count / 2);
  const residuals = losses.slice(late).map((loss, i) => loss - (level[late + i] as number));
  const first = history.steps[0] ?? 0;
  const last = history.steps[history.steps.length - 1] ?? 0;
  return {
    history,
    count,
    firstNonFinite,
    steps,
    losses,
    window: size,
    level,
    initial: Math.min(losses[0] ?? Number.NaN, median(losses.slice(0, Math.min(5, size)))),
    final: median(losses.slice(Math.max(0, count - coarse))),
    coarseWindow: coarse,
    minimum: argMin(rollingMedian(losses, coarse)),
    lateNoise: residuals.length > 0 ? robustScale(residuals) : 0,
    logScale: losses.every((loss) => loss > 0),
    learningRates: history.learningRates?.slice(0, count),
    span: last - first + 1,
  };
}

/** The curve on the scale trends are fitted on: `log(loss)` when all losses are > 0, else `loss / |L0|`. */
export function trendScale(profile: CurveProfile, loss: number): number {
  return profile.logScale ? Math.log(loss) : loss / (Math.abs(profile.initial) || 1);
}

/** Rounds to 3 significant digits for evidence and sentences (exact values stay in the numbers). */
export function round3(value: number): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(3)) : value;
}

/** The highest recorded learning rate of the finite prefix, or undefined when none is known. */
export function peakRate(profile: CurveProfile): number | undefined {
  const known = profile.learningRates?.filter((rate) => Number.isFinite(rate)) ?? [];
  return known.length > 0 ? Math.max(...known) : undefined;
}
