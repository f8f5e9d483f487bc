import { optimizerFromJSON } from '@stepsize/core';
import { trainOn } from './backend-run.js';
import type { BackendName } from './backend-names.js';
import type { DemoSetup } from './setup.js';

/** Options of the learning-rate range test. */
export interface LrFindOptions {
  readonly minRate: number;
  readonly maxRate: number;
  /** Steps of the sweep (the test may stop earlier on divergence). */
  readonly steps: number;
  /** `exponential` (default, as fastai and torch-lr-finder) or `linear` spacing of the rates. */
  readonly mode: 'exponential' | 'linear';
  /** Exponential smoothing factor of the loss, 0 ≤ beta < 1 (fastai: 0.98 per batch; torch-lr-finder: 1 - 0.05). */
  readonly smoothing: number;
  /** Stop when the smoothed loss exceeds this multiple of the best one (torch-lr-finder: 5). */
  readonly divergence: number;
}

/** What the range test found. */
export interface LrFindResult {
  readonly learningRates: number[];
  readonly losses: number[];
  readonly smoothed: number[];
  /** Rate at the steepest descent of the smoothed loss (torch-lr-finder's suggestion). */
  readonly steepest: number;
  /** Rate in the longest valley of the smoothed loss (fastai's `valley`). */
  readonly valley: number;
  readonly stoppedEarly: boolean;
}

/**
 * The sweep as a core schedule spec: exponential `min · (max/min)^(t/(n−1))`
 * or linear from min to max over `n − 1` steps.
 */
export function sweepSpec(options: LrFindOptions): Record<string, unknown> {
  const last = Math.max(1, options.steps - 1);
  if (options.mode === 'linear') return { type: 'linear', initialValue: options.minRate, endValue: options.maxRate, steps: last };
  return { type: 'exponential', initialValue: options.minRate, gamma: (options.maxRate / options.minRate) ** (1 / last) };
}

/** Bias-corrected exponential moving average (fastai's smoothing). */
export function smooth(losses: readonly number[], beta: number): number[] {
  let average = 0;
  return losses.map((loss, i) => {
    average = beta * average + (1 - beta) * loss;
    return average / (1 - beta ** (i + 1));
  });
}

/** Index of the most negative slope of `losses` against log(rate) (central differences). */
export function steepestIndex(rates: readonly number[], losses: readonly number[]): number {
  let best = 0;
  let slope = Infinity;
  for (let i = 1; i < losses.length - 1; i += 1) {
    const s =
      ((losses[i + 1] as number) - (losses[i - 1] as number)) / (Math.log(rates[i + 1] as number) - Math.log(rates[i - 1] as number));
    if (s < slope) {
      slope = s;
      best = i;
    }
  }
  return best;
}

/** fastai's `valley`: within the longest decreasing subsequence of the loss (start to end), the point start + ⌊len/3⌋ + ⌊len/6⌋. */
export function valleyIndex(losses: readonly number[]): number {
  const n = losses.length;
  const runs = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i += 1) {
    for (let j = 0; j < i; j += 1) {
      if ((losses[i] as number) < (losses[j] as number) && (runs[i] as number) < (runs[j] as number) + 1) runs[i] = (runs[j] as number) + 1;
    }
    if ((runs[maxEnd] as number) < (runs[i] as number)) {
      maxEnd = i;
      maxStart = maxEnd - (runs[maxEnd] as number);
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return Math.min(n - 1, Math.max(0, maxStart + Math.floor(sections) + Math.floor(sections / 2)));
}

/**
 * The learning-rate range test (Smith 2017; as torch-lr-finder and fastai's
 * `lr_find`): train from the setup's initial weights while the rate sweeps from
 * `minRate` to `maxRate`, smooth the loss, stop when it diverges, and suggest a
 * rate. The run trains a copy of the initial weights, so the model is left as
 * it was.
 */
export async function lrFind(backend: BackendName, setup: DemoSetup, options: LrFindOptions): Promise<LrFindResult> {
  const sweep = { ...setup, steps: options.steps, optimizerSpec: { ...setup.optimizerSpec, learningRate: sweepSpec(options) } };
  let best = Infinity;
  let average = 0;
  const run = await trainOn(backend, sweep, {
    optimizer: optimizerFromJSON(sweep.optimizerSpec),
    stop: (loss, step) => {
      average = options.smoothing * average + (1 - options.smoothing) * loss;
      const value = average / (1 - options.smoothing ** (step + 1));
      if (!Number.isFinite(value)) return true;
      best = Math.min(best, value);
      return step > 0 && value > options.divergence * best;
    },
  });
  const smoothed = smooth(run.losses, options.smoothing);
  const finite = smoothed.findIndex((v) => !Number.isFinite(v));
  const usable = finite < 0 ? smoothed.length : finite;
  const rates = run.learningRates.slice(0, usable);
  const curve = smoothed.slice(0, usable);
  return {
    learningRates: run.learningRates,
    losses: run.losses,
    smoothed,
    steepest: rates[steepestIndex(rates, curve)] as number,
    valley: rates[valleyIndex(curve)] as number,
    stoppedEarly: run.losses.length < options.steps,
  };
}
