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

/** Veltkamp's splitter: `SPLITTER * x` cuts a double into two halves of at most 26 significant bits. */
const SPLITTER = 2 ** 27 + 1;

/**
 * The rounding error of `product = a * b` (Dekker): `a * b` is exactly `product + error`.
 * For factors below 1e290 in magnitude (the split must not overflow).
 */
function productError(a: number, b: number, product: number): number {
  const aSplit = SPLITTER * a;
  const aTop = aSplit - (aSplit - a);
  const aBottom = a - aTop;
  const bSplit = SPLITTER * b;
  const bTop = bSplit - (bSplit - b);
  const bBottom = b - bTop;
  return aTop * bTop - product + aTop * bBottom + aBottom * bTop + aBottom * bBottom;
}

/**
 * `multiplier ^ cycle - 1` (multiplier > 1, cycle an integer >= 0) to within an ulp or two, also where
 * the power is close to 1 and `multiplier ** cycle - 1` would cancel (multipliers just above 1): there
 * the power is taken in double-double arithmetic, whose high part minus 1 is exact. Exact whenever the
 * power is exact in double precision (integer and dyadic multipliers such as 2 or 1.5, while small).
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
    const error = productError(aHigh, bHigh, product) + (aHigh * bLow + aLow * bHigh);
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
 * Where a cycle starts: at the real number `firstPeriod * ratio`, `ratio` being
 * `(multiplier ^ cycle - 1) / (multiplier - 1)` in double precision (`cycle` for a multiplier of 1),
 * held exactly as `at + error`: `at` is the product rounded to a double, `error` what rounding left
 * out. Steps are compared with the exact start, so with a multiplier of 1 or an integer one
 * (PyTorch's `T_0` and `T_mult`) every cycle start is exact, also past 2^53.
 */
export interface CycleStart {
  /** The start rounded to a double. */
  readonly at: number;
  /** The exact start minus `at` (0 for starts beyond 2^60, far past every step). */
  readonly error: number;
}

/** The start of cycle `cycle` (see {@link CycleStart}): one formula for every cycle, however the cycle was found. */
export function cycleStart(cycle: number, firstPeriod: number, multiplier: number): CycleStart {
  // The ratio first: cycle 1 then starts at firstPeriod * 1, exactly firstPeriod.
  const ratio = multiplier === 1 ? cycle : powerMinusOne(multiplier, cycle) / (multiplier - 1);
  const at = firstPeriod * ratio;
  // Up to 2^60 the factors are far below the 1e290 where the product's split could overflow.
  return { at, error: at <= 2 ** 60 ? productError(firstPeriod, ratio, at) : 0 };
}

/** Whether step `t` is at or after the exact start `start.at + start.error`. */
function hasReached(t: number, start: CycleStart): boolean {
  return t > start.at || (t === start.at && start.error <= 0);
}

/** The cycle containing step `t` and its bounds: `hasReached(t, first) && !hasReached(t, next)`. */
function findCycle(t: number, firstPeriod: number, multiplier: number): { cycle: number; first: CycleStart; next: CycleStart } {
  const startOf = (i: number): CycleStart => cycleStart(i, firstPeriod, multiplier);
  const isIn = (i: number): boolean => hasReached(t, startOf(i)) && !hasReached(t, startOf(i + 1));
  let cycle =
    multiplier === 1
      ? Math.floor(t / firstPeriod)
      : Math.max(0, Math.floor(Math.log1p((t * (multiplier - 1)) / firstPeriod) / Math.log1p(multiplier - 1)));
  // The logarithm (or the division) can land a cycle off next to a boundary: correct it with the boundaries themselves.
  for (let fix = 0; fix < 4 && cycle > 0 && !hasReached(t, startOf(cycle)); fix += 1) cycle -= 1;
  for (let fix = 0; fix < 4 && hasReached(t, startOf(cycle + 1)); fix += 1) cycle += 1;
  if (!isIn(cycle)) {
    // Not expected for any options, but bounded: bisect (at most 55 halvings). Cycle 0 starts at 0, and since
    // every cycle lasts at least firstPeriod >= 1 step, cycle 2t + 2 starts after t.
    let low = 0;
    let high = 2 * t + 2;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (hasReached(t, startOf(middle))) low = middle;
      else high = middle;
    }
    cycle = low;
  }
  return { cycle, first: startOf(cycle), next: startOf(cycle + 1) };
}

/** The length of the cycle between two starts, from their exact values: `firstPeriod * multiplier ^ cycle` up to rounding. */
function lengthBetween(first: CycleStart, next: CycleStart): number {
  return next.at - first.at + (next.error - first.error);
}

/** Step `t`'s position in the cycle starting at `first`, from the exact start, at most `period`. */
function positionIn(t: number, first: CycleStart, period: number): number {
  return Math.min(t - first.at - first.error, period);
}

/**
 * Where step `t` falls in a geometric sequence of periods: cycle index, start (rounded), position
 * in the cycle and its length (`firstPeriod * multiplier ^ cycle`, PyTorch `T_i`, up to rounding),
 * with `0 <= position <= period` (equal only if `t` is within rounding of the next start). The
 * cycle is the one whose exact bounds, from {@link cycleStart}, contain `t`: the same whichever way
 * it is found. O(1): a logarithm and a bounded number of corrections, whatever the options.
 */
export function locateCycle(
  t: number,
  firstPeriod: number,
  multiplier: number,
): { cycle: number; start: number; position: number; period: number } {
  const { cycle, first, next } = findCycle(t, firstPeriod, multiplier);
  const period = lengthBetween(first, next);
  return { cycle, start: first.at, position: positionIn(t, first, period), period };
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
    // The cycle of the last step asked for is kept, so consecutive steps skip the logarithm and the powers.
    // A step is taken to be in the kept cycle by the same bounds locateCycle checks: the value is a
    // function of the step alone, whatever was evaluated before.
    const cycleOf = (t: number): { first: CycleStart; next: CycleStart; period: number; height: number } => {
      const { cycle, first, next } = findCycle(t, firstPeriod, periodMultiplier);
      return { first, next, period: lengthBetween(first, next), height: (initialValue - minValue) * peakDecay ** cycle };
    };
    let current = cycleOf(0);
    return {
      value: (t) => {
        if (!(hasReached(t, current.first) && !hasReached(t, current.next))) current = cycleOf(t);
        const position = positionIn(t, current.first, current.period);
        return minValue + (current.height * (1 + Math.cos((Math.PI * position) / current.period))) / 2;
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
