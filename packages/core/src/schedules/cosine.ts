import { fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Half-cosine interpolation from `from` (progress 0) to `to` (progress 1). */
export function cosineInterpolate(from: number, to: number, progress: number): number {
  return to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** Options of {@link cosineAnnealing}. */
export interface CosineAnnealingOptions {
  /** Value at step 0 (PyTorch: the optimizer's lr). */
  readonly initialValue: number;
  /** Steps from `initialValue` to `minValue` (PyTorch `T_max`), an integer >= 1. */
  readonly steps: number;
  /** Floor reached at `steps` (PyTorch `eta_min`). Default 0. */
  readonly minValue?: number;
  /**
   * After `steps`: `'hold'` (default; optax and Keras) keeps `minValue`;
   * `'periodic'` continues the cosine, rising back to `initialValue` at
   * `2 * steps` and so on, which is what PyTorch `CosineAnnealingLR` does.
   */
  readonly afterEnd?: 'hold' | 'periodic';
}

export const cosineAnnealingDefinition = defineSchedule<Required<CosineAnnealingOptions>>({
  type: 'cosineAnnealing',
  summary:
    "minValue + (initialValue - minValue) * (1 + cos(pi * t / steps)) / 2; after steps: hold minValue or continue periodically as PyTorch (afterEnd: 'periodic').",
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    steps: { kind: 'number', integer: true, min: 1, description: 'steps from initialValue to minValue' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'floor reached at steps' },
    afterEnd: {
      kind: 'enum',
      values: ['hold', 'periodic'],
      default: 'hold',
      description: "after steps: 'hold' minValue, or 'periodic' as PyTorch",
    },
  },
  build: ({ initialValue, steps, minValue, afterEnd }) => {
    const period = 2 * steps;
    const hold = afterEnd === 'hold';
    return {
      // Reducing t modulo the period first keeps the angle exact at any step.
      value: (t) => cosineInterpolate(initialValue, minValue, (hold ? Math.min(t, steps) : t % period) / steps),
    };
  },
});

/**
 * Cosine annealing: `minValue + (initialValue - minValue) * (1 + cos(pi * t / steps)) / 2`.
 *
 * Follows PyTorch `CosineAnnealingLR` (`T_max` → `steps`, `eta_min` →
 * `minValue`, default 0) up to `steps`. After the last step the value holds at
 * `minValue` by default (optax `cosine_decay_schedule`, Keras `CosineDecay`);
 * PyTorch instead keeps following the cosine, back up to the initial value at
 * `2 * steps`: choose `afterEnd: 'periodic'` for that. PyTorch computes the
 * curve recursively from the previous rate; this closed form is its
 * `_get_closed_form_lr`, equal to the recursion to ~1e-14 relative.
 *
 * @example
 * ```ts
 * const lr = cosineAnnealing({ initialValue: 0.1, steps: 100, minValue: 0.001 });
 * lr(50);  // 0.0505
 * lr(500); // 0.001 (held)
 * ```
 */
export function cosineAnnealing(options: CosineAnnealingOptions): Schedule {
  return createSchedule(cosineAnnealingDefinition, options);
}

/** Options of {@link cosineRestarts}. */
export interface CosineRestartsOptions {
  /** Peak value of the first cycle. */
  readonly initialValue: number;
  /** Length of the first cycle in steps (PyTorch `T_0`, Keras `first_decay_steps`), >= 1. */
  readonly firstPeriod: number;
  /**
   * Each cycle is this many times longer than the previous (PyTorch `T_mult`, Keras `t_mul`):
   * exactly 1, or at least 1 + 1e-9 (closer to 1 the cycle starts cannot be told apart in
   * double precision). Default 1.
   */
  readonly periodMultiplier?: number;
  /** Floor of every cycle (PyTorch `eta_min`; Keras `alpha * initial`). Default 0. */
  readonly minValue?: number;
  /** Each cycle's height above the floor is this times the previous one's (Keras `m_mul`), in [0, 1] (a growing peak would overflow). Default 1. */
  readonly peakDecay?: number;
}

/** Splits a double for an exact product (Veltkamp): `high + low === x`, each with at most 26 significant bits. */
const SPLITTER = 2 ** 27 + 1;

/**
 * `multiplier ^ cycle - 1` (multiplier > 1, cycle an integer >= 0) to within an ulp or two, also where
 * the power is close to 1 and `multiplier ** cycle - 1` would cancel: there the power is taken in
 * double-double arithmetic (exact products), whose high part minus 1 is exact. Exact whenever the
 * power is exact in double precision (as for integer and dyadic multipliers such as 2 or 1.5).
 */
function powerMinusOne(multiplier: number, cycle: number): number {
  const power = multiplier ** cycle;
  // From 2 up nothing cancels (below 4 the subtraction is even exact): the power's own rounding is all the error.
  if (!(power < 2)) return power - 1;
  // Square-and-multiply on (high, low) pairs; every power here is in [1, 2), so nothing overflows.
  let resultHigh = 1;
  let resultLow = 0;
  let baseHigh = multiplier;
  let baseLow = 0;
  const multiply = (aHigh: number, aLow: number, bHigh: number, bLow: number): [number, number] => {
    const product = aHigh * bHigh;
    const aSplit = SPLITTER * aHigh;
    const aTop = aSplit - (aSplit - aHigh);
    const aBottom = aHigh - aTop;
    const bSplit = SPLITTER * bHigh;
    const bTop = bSplit - (bSplit - bHigh);
    const bBottom = bHigh - bTop;
    const productError = aTop * bTop - product + aTop * bBottom + aBottom * bTop + aBottom * bBottom;
    const error = productError + (aHigh * bLow + aLow * bHigh);
    const high = product + error;
    return [high, error - (high - product)];
  };
  for (let remaining = cycle; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) [resultHigh, resultLow] = multiply(resultHigh, resultLow, baseHigh, baseLow);
    if (remaining > 1) [baseHigh, baseLow] = multiply(baseHigh, baseLow, baseHigh, baseLow);
  }
  return resultHigh - 1 + resultLow;
}

/**
 * The first step of cycle `cycle` (a real number): `firstPeriod * (multiplier ^ cycle - 1) / (multiplier - 1)`,
 * or `firstPeriod * cycle` for a multiplier of 1. The one formula for every cycle start, so that the cycle of a
 * step never depends on how it was found. Exact when the start is an integer the ratio of which to
 * `firstPeriod` is exact (PyTorch's integer `T_0` and `T_mult`; dyadic multipliers); otherwise within a few ulps,
 * multipliers just above 1 included (where `multiplier ** cycle - 1` alone loses most of its digits).
 */
export function cycleStart(cycle: number, firstPeriod: number, multiplier: number): number {
  if (multiplier === 1) return firstPeriod * cycle;
  // The ratio first: firstPeriod * 1 for cycle 1 is firstPeriod exactly.
  return firstPeriod * (powerMinusOne(multiplier, cycle) / (multiplier - 1));
}

/**
 * The cycle containing step `t` in a geometric sequence of periods: the one `cycle` with
 * `cycleStart(cycle) <= t < cycleStart(cycle + 1)`, its `start` (that first value), the `position`
 * `t - start` and the `period` `cycleStart(cycle + 1) - start`, so `0 <= position <= period` (equal
 * only if rounding cannot tell `t` from the next start). Every boundary is checked with
 * {@link cycleStart} itself, so the answer is the same whichever way it is reached. A logarithm
 * gives a first guess; a few corrections, then (never needed in practice, but bounded) a bisection
 * over at most 55 halvings, make it exact: nothing can hang.
 */
export function locateCycle(
  t: number,
  firstPeriod: number,
  multiplier: number,
): { cycle: number; start: number; position: number; period: number } {
  const startOf = (i: number): number => cycleStart(i, firstPeriod, multiplier);
  let cycle =
    multiplier === 1
      ? Math.floor(t / firstPeriod)
      : Math.max(0, Math.floor(Math.log1p((t * (multiplier - 1)) / firstPeriod) / Math.log1p(multiplier - 1)));
  for (let fix = 0; fix < 4 && cycle > 0 && startOf(cycle) > t; fix += 1) cycle -= 1;
  for (let fix = 0; fix < 4 && startOf(cycle + 1) <= t; fix += 1) cycle += 1;
  if (!(startOf(cycle) <= t && t < startOf(cycle + 1))) {
    // Every start is at least firstPeriod * cycle >= cycle, so cycle 2t + 2 starts after t.
    let low = 0;
    let high = 2 * t + 2;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (startOf(middle) <= t) low = middle;
      else high = middle;
    }
    cycle = low;
  }
  const start = startOf(cycle);
  return { cycle, start, position: t - start, period: startOf(cycle + 1) - start };
}

export const cosineRestartsDefinition = defineSchedule<Required<CosineRestartsOptions>>({
  type: 'cosineRestarts',
  summary:
    'SGDR: in cycle i of length firstPeriod * periodMultiplier^i, minValue + (initialValue - minValue) * peakDecay^i * (1 + cos(pi * position / period)) / 2 (PyTorch CosineAnnealingWarmRestarts, Keras CosineDecayRestarts).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'peak value of the first cycle' },
    firstPeriod: { kind: 'number', min: 1, description: 'length of the first cycle (steps)' },
    periodMultiplier: { kind: 'number', min: 1, default: 1, description: 'growth factor of cycle lengths' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'floor of every cycle' },
    peakDecay: { kind: 'number', min: 0, max: 1, default: 1, description: "factor on each cycle's height above the floor" },
  },
  check: (o, path) => {
    if (o.periodMultiplier !== 1 && o.periodMultiplier < 1 + 1e-9) {
      fail(
        `${path}.periodMultiplier`,
        'must be 1 or at least 1 + 1e-9 (closer to 1, cycle starts are not computable in double precision)',
        o.periodMultiplier,
      );
    }
    if (o.minValue > o.initialValue) {
      fail(`${path}.minValue`, `must be <= initialValue (${o.initialValue})`, o.minValue);
    }
  },
  build: ({ initialValue, firstPeriod, periodMultiplier, minValue, peakDecay }) => {
    // The cycle of the last step asked for is kept: consecutive steps skip the logarithm and the powers.
    // Its bounds are the cycle starts locateCycle checks, so a kept cycle holds exactly the steps
    // locateCycle would put in it, and the value is a function of the step alone.
    const cycleAt = (t: number): { start: number; end: number; period: number; height: number } => {
      const { cycle, start, period } = locateCycle(t, firstPeriod, periodMultiplier);
      return { start, end: cycleStart(cycle + 1, firstPeriod, periodMultiplier), period, height: (initialValue - minValue) * peakDecay ** cycle };
    };
    let current = cycleAt(0);
    return {
      value: (t) => {
        if (!(t >= current.start && t < current.end)) current = cycleAt(t);
        return minValue + (current.height * (1 + Math.cos((Math.PI * (t - current.start)) / current.period))) / 2;
      },
    };
  },
});

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).
 * Cycle `i` lasts `firstPeriod * periodMultiplier ^ i` steps; within it, at
 * position `p` of a cycle of length `T`:
 * `minValue + (initialValue - minValue) * peakDecay ^ i * (1 + cos(pi * p / T)) / 2`.
 *
 * Follows PyTorch `CosineAnnealingWarmRestarts` (`T_0`, `T_mult`, `eta_min`;
 * defaults `periodMultiplier = 1`, `minValue = 0`) and Keras
 * `CosineDecayRestarts` (`t_mul`, `m_mul` → `peakDecay`, `alpha * initial` →
 * `minValue`; Keras also decays only the height above the floor). Unlike
 * PyTorch, `periodMultiplier` may be fractional (as Keras). The cycle is found
 * in O(1) with a logarithm and corrected exactly at cycle boundaries, where
 * PyTorch's `step(epoch)` form and Keras's can be off by one cycle.
 *
 * @example
 * ```ts
 * const lr = cosineRestarts({ initialValue: 0.1, firstPeriod: 10, periodMultiplier: 2 });
 * lr(10); // 0.1 (restart; the second cycle lasts 20 steps)
 * lr(20); // 0.05
 * ```
 */
export function cosineRestarts(options: CosineRestartsOptions): Schedule {
  return createSchedule(cosineRestartsDefinition, options);
}
